/**
 * Builds the whole simulator from a Config: clock, randomness, store, domain, specs, app. main.ts
 * adds only the process around it (listen, signals); tests call it to get the same assembly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { RealClock, VirtualClock, type Clock } from './domain/clock.js';
import { createRng } from './domain/rng.js';
import { Simulator } from './domain/simulator.js';
import { createApp } from './http/app.js';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec, specOperations } from './http/load-spec.js';
import { loadSpecValidators } from './http/validation/spec-validators.js';
import { createImageRenderer, type ImageRenderer } from './images/image-renderer.js';
import { projectRoot } from './project-root.js';
import { QaState } from './qa/qa-state.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';

export interface Composition {
  app: Express;
  simulator: Simulator;
  qa: QaState;
  clock: Clock;
  store: Store;
  images: ImageRenderer;
  logger: Logger;
  /** Where the request validators came from: the build (`prebuilt`) or Ajv at start (`runtime`). */
  requestValidators: 'prebuilt' | 'runtime';
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'dreamcore-simulator' },
      // Defence in depth: no code logs a key or the control token, and these paths are redacted anyway.
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'authorization',
          'apiKey',
          '*.apiKey',
          'controlToken',
          '*.controlToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export async function compose(
  config: Config,
  overrides: { logger?: Logger; store?: Store; images?: ImageRenderer } = {},
): Promise<Composition> {
  const logger = overrides.logger ?? createLogger(config);
  const clock: Clock = config.clock === 'virtual' ? new VirtualClock() : new RealClock();
  const store = overrides.store ?? new MemoryStore(config.retention);
  const simulator = new Simulator({
    store,
    clock,
    seed: config.seed,
    createRng,
    latency: config.latency,
    failureRate: config.failureRate,
    accounts: config.keys,
  });
  await simulator.reset();
  const qa = new QaState({
    seed: config.seed,
    createRng,
    rateLimit: config.rateLimit,
    chaos: config.chaos,
    faultHeaders: config.faultHeaders,
    maxDelayMs: config.maxDelayMs,
    journalSize: config.journalSize,
  });
  const [apiSpec, controlSpec] = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
  const validators = await loadSpecValidators([...specOperations(apiSpec), ...specOperations(controlSpec)], {
    validateResponses: config.validateResponses,
  });
  const images = overrides.images ?? createImageRenderer();
  const app = createApp({
    simulator,
    qa,
    images,
    logger,
    apiSpec,
    controlSpec,
    validators,
    options: {
      bodyLimit: config.bodyLimit,
      publicUrl: config.publicUrl,
      validateResponses: config.validateResponses,
      imageTtlMs: config.imageTtlMs,
      logRequests: config.logRequests,
      controlToken: config.controlToken,
      rateLimit: config.rateLimit,
      version: packageVersion(),
      seed: config.seed,
    },
  });
  return { app, simulator, qa, clock, store, images, logger, requestValidators: validators.requests.origin };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
