/**
 * Builds the whole simulator from a Config: clock, randomness, store, domain, specs, app. main.ts
 * adds only the process around it (listen, signals); tests call it to get the same assembly.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { RealClock, VirtualClock, type Clock } from './domain/clock.js';
import { ownerOf, redactKey } from './domain/keys.js';
import { createRng } from './domain/rng.js';
import { Simulator } from './domain/simulator.js';
import { createApp } from './http/app.js';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec, specOperations } from './http/load-spec.js';
import { loadSpecValidators } from './http/validation/spec-validators.js';
import { DEFAULT_WORLD, type World, type Worlds } from './http/world.js';
import { createImageRenderer, type ImageRenderer } from './images/image-renderer.js';
import { projectRoot } from './project-root.js';
import { QaState } from './qa/qa-state.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store, WorldSpec } from './store/store.js';

export interface Composition {
  app: Express;
  /** The default world's domain service, store and clock (the only world without tenants). */
  simulator: Simulator;
  qa: QaState;
  clock: Clock;
  store: Store;
  worlds: Worlds;
  images: ImageRenderer;
  logger: Logger;
  /** Where the request validators came from: the build (`prebuilt`) or Ajv at start (`runtime`). */
  requestValidators: 'prebuilt' | 'runtime';
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
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
    destination as never,
  );
}

/** The configured world: its keys in the store's spec (as digests and labels), the rest from the flags. */
export function defaultWorldSpec(config: Config): WorldSpec {
  return {
    seed: config.seed,
    // Drawn once per start: ids never repeat across restarts unless an exact replay is asked for.
    idSalt: config.exactReplay ? '' : randomBytes(8).toString('hex'),
    latency: config.latency,
    failureRate: config.failureRate,
    clock: config.clock,
    accounts: config.keys.map(({ apiKey, balance }) => ({
      owner: ownerOf(apiKey),
      label: redactKey(apiKey),
      balance,
    })),
  };
}

/** One world in this process's memory: the simulator as it was before tenants. */
class SingleWorld implements Worlds {
  constructor(
    private readonly store: Store,
    private readonly simulator: Simulator,
  ) {}

  ofOwner(): Promise<World> {
    return this.defaultWorld();
  }

  async defaultWorld(): Promise<World> {
    return { id: DEFAULT_WORLD, store: this.store, view: await this.store.view(), simulator: this.simulator };
  }

  refresh(): Promise<World> {
    return this.defaultWorld();
  }
}

export async function compose(config: Config, overrides: { logger?: Logger } = {}): Promise<Composition> {
  const logger = overrides.logger ?? createLogger(config);
  const clock: Clock = config.clock === 'virtual' ? new VirtualClock() : new RealClock();
  const spec = defaultWorldSpec(config);
  const store = new MemoryStore({
    retention: config.retention,
    journal: { maxEntries: config.journalSize, maxBytes: config.journalMaxBytes },
    clock,
    spec,
  });
  const simulator = new Simulator({
    store,
    clock,
    seed: spec.seed,
    idSalt: spec.idSalt,
    createRng,
    latency: spec.latency,
    failureRate: spec.failureRate,
  });
  await simulator.reset();
  const worlds = new SingleWorld(store, simulator);
  const qa = new QaState({
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
  const images = createImageRenderer();
  const app = createApp({
    worlds,
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
      allowedHosts: config.allowedHosts,
      cors: config.cors,
      controlCors: config.controlCors,
    },
  });
  return {
    app,
    simulator,
    qa,
    clock,
    store,
    worlds,
    images,
    logger,
    requestValidators: validators.requests.origin,
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
