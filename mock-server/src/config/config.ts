/**
 * The Config the simulator runs on: one typed, frozen object, built by toConfig from the parsed
 * options (options.ts), whether they came from the command line (command.ts) or from
 * startSimulator() (embed/options.ts). toConfig also refuses the combinations that cannot work.
 */
import { randomBytes } from 'node:crypto';
import { defaultMaxConnections, openFileLimit } from '../connection-limit.js';
import { DEFAULT_FAILURE_RATE, type LatencyProfileName } from '../domain/latency.js';
import { defaultBudgetBytes } from '../store/heap-budget.js';
import type { WorldCaps } from '../store/world-limits.js';
import type { TenantShares } from '../tenancy/creation-shares.js';
import type { VerdictSettings } from '../verdict/settings.js';
import { OPTIONS, optionEntries, type OptionName, type ParsedOptions } from './options.js';
import { verdictSettingsOf } from './report-settings.js';
import {
  combinationError,
  DEV_KEY,
  DEV_KEY_BALANCE,
  hostPattern,
  type ChaosConfig,
  type RateLimitConfig,
} from './parsers.js';

export type ClockKind = 'real' | 'virtual';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Proxy mode (`--proxy`): the public API forwarded to the live API, checked against openapi.yaml. */
export interface ProxyConfig {
  /** The live API's base URL (a path prefix is kept). */
  target: string;
  /** Answer 502 (an answer that breaks the spec) or 400 (a request that does) instead of passing it on. */
  strict: boolean;
  /** Credits the proxy may forward in generates at most (undefined: no guard). */
  maxCredits: number | undefined;
  /** How long to wait for the live API's whole answer (then 504). */
  timeoutMs: number;
  /** Where every proxied exchange is recorded (a cassette), if anywhere. */
  recordFile: string | undefined;
}

/** Replay mode (`--replay`): a cassette answers the public API, without any network. */
export interface ReplayConfig {
  file: string;
  /** `clock`: a task's recorded answers follow the simulator's clock; `polls`: one per poll. */
  timing: 'clock' | 'polls';
  strict: boolean;
}

export interface Config {
  port: number;
  host: string;
  seed: string;
  /** Whether the seed was chosen at random (printed, so the run can be replayed). */
  seedGenerated: boolean;
  /**
   * Task ids follow from the seed alone, so a restarted simulator hands out the same ids again. Off by
   * default: ids then also depend on a value drawn at each start, so a client still polling an id
   * from before a restart gets 404, never a stranger's task.
   */
  exactReplay: boolean;
  clock: ClockKind;
  latency: LatencyProfileName;
  failureRate: number;
  keys: ReadonlyArray<{ apiKey: string; balance: number }>;
  logLevel: LogLevel;
  logRequests: boolean;
  publicUrl: string | undefined;
  bodyLimit: string;
  /** The event loop's utilisation from which a caller past its share is refused (Infinity: never). */
  fairShareBusy: number;
  validateResponses: boolean;
  imageTtlMs: number;
  retention: { maxTasks: number; maxAgeMs: number; maxLedgerEntries: number };
  rateLimit: RateLimitConfig | 'off';
  faultHeaders: boolean;
  maxDelayMs: number;
  chaos: ChaosConfig;
  journalSize: number;
  /** Bytes the journal may hold (its entries as estimated, bodies truncated). */
  journalMaxBytes: number;
  /** Journal waits and streams held at once per world, per process (beyond: 429). */
  journalFollowers: { maxWaits: number; maxStreams: number };
  /**
   * The verdict's settings (GET /__mock/report): every public request judged against its rules;
   * undefined with `--report off`, when nothing is observed.
   */
  report: VerdictSettings | undefined;
  /** Bytes all worlds together may hold (the memory store's budget: memory-budget.ts). */
  memoryBudgetBytes: number;
  /** The share of the budget one tenant may hold, in (0, 1]. */
  tenantMemoryShare: number;
  /** The share of the budget the tenants one caller created may hold together, in (0, 1]. */
  callerMemoryShare: number;
  /** The most fault rules and accounts one world holds. */
  caps: WorldCaps;
  /** Where state lives: this process's memory, or a Redis shared by every replica of a fleet. */
  store: 'memory' | 'redis';
  redisUrl: string | undefined;
  /** Prefix of every Redis key, so several simulators can share one Redis. */
  redisPrefix: string;
  /** Processes serving one port (node's cluster module); more than 1 only with the Redis store. */
  workers: number;
  /** Who may create a tenant: anyone who reaches the control API, or the operator only. */
  tenantCreation: 'open' | 'operator';
  /** A tenant without a request for this long is dropped (ms). */
  tenantIdleTimeoutMs: number;
  maxTenants: number;
  /** What one caller may take of open tenant creation (tenancy/creation-shares.ts); not the operator. */
  tenantShares: TenantShares;
  controlToken: string | undefined;
  /** Whether the control token was generated because the simulator listens beyond loopback. */
  controlTokenGenerated: boolean;
  shutdownGraceMs: number;
  /**
   * Host names the simulator answers (`Host` header, port ignored): exact names, `.domain` for a domain
   * and its subdomains, `*` for any. Anything else is refused with 403 (DNS rebinding).
   */
  allowedHosts: readonly string[];
  /** CORS of the public API and the image files: `*`, a list of origins, or `off`. */
  cors: '*' | 'off' | readonly string[];
  /** Origins whose pages may use the control API (CORS and the cross-site guard); empty: none. */
  controlCors: readonly string[];
  /** The HTTP server's limits (http/server.ts). */
  server: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  /** Proxy mode, when `--proxy` is given. */
  proxy: ProxyConfig | undefined;
  /** Replay mode, when `--replay` is given. */
  replay: ReplayConfig | undefined;
  /** A scenario (fault rules) loaded into the default world at start and put back by every reset. */
  scenarioFile: string | undefined;
}

