/**
 * One typed, frozen configuration from CLI flags and environment variables (flag > env > default),
 * parsed once by commander. `npm start -- --help` lists every option with its variable and default.
 */
import { randomBytes } from 'node:crypto';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FAILURE_RATE, LATENCY_PROFILES, type LatencyProfileName } from './domain/latency.js';
import {
  defaultMaxConnections,
  describeDefaultMaxConnections,
  openFileLimit,
} from './http/connection-limit.js';

export const DEV_KEY = 'sk-dreamcore-dev';
export const DEV_KEY_BALANCE = 1000;

export type ClockKind = 'real' | 'virtual';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RateLimitConfig {
  /** Requests per window per key on POST /api/generate. */
  generate: { limit: number; windowMs: number };
  /** Requests per window per key on /api/status. */
  status: { limit: number; windowMs: number };
}

export interface ChaosConfig {
  /** Probability in [0, 1] that a public API request is answered 500. */
  error500: number;
  /** Probability in [0, 1] that a public API request is answered 429. */
  error429: number;
}

export interface Config {
  port: number;
  host: string;
  seed: string;
  /** Whether the seed was chosen at random (printed, so the run can be replayed). */
  seedGenerated: boolean;
  clock: ClockKind;
  latency: LatencyProfileName;
  failureRate: number;
  keys: ReadonlyArray<{ apiKey: string; balance: number }>;
  logLevel: LogLevel;
  logRequests: boolean;
  publicUrl: string | undefined;
  bodyLimit: string;
  validateResponses: boolean;
  imageTtlMs: number;
  retention: { maxTasks: number; maxAgeMs: number; maxLedgerEntries: number };
  rateLimit: RateLimitConfig | 'off';
  faultHeaders: boolean;
  maxDelayMs: number;
  chaos: ChaosConfig;
  journalSize: number;
  controlToken: string | undefined;
  /** Whether the control token was generated because the simulator listens beyond loopback. */
  controlTokenGenerated: boolean;
  shutdownGraceMs: number;
  /** The HTTP server's limits (http/server.ts). */
  server: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
}

/** Digits only: Number('') is 0 and Number(' 1e3 ') is 1000, neither of which anyone meant. */
const WHOLE = /^\d{1,16}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = WHOLE.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function probability(value: string): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}

/** `sk-a=100,sk-b=50` (also repeatable as flags) -> keys and balances. */
function keyList(value: string, previous: Array<{ apiKey: string; balance: number }> = []) {
  const out = [...previous];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const apiKey = eq >= 0 ? part.slice(0, eq) : part;
    const balanceText = eq >= 0 ? part.slice(eq + 1) : String(DEV_KEY_BALANCE);
    const balance = WHOLE.test(balanceText) ? Number(balanceText) : NaN;
    if (!/^[\x21-\x7e]{1,512}$/.test(apiKey)) throw new InvalidArgumentError(`invalid key in "${part}"`);
    if (!Number.isSafeInteger(balance) || balance < 0) {
      throw new InvalidArgumentError(`invalid balance in "${part}": expected a whole number >= 0`);
    }
    out.push({ apiKey, balance });
  }
  return out;
}

/** `generate=20/10s,status=120/60s` or `off`. Defaults follow comparable resellers (upstream-facts.md). */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  generate: { limit: 20, windowMs: 10_000 },
  status: { limit: 60, windowMs: 10_000 },
};

export function parseRateLimit(value: string): RateLimitConfig | 'off' {
  if (value.trim() === 'off') return 'off';
  const out: RateLimitConfig = structuredClone(DEFAULT_RATE_LIMIT);
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(generate|status)=(\d{1,9})\/([1-9]\d{0,8})(ms|s|m)$/.exec(part);
    if (!m)
      throw new InvalidArgumentError(
        `expected off, or route=N/<window>(ms|s|m), e.g. generate=20/10s; got "${part}"`,
      );
    const unit = { ms: 1, s: 1000, m: 60_000 }[m[4] as 'ms' | 's' | 'm'];
    out[m[1] as 'generate' | 'status'] = { limit: Number(m[2]), windowMs: Number(m[3]) * unit };
  }
  return out;
}

