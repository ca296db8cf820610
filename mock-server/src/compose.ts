/**
 * Builds the whole simulator from a Config: the store backend and its worlds, specs, app. main.ts
 * adds only the process around it (listen, signals); tests call it to get the same assembly.
 */
import { FAIR_SHARE_DEFAULTS } from './config/fair-share-options.js';
import { FairShare, eventLoopBusy } from './http/fair-share.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import type { Clock } from './domain/clock.js';
import { ownerOf, redactKey } from './domain/keys.js';
import type { Simulator } from './domain/simulator.js';
import { createApp } from './http/app.js';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec, specOperations } from './http/load-spec.js';
import { loadSpecValidators } from './http/validation/spec-validators.js';
import { DEFAULT_WORLD } from './tenancy/world.js';
import { createImageRenderer, type ImageRenderer } from './images/image-renderer.js';
import { projectRoot } from './project-root.js';
import { QaState } from './qa/qa-state.js';
import { MemoryBackend } from './store/memory-backend.js';
import { MemoryBudget } from './store/memory-budget.js';
import type { Store, StoreBackend, WorldSpec } from './store/store.js';
import { Tenancy } from './tenancy/tenancy.js';
import { DriftSummaries, type DriftHooks } from './drift/drift-summary.js';
import type { FaultRuleInput } from './qa/fault-rules.js';

export interface Composition {
  app: Express;
  /** The default world's domain service, store and clock (the only world without tenants). */
  simulator: Simulator;
  qa: QaState;
  clock: Clock;
  store: Store;
  tenancy: Tenancy;
  backend: StoreBackend;
  images: ImageRenderer;
  logger: Logger;
  /** The time share's accounts (http/fair-share.ts); absent when it is off. */
  fairShare: FairShare | undefined;
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

/** The configured world: its keys in the store's spec (as digests and labels), the rest from the flags. */
export function defaultWorldSpec(config: Config, rules?: readonly FaultRuleInput[]): WorldSpec {
  return {
    ...(rules && rules.length > 0 ? { rules } : {}),
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

export async function compose(
  config: Config,
  overrides: {
    logger?: Logger;
    systemNow?: () => number;
    images?: ImageRenderer;
    /** Proxy and replay modes: told of each drift finding (metrics). */
    driftHooks?: DriftHooks;
  } = {},
): Promise<Composition> {
  const logger = overrides.logger ?? createLogger(config);
  const systemNow = overrides.systemNow ?? Date.now;
  const mode = config.proxy ? 'proxy' : config.replay ? 'replay' : undefined;
  // A scenario given at start is part of the default world's start state: every reset puts it back.
  const scenarioRules =
    config.scenarioFile === undefined
      ? undefined
      : await (await import('./qa/scenario.js')).readScenarioRules(config.scenarioFile, mode);
  if (scenarioRules && scenarioRules.length > config.caps.maxRules) {
    throw new Error(
      `--scenario ${config.scenarioFile}: ${scenarioRules.length} rules, more than --max-rules ${config.caps.maxRules} allows`,
    );
  }
  const limits = {
    retention: config.retention,
    journal: { maxEntries: config.journalSize, maxBytes: config.journalMaxBytes },
    // The verdict observes nothing in proxy and replay modes (app.ts): the stores need not fold.
    verdict: mode ? undefined : config.report,
    caps: config.caps,
    systemNow,
  };
  const backend: StoreBackend =
    config.store === 'redis'
      ? // Loaded only for a fleet: the Redis client is most of a start-up's time.
        await (
          await import('./store/redis/redis-backend.js')
        ).RedisBackend.open({
          url: config.redisUrl!,
          prefix: config.redisPrefix,
          ...limits,
          onError: (err) => logger.debug({ err: err.message }, 'redis connection error'),
          log: logger,
        })
      : new MemoryBackend({
          ...limits,
          budget: new MemoryBudget({
            limitBytes: config.memoryBudgetBytes,
            tenantShare: config.tenantMemoryShare,
            callerShare: config.callerMemoryShare,
          }),
        });
  const tenancy = new Tenancy({
    backend,
    defaultSpec: defaultWorldSpec(config, scenarioRules),
    tenantDefaults: { clock: config.clock, latency: config.latency, failureRate: config.failureRate },
    idleTimeoutMs: config.tenantIdleTimeoutMs,
    maxTenants: config.maxTenants,
    shares: config.tenantShares,
    systemNow,
  });
  await tenancy.start();
  const defaultWorld = await tenancy.defaultWorld();
  const store = backend.world(DEFAULT_WORLD);
  const qa = new QaState({
    rateLimit: config.rateLimit,
    chaos: config.chaos,
    faultHeaders: config.faultHeaders,
    maxDelayMs: config.maxDelayMs,
    journalSize: config.journalSize,
    journalFollowers: config.journalFollowers,
  });
  const [apiSpec, controlSpec] = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
  const validators = await loadSpecValidators([...specOperations(apiSpec), ...specOperations(controlSpec)], {
    validateResponses: config.validateResponses,
  });
  const images = overrides.images ?? createImageRenderer();
  const driftSummaries = new DriftSummaries(overrides.driftHooks);
  const gateway = mode
    ? await (
        await import('./proxy/gateway-for.js')
      ).gatewayFor(config, {
        summaries: driftSummaries,
        version: packageVersion(),
        logger,
      })
    : undefined;
  // Off: no gate at all, so a request pays nothing for it.
  const fairShare = Number.isFinite(config.fairShareBusy)
    ? new FairShare(
        FAIR_SHARE_DEFAULTS,
        // A clock that does not jump back with the system's, unless the tests give theirs.
        overrides.systemNow ?? (() => performance.now()),
        eventLoopBusy(config.fairShareBusy),
      )
    : undefined;
  const app = createApp({
    ...(gateway ? { gateway } : {}),
    ...(fairShare ? { fairShare } : {}),
    driftSummaries,
    tenancy,
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
      openTenantCreation: config.tenantCreation === 'open',
      report: config.report,
    },
  });
  return {
    app,
    simulator: defaultWorld.simulator,
    qa,
    // With a shared store the clock is the world's, read per request: this one is its start.
    clock: defaultWorld.simulator.clock,
    store,
    tenancy,
    backend,
    images,
    logger,
    fairShare,
    requestValidators: validators.requests.origin,
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