/** Where the options came from, and how an error refers to them: a flag, or a property. */
export interface OptionSources {
  /** Whether the option was given (as a flag, variable or property), rather than left to its default. */
  given(name: OptionName): boolean;
  /** The option as given, e.g. `option '--replay <file>'`, `environment variable 'DREAMCORE_REPLAY'`. */
  asGiven(name: OptionName): string;
  /** The option to add, e.g. `--proxy <url>`, or with a value, `--store redis`. */
  toAdd(name: OptionName, value?: string): string;
}

/** The loopback names a local browser uses for the simulator, the default of `--allowed-hosts`. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '.localhost', '127.0.0.1', '::1'];

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The combinations that cannot work, each option valid alone; the first found is thrown
 * (combinationError), naming the options in the terms of whoever gave them.
 */
function checkCombinations(raw: ParsedOptions, from: OptionSources): void {
  for (const other of ['proxy', 'record'] as const) {
    if (raw.replay !== undefined && raw[other] !== undefined) {
      throw combinationError(`${from.asGiven('replay')} cannot be used with ${from.asGiven(other)}`);
    }
  }
  // Options of proxy mode that would silently do nothing without it: a credit guard that guards
  // nothing is worse than none, since whoever set it believes they are protected.
  const needsProxy = [
    ['record', 'records what the live API answers'],
    ['proxyMaxCredits', 'guards the credits forwarded to the live API'],
  ] as const;
  for (const [name, what] of needsProxy) {
    if (raw[name] !== undefined && raw.proxy === undefined) {
      throw combinationError(`${from.asGiven(name)} ${what}: it needs ${from.toAdd('proxy')}`);
    }
  }
  // A threshold of a verdict rule with the verdict off would do nothing, which whoever set it did not mean.
  if (!raw.report)
    for (const name of [...thresholdOptions().map((t) => t.name), 'reportSettings' as const])
      if (from.given(name))
        throw combinationError(
          `${from.asGiven(name)} sets a verdict rule: it needs the verdict on (${from.asGiven('report')} is off)`,
        );
  if (raw.store === 'redis' && !raw.redisUrl) {
    throw combinationError(
      `${from.asGiven('store')} is redis: it needs ${from.toAdd('redisUrl')}, e.g. redis://127.0.0.1:6379`,
    );
  }
  if (raw.workers > 1 && raw.store !== 'redis') {
    throw combinationError(
      `${from.asGiven('workers')} needs ${from.toAdd('store', 'redis')}: with the memory store each worker would be a simulator of its own, with its own balances and tasks`,
    );
  }
  if (raw.tenantIdleTimeout > raw.tenantMaxIdleTimeout) {
    // The default a caller gets must be one it could have asked for.
    throw combinationError(
      `${from.asGiven('tenantIdleTimeout')} (${raw.tenantIdleTimeout}) must not exceed ${from.toAdd('tenantMaxIdleTimeout')} (${raw.tenantMaxIdleTimeout})`,
    );
  }
  if (raw.headersTimeoutMs > raw.requestTimeoutMs) {
    // Node refuses it too: the headers are part of the request.
    throw combinationError(
      `${from.asGiven('headersTimeoutMs')} (${raw.headersTimeoutMs}) must not exceed ${from.toAdd('requestTimeoutMs')} (${raw.requestTimeoutMs})`,
    );
  }
}