/** `500=0.05,429=0.02` -> chaos probabilities. */
export function parseChaos(value: string): ChaosConfig {
  const out: ChaosConfig = { error500: 0, error429: 0 };
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(500|429)=(.+)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected 500=<p>,429=<p>; got "${part}"`);
    out[m[1] === '500' ? 'error500' : 'error429'] = probability(m[2]!);
  }
  return out;
}

function onOff(value: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected on or off');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function buildCommand(): Command {
  const fileLimit = openFileLimit();
  return new Command('dreamcore-simulator')
    .description('A stateful simulator of the Seedream 4.5 DreamCore API, driven by openapi.yaml.')
    .addOption(
      new Option('--port <n>', 'port to listen on (0: any free port)')
        .env('PORT')
        .default(4010)
        .argParser(integer(0, 65535)),
    )
    .addOption(new Option('--host <addr>', 'address to listen on').env('HOST').default('127.0.0.1'))
    .addOption(
      new Option(
        '--seed <seed>',
        'seed of every random choice (ids, durations, outcomes, chaos); random if absent',
      ).env('DREAMCORE_SEED'),
    )
    .addOption(
      new Option('--clock <kind>', 'real, or virtual (moves only via POST /__mock/clock/advance)')
        .env('DREAMCORE_CLOCK')
        .choices(['real', 'virtual'])
        .default('real'),
    )
    .addOption(
      new Option(
        '--latency <profile>',
        'task durations: realistic (upstream figures), fast (seconds), instant',
      )
        .env('DREAMCORE_LATENCY')
        .choices([...LATENCY_PROFILES])
        .default('fast'),
    )
    .addOption(
      new Option('--failure-rate <p>', 'share of tasks that fail (default: 0.03 for realistic, else 0)')
        .env('DREAMCORE_FAILURE_RATE')
        .argParser(probability),
    )
    .addOption(
      new Option('--key <key=balance>', 'an API key and its credits; repeatable, or comma-separated')
        .env('DREAMCORE_KEYS')
        .argParser(keyList),
    )
    .addOption(
      new Option('--dev-key <on|off>', `create the dev key ${DEV_KEY} (${DEV_KEY_BALANCE} credits)`)
        .env('DREAMCORE_DEV_KEY')
        .argParser(onOff)
        .default(true),
    )
    .addOption(new Option('--no-dev-key', 'same as --dev-key off'))
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .env('LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .addOption(
      new Option('--request-log <on|off>', 'log one line per request')
        .env('DREAMCORE_REQUEST_LOG')
        .argParser(onOff)
        .default(true),
    )
    .addOption(
      new Option('--public-url <url>', 'base URL of image links (default: the address the client used)').env(
        'DREAMCORE_PUBLIC_URL',
      ),
    )
    .addOption(
      new Option('--body-limit <size>', 'largest accepted request body')
        .env('DREAMCORE_BODY_LIMIT')
        .default('64kb'),
    )
    .addOption(
      new Option('--validate-responses <on|off>', 'check every response against the spec')
        .env('DREAMCORE_VALIDATE_RESPONSES')
        .argParser(onOff)
        .default(false),
    )
    .addOption(
      new Option('--image-ttl <seconds>', 'how long image links work after success')
        .env('DREAMCORE_IMAGE_TTL')
        .argParser(integer(1))
        .default(86_400),
    )
    .addOption(
      new Option('--retain-tasks <n>', 'finished tasks kept at most (oldest dropped first)')
        .env('DREAMCORE_RETAIN_TASKS')
        .argParser(integer(1))
        .default(1_000_000),
    )
    .addOption(
      new Option('--retain-age <seconds>', 'finished tasks older than this are dropped')
        .env('DREAMCORE_RETAIN_AGE')
        .argParser(integer(1))
        .default(7 * 86_400),
    )
    .addOption(
      new Option('--rate-limit <spec>', 'off, or e.g. generate=20/10s,status=60/10s (token bucket per key)')
        .env('DREAMCORE_RATE_LIMIT')
        .argParser(parseRateLimit),
    )
    .addOption(
      new Option('--fault-headers <on|off>', 'honour X-Mock-* and Prefer headers')
        .env('DREAMCORE_FAULT_HEADERS')
        .argParser(onOff)
        .default(true),
    )
    .addOption(
      new Option('--max-delay-ms <ms>', 'cap of X-Mock-Delay-Ms and of a hang')
        .env('DREAMCORE_MAX_DELAY_MS')
        .argParser(integer(0))
        .default(30_000),
    )
    .addOption(
      new Option('--chaos <spec>', 'random errors on public routes, e.g. 500=0.05,429=0.02 (seeded)')
        .env('DREAMCORE_CHAOS')
        .argParser(parseChaos),
    )
    .addOption(
      new Option('--journal-size <n>', 'requests kept in the journal (0: off)')
        .env('DREAMCORE_JOURNAL_SIZE')
        .argParser(integer(0, 1_000_000))
        .default(1000),
    )
    .addOption(
      new Option(
        '--control-token <token>',
        'token for /__mock (generated when listening beyond loopback)',
      ).env('DREAMCORE_CONTROL_TOKEN'),
    )
    .addOption(
      new Option('--shutdown-grace-ms <ms>', 'how long to wait for requests in flight on SIGTERM')
        .env('DREAMCORE_SHUTDOWN_GRACE_MS')
        .argParser(integer(0))
        .default(5_000),
    )
    .addOption(
      new Option('--headers-timeout-ms <ms>', "time to receive a request's headers (then 408)")
        .env('DREAMCORE_HEADERS_TIMEOUT_MS')
        .argParser(integer(1))
        .default(10_000),
    )
    .addOption(
      new Option(
        '--request-timeout-ms <ms>',
        'time to receive a whole request, body included (then 408); responses held by X-Mock-Delay-Ms are not cut',
      )
        .env('DREAMCORE_REQUEST_TIMEOUT_MS')
        .argParser(integer(1))
        .default(30_000),
    )
    .addOption(
      new Option('--keep-alive-timeout-ms <ms>', 'how long a kept-alive connection may idle between requests')
        .env('DREAMCORE_KEEP_ALIVE_TIMEOUT_MS')
        .argParser(integer(1))
        .default(65_000),
    )
    .addOption(
      new Option(
        '--max-connections <n>',
        'connections served at once; beyond, the longest idle one is closed, else 503',
      )
        .env('DREAMCORE_MAX_CONNECTIONS')
        .argParser(integer(1))
        .default(defaultMaxConnections(fileLimit), describeDefaultMaxConnections(fileLimit)),
    );
}

interface RawOptions {
  port: number;
  host: string;
  seed?: string;
  clock: ClockKind;
  latency: LatencyProfileName;
  failureRate?: number;
  key?: Array<{ apiKey: string; balance: number }>;
  devKey: boolean;
  logLevel: LogLevel;
  requestLog: boolean;
  publicUrl?: string;
  bodyLimit: string;
  validateResponses: boolean;
  imageTtl: number;
  retainTasks: number;
  retainAge: number;
  rateLimit?: RateLimitConfig | 'off';
  faultHeaders: boolean;
  maxDelayMs: number;
  chaos?: ChaosConfig;
  journalSize: number;
  controlToken?: string;
  shutdownGraceMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections?: number;
}

/** Parses argv (without node and script) and the environment into a Config; throws CommanderError on bad input. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const command = buildCommand()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const saved = process.env;
  process.env = env; // commander reads variables from process.env
  try {
    command.parse([...argv], { from: 'user' });
  } finally {
    process.env = saved;
  }
  return toConfig(command.opts<RawOptions>());
}

export function toConfig(raw: RawOptions): Config {
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
    clock: raw.clock,
    latency: raw.latency,
    failureRate: raw.failureRate ?? DEFAULT_FAILURE_RATE[raw.latency],
    keys: [...byKey.values()],
    logLevel: raw.logLevel,
    logRequests: raw.requestLog,
    publicUrl: raw.publicUrl,
    bodyLimit: raw.bodyLimit,
    validateResponses: raw.validateResponses,
    imageTtlMs: raw.imageTtl * 1000,
    retention: { maxTasks: raw.retainTasks, maxAgeMs: raw.retainAge * 1000, maxLedgerEntries: 10_000 },
    rateLimit: raw.rateLimit ?? DEFAULT_RATE_LIMIT,
    faultHeaders: raw.faultHeaders,
    maxDelayMs: raw.maxDelayMs,
    chaos: raw.chaos ?? { error500: 0, error429: 0 },
    journalSize: raw.journalSize,
    controlToken,
    controlTokenGenerated: raw.controlToken === undefined && controlToken !== undefined,
    shutdownGraceMs: raw.shutdownGraceMs,
    server: {
      headersTimeoutMs: raw.headersTimeoutMs,
      requestTimeoutMs: raw.requestTimeoutMs,
      keepAliveTimeoutMs: raw.keepAliveTimeoutMs,
      maxConnections: raw.maxConnections ?? defaultMaxConnections(openFileLimit()),
    },
  };
  if (raw.headersTimeoutMs > raw.requestTimeoutMs) {
    // Node refuses it too: the headers are part of the request.
    throw new CommanderError(
      2,
      'dreamcore.headersTimeout',
      `error: option '--headers-timeout-ms <ms>' (${raw.headersTimeoutMs}) must not exceed --request-timeout-ms (${raw.requestTimeoutMs})`,
    );
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