/** The Config of these options; throws combinationError (a CommanderError) for a combination that cannot work. */
export function toConfig(raw: ParsedOptions, from: OptionSources): Config {
  checkCombinations(raw, from);
  const keys = [...(raw.devKey ? [{ apiKey: DEV_KEY, balance: DEV_KEY_BALANCE }] : []), ...(raw.key ?? [])];
  // A later entry for the same key wins, so `--key sk-dreamcore-dev=5` re-funds the dev key.
  const byKey = new Map(keys.map((k) => [k.apiKey, k]));
  const exposed = !isLoopback(raw.host);
  const controlToken = raw.controlToken ?? (exposed ? randomBytes(16).toString('hex') : undefined);
  const config: Config = {
    port: raw.port,
    host: raw.host,
    seed: raw.seed ?? randomBytes(6).toString('hex'),
    seedGenerated: raw.seed === undefined,
    exactReplay: raw.exactReplay,
    clock: raw.clock,
    latency: raw.latency,
    failureRate: raw.failureRate ?? DEFAULT_FAILURE_RATE[raw.latency],
    keys: [...byKey.values()],
    logLevel: raw.logLevel,
    logRequests: raw.requestLog,
    publicUrl: raw.publicUrl,
    bodyLimit: raw.bodyLimit,
    fairShareBusy: raw.fairShareBusy,
    validateResponses: raw.validateResponses,
    imageTtlMs: raw.imageTtl * 1000,
    retention: { maxTasks: raw.retainTasks, maxAgeMs: raw.retainAge * 1000, maxLedgerEntries: 10_000 },
    // In front of the live API (or a recording of it), its own limits are the ones that count: the
    // simulator's buckets would only add 429s the provider never sent. `--rate-limit` brings them back.
    rateLimit:
      (raw.proxy !== undefined || raw.replay !== undefined) && !from.given('rateLimit')
        ? 'off'
        : raw.rateLimit,
    faultHeaders: raw.faultHeaders,
    maxDelayMs: raw.maxDelayMs,
    chaos: raw.chaos,
    journalSize: raw.journalSize,
    journalMaxBytes: raw.journalMaxMb * 1024 * 1024,
    journalFollowers: { maxWaits: raw.maxJournalWaits, maxStreams: raw.maxJournalStreams },
    report: raw.report
      ? verdictSettingsOf(
          raw.reportSettings,
          thresholdOptions()
            .filter((t) => from.given(t.name))
            .map(({ name, rule, field }) => ({ rule, field, value: raw[name] as number })),
        )
      : undefined,
    memoryBudgetBytes:
      raw.memoryBudgetMb === undefined ? defaultBudgetBytes() : raw.memoryBudgetMb * 1024 * 1024,
    tenantMemoryShare: raw.tenantMemoryShare,
    callerMemoryShare: raw.callerMemoryShare,
    caps: { maxRules: raw.maxRules, maxAccounts: raw.maxAccounts },
    store: raw.store,
    redisUrl: raw.redisUrl,
    redisPrefix: raw.redisPrefix,
    workers: raw.workers,
    tenantCreation: raw.tenantCreation,
    tenantIdleTimeoutMs: raw.tenantIdleTimeout * 1000,
    maxTenants: raw.maxTenants,
    tenantShares: {
      rate: raw.tenantCreationRate,
      // A quarter: one caller can never hold the simulator, and four can still fill it.
      perCaller: raw.maxTenantsPerCaller ?? Math.max(1, Math.floor(raw.maxTenants / 4)),
      maxKeys: raw.tenantMaxKeys,
      maxIdleTimeoutMs: raw.tenantMaxIdleTimeout * 1000,
    },
    controlToken,
    controlTokenGenerated: raw.controlToken === undefined && controlToken !== undefined,
    shutdownGraceMs: raw.shutdownGraceMs,
    allowedHosts: raw.allowedHosts ?? defaultAllowedHosts(raw.host, raw.publicUrl),
    cors: raw.cors,
    controlCors: raw.controlCors,
    server: {
      headersTimeoutMs: raw.headersTimeoutMs,
      requestTimeoutMs: raw.requestTimeoutMs,
      keepAliveTimeoutMs: raw.keepAliveTimeoutMs,
      maxConnections: raw.maxConnections ?? defaultMaxConnections(openFileLimit()),
    },
    proxy:
      raw.proxy === undefined
        ? undefined
        : {
            target: raw.proxy,
            strict: raw.proxyStrict,
            maxCredits: raw.proxyMaxCredits,
            timeoutMs: raw.proxyTimeoutMs,
            recordFile: raw.record,
          },
    replay:
      raw.replay === undefined
        ? undefined
        : { file: raw.replay, timing: raw.replayTiming, strict: raw.proxyStrict },
    scenarioFile: raw.scenario,
  };
  return deepFreeze(config);
}

/** The options that set one threshold of a verdict rule (options.ts, ruleThreshold). */
function thresholdOptions(): Array<{ name: OptionName; rule: string; field: string }> {
  return optionEntries().flatMap(([name]) => {
    const spec = OPTIONS[name] as { threshold?: { rule: string; field: string } };
    return spec.threshold ? [{ name, ...spec.threshold }] : [];
  });
}

/**
 * DNS rebinding is an attack on servers that listen on loopback: a page whose name resolves to
 * 127.0.0.1 reaches them with its own name in `Host`. So on loopback only the loopback names (and the
 * listen address and the public URL's host) are served; beyond loopback any Host is, since containers
 * are reached by service names and addresses nobody can list in advance.
 */
function defaultAllowedHosts(host: string, publicUrl: string | undefined): string[] {
  if (!isLoopback(host)) return ['*'];
  const names = new Set(LOOPBACK_HOSTS);
  for (const name of [host, publicUrl === undefined ? undefined : hostOfUrl(publicUrl)]) {
    try {
      if (name) names.add(hostPattern(name));
    } catch {
      // Not a name a browser could send: nothing to add.
    }
  }
  return [...names];
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
