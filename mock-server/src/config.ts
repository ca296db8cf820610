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

/**
 * A century, in seconds: the longest image TTL and retention age. Together with the clock's limit
 * (domain/clock.ts), every instant the simulator derives stays printable with a four-digit year.
 */
const MAX_DURATION_S = 100 * 365 * 86_400;

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

/**
 * Commander prefixes an InvalidArgumentError with the argument itself ("argument 'sk-…' is invalid"):
 * an error of another code is passed through as it is, so the key never reaches the terminal.
 */
/** A problem with the combination of options (each one valid alone), reported like commander's. */
function configError(message: string): CommanderError {
  return new CommanderError(2, 'commander.invalidCombination', `error: ${message}`);
}

function keyError(message: string): CommanderError {
  return new CommanderError(2, 'commander.invalidKey', `error: option '--key <key=balance>': ${message}`);
}

/**
 * `sk-a=100,sk-b=50` (also repeatable as flags) -> keys and balances. A mistake is reported by the
 * key's position, never by echoing the text: a mistyped key is still a key.
 */
function keyList(value: string, previous: Array<{ apiKey: string; balance: number }> = []) {
  const out = [...previous];
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  parts.forEach((part) => {
    const which = `key #${out.length + 1}`;
    const eq = part.lastIndexOf('=');
    const apiKey = eq >= 0 ? part.slice(0, eq) : part;
    const balanceText = eq >= 0 ? part.slice(eq + 1) : String(DEV_KEY_BALANCE);
    const balance = WHOLE.test(balanceText) ? Number(balanceText) : NaN;
    if (!/^[\x21-\x7e]{1,512}$/.test(apiKey)) {
      throw keyError(`invalid key: ${which} must be 1 to 512 printable ASCII characters, no spaces`);
    }
    if (!Number.isSafeInteger(balance) || balance < 0) {
      throw keyError(`invalid balance of ${which}: expected a whole number >= 0 after "="`);
    }
    out.push({ apiKey, balance });
  });
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

/**
 * One entry of `--allowed-hosts`: a host name, an IP literal (`[::1]` or `::1`), `.domain` or `*.domain`
 * (the domain and its subdomains, stored as `.domain`), or `*`. A port is ignored.
 */
function hostPattern(entry: string): string {
  const value = entry.trim().toLowerCase();
  if (value === '*') return '*';
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  if (/^[0-9a-f:]+$/.test(value) && value.includes('::')) return value; // a bare IPv6 literal
  const withoutPort = value.replace(/:\d{1,5}$/, '');
  const domain = /^(?:\*?\.)(.+)$/.exec(withoutPort)?.[1];
  if (domain !== undefined) {
    if (!HOST_NAME.test(domain)) throw new InvalidArgumentError(`"${entry}" is not a domain`);
    return `.${domain}`;
  }
  if (!HOST_NAME.test(withoutPort)) {
    throw new InvalidArgumentError(`"${entry}" is not a host name, an IP address, .domain, *.domain or *`);
  }
  return withoutPort;
}

/** A DNS name or IPv4 address: labels of letters, digits, `-` and `_` (container names), dot-separated. */
export const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

function hostList(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new InvalidArgumentError('expected *, or host names separated by commas');
  const patterns = entries.map(hostPattern);
  return patterns.includes('*') ? ['*'] : [...new Set(patterns)];
}

/** `https://app.example:8443` -> its origin (scheme, host, port; lowercase, default port dropped). */
function origin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry.trim());
  } catch {
    throw new InvalidArgumentError(`"${entry}" is not an origin such as https://app.example:8443`);
  }
  const text = entry.trim().replace(/\/$/, '').toLowerCase();
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text) {
    throw new InvalidArgumentError(
      `"${entry}" is not an origin (scheme://host[:port], no path) such as https://app.example:8443`,
    );
  }
  return url.origin;
}

function originList(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return [...new Set(entries.map(origin))];
}

export function parseCors(value: string): '*' | 'off' | string[] {
  const trimmed = value.trim();
  if (trimmed === '*' || trimmed === 'off') return trimmed;
  const origins = originList(trimmed);
  if (origins.length === 0) throw new InvalidArgumentError('expected off, *, or origins separated by commas');
  return origins;
}

export function parseControlCors(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === 'off' || trimmed === '') return [];
  if (trimmed.split(',').some((e) => e.trim() === '*')) {
    throw new InvalidArgumentError(
      'the control API cannot be opened to every origin: name the origins of the pages that may use it',
    );
  }
  return originList(trimmed);
}

/** The loopback names a local browser uses for the simulator, the default of `--allowed-hosts`. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '.localhost', '127.0.0.1', '::1'];

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
      new Option(
        '--exact-replay <on|off>',
        'task ids follow from the seed alone, so a restart with the same seed replays them too',
      )
        .env('DREAMCORE_EXACT_REPLAY')
        .argParser(onOff)
        .default(false, 'off'),
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
        .default(true, 'on'),
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
        .default(true, 'on'),
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
        .default(false, 'off'),
    )
    .addOption(
      new Option('--image-ttl <seconds>', 'how long image links work after success')
        .env('DREAMCORE_IMAGE_TTL')
        .argParser(integer(1, MAX_DURATION_S))
        .default(86_400),
    )
    .addOption(
      new Option(
        '--retain-tasks <n>',
        'tasks kept at most per world: finished ones go first, then the oldest in progress (abandoned, refunded)',
      )
        .env('DREAMCORE_RETAIN_TASKS')
        .argParser(integer(1))
        .default(1_000_000),
    )
    .addOption(
      new Option(
        '--retain-age <seconds>',
        'finished tasks are dropped this long after they end; tasks still in progress at this age are abandoned (failed, refunded)',
      )
        .env('DREAMCORE_RETAIN_AGE')
        .argParser(integer(1, MAX_DURATION_S))
        .default(7 * 86_400),
    )
    .addOption(
      new Option('--rate-limit <spec>', 'off, or route=N/<window> (a token bucket per key and route)')
        .env('DREAMCORE_RATE_LIMIT')
        .argParser(parseRateLimit)
        .default(DEFAULT_RATE_LIMIT, 'generate=20/10s,status=60/10s'),
    )
    .addOption(
      new Option('--fault-headers <on|off>', 'honour X-Mock-* and Prefer headers')
        .env('DREAMCORE_FAULT_HEADERS')
        .argParser(onOff)
        .default(true, 'on'),
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
        .argParser(parseChaos)
        .default({ error500: 0, error429: 0 }, 'off'),
    )
    .addOption(
      new Option('--journal-size <n>', 'requests kept in the journal (0: off)')
        .env('DREAMCORE_JOURNAL_SIZE')
        .argParser(integer(0, 1_000_000))
        .default(1000),
    )
    .addOption(
      new Option('--journal-max-mb <n>', 'memory the journal may hold, in MiB (the oldest entries go first)')
        .env('DREAMCORE_JOURNAL_MAX_MB')
        .argParser(integer(1, 65_536))
        .default(64),
    )
    .addOption(
      new Option('--store <kind>', 'where state lives: memory (this process) or redis (shared by a fleet)')
        .env('DREAMCORE_STORE')
        .choices(['memory', 'redis'])
        .default('memory'),
    )
    .addOption(
      new Option('--redis-url <url>', 'the Redis of --store redis, e.g. redis://127.0.0.1:6379').env(
        'REDIS_URL',
      ),
    )
    .addOption(
      new Option(
        '--redis-prefix <prefix>',
        'prefix of every Redis key (several simulators can share one Redis)',
      )
        .env('DREAMCORE_REDIS_PREFIX')
        .argParser((value: string) => {
          if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value))
            throw new InvalidArgumentError('expected 1 to 64 letters, digits, _ . or -');
          return value;
        })
        .default('dc'),
    )
    .addOption(
      new Option('--workers <n>', 'processes serving one port (node cluster); needs --store redis')
        .env('DREAMCORE_WORKERS')
        .argParser(integer(1, 64))
        .default(1),
    )
    .addOption(
      new Option(
        '--tenant-creation <who>',
        'who may create a tenant: open (anyone reaching /__mock) or operator',
      )
        .env('DREAMCORE_TENANT_CREATION')
        .choices(['open', 'operator'])
        .default('open'),
    )
    .addOption(
      new Option('--tenant-idle-timeout <seconds>', 'a tenant without a request for this long is dropped')
        .env('DREAMCORE_TENANT_IDLE_TIMEOUT')
        .argParser(integer(1, 604_800))
        .default(3600),
    )
    .addOption(
      new Option('--max-tenants <n>', 'tenants held at most (creating one more answers 503)')
        .env('DREAMCORE_MAX_TENANTS')
        .argParser(integer(0, 100_000))
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
      new Option(
        '--allowed-hosts <list>',
        'Host names served (port ignored; .domain or *.domain for subdomains; * for any); others get 403 ' +
          "(default: on loopback: localhost, *.localhost, 127.0.0.1, [::1], --host and --public-url's host; " +
          'beyond loopback: *)',
      )
        .env('DREAMCORE_ALLOWED_HOSTS')
        .argParser(hostList),
    )
    .addOption(
      new Option(
        '--cors <off|*|origins>',
        'CORS of the public API and image files: *, origins (comma-separated) or off',
      )
        .env('DREAMCORE_CORS')
        .argParser(parseCors)
        .default('*' as const, '*'),
    )
    .addOption(
      new Option('--control-cors <origins>', 'origins whose pages may use /__mock (comma-separated)')
        .env('DREAMCORE_CONTROL_CORS')
        .argParser(parseControlCors)
        .default([] as string[], 'off'),
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
    )
    .addOption(
      new Option(
        '--proxy <url>',
        "forward the public API to this live base URL with the caller's key, checking every exchange against openapi.yaml",
      )
        .env('DREAMCORE_PROXY')
        .argParser(baseUrl),
    )
    .addOption(
      new Option(
        '--proxy-strict <on|off>',
        'in proxy and replay modes, answer 502 instead of an answer that breaks openapi.yaml (400 for such a request)',
      )
        .env('DREAMCORE_PROXY_STRICT')
        .argParser(onOff)
        .default(false, 'off'),
    )
    .addOption(
      new Option(
        '--proxy-max-credits <n>',
        'refuse (402, locally) a generate that would take the credits forwarded past n',
      )
        .env('DREAMCORE_PROXY_MAX_CREDITS')
        .argParser(integer(0, 1_000_000_000)),
    )
    .addOption(
      new Option('--proxy-timeout-ms <ms>', "how long to wait for the live API's answer (then 504)")
        .env('DREAMCORE_PROXY_TIMEOUT_MS')
        .argParser(integer(1, 600_000))
        .default(30_000),
    )
    .addOption(
      new Option('--record <file>', 'with --proxy: write every proxied exchange to this cassette').env(
        'DREAMCORE_RECORD',
      ),
    )
    .addOption(
      new Option('--replay <file>', 'answer the public API from this cassette, without any network')
        .env('DREAMCORE_REPLAY')
        .conflicts(['proxy', 'record']),
    )
    .addOption(
      new Option(
        '--replay-timing <timing>',
        "clock: a task's recorded answers follow the simulator's clock; polls: the next one at each poll",
      )
        .env('DREAMCORE_REPLAY_TIMING')
        .choices(['clock', 'polls'])
        .default('clock'),
    )
    .addOption(
      new Option(
        '--scenario <file>',
        'fault rules to load at start and at every reset (npm run cassette -- to-scenario makes one)',
      ).env('DREAMCORE_SCENARIO'),
    );
}

/** An http(s) base URL without a query or fragment (a path prefix is kept). */
function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('expected an http(s) base URL such as https://seedream45ai.org');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('expected an http(s) base URL without a query or fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

interface RawOptions {
  port: number;
  host: string;
  seed?: string;
  exactReplay: boolean;
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
  journalMaxMb: number;
  store: 'memory' | 'redis';
  redisUrl?: string;
  redisPrefix: string;
  workers: number;
  tenantCreation: 'open' | 'operator';
  tenantIdleTimeout: number;
  maxTenants: number;
  controlToken?: string;
  shutdownGraceMs: number;
  allowedHosts?: string[];
  cors: '*' | 'off' | string[];
  controlCors: string[];
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections?: number;
  proxy?: string;
  proxyStrict: boolean;
  proxyMaxCredits?: number;
  proxyTimeoutMs: number;
  record?: string;
  replay?: string;
  replayTiming: 'clock' | 'polls';
  scenario?: string;
  /** Whether `--rate-limit` (or its variable) was given: proxy and replay modes turn it off otherwise. */
  rateLimitExplicit?: boolean;
}

/**
 * Parses argv (without node and script) and the environment into a Config; throws CommanderError on
 * bad input. `env` is typed without Node's types: this reaches the package's published declarations.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
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
  const raw = command.opts<RawOptions>();
  // Options of proxy mode that would silently do nothing without it: a credit guard that guards
  // nothing is worse than none, since whoever set it believes they are protected.
  const needsProxy: Array<[unknown, string, string]> = [
    [raw.record, '--record <file>', 'records what the live API answers'],
    [raw.proxyMaxCredits, '--proxy-max-credits <n>', 'guards the credits forwarded to the live API'],
  ];
  for (const [value, flag, what] of needsProxy) {
    if (value !== undefined && raw.proxy === undefined) {
      throw new CommanderError(
        2,
        'commander.missingProxy',
        `error: option '${flag}' ${what}: it needs --proxy <url>`,
      );
    }
  }
  return toConfig({ ...raw, rateLimitExplicit: command.getOptionValueSource('rateLimit') !== 'default' });
}

export function toConfig(raw: RawOptions): Config {
  const keys = [...(raw.devKey ? [{ apiKey: DEV_KEY, balance: DEV_KEY_BALANCE }] : []), ...(raw.key ?? [])];
  // A later entry for the same key wins, so `--key sk-dreamcore-dev=5` re-funds the dev key.
  const byKey = new Map(keys.map((k) => [k.apiKey, k]));
  if (raw.store === 'redis' && !raw.redisUrl)
    throw configError('--store redis needs --redis-url (or REDIS_URL), e.g. redis://127.0.0.1:6379');
  if (raw.workers > 1 && raw.store !== 'redis')
    throw configError(
      '--workers needs --store redis: with the memory store each worker would be a simulator of its own, with its own balances and tasks',
    );
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
    validateResponses: raw.validateResponses,
    imageTtlMs: raw.imageTtl * 1000,
    retention: { maxTasks: raw.retainTasks, maxAgeMs: raw.retainAge * 1000, maxLedgerEntries: 10_000 },
    rateLimit: raw.rateLimit ?? DEFAULT_RATE_LIMIT,
    faultHeaders: raw.faultHeaders,
    maxDelayMs: raw.maxDelayMs,
    chaos: raw.chaos ?? { error500: 0, error429: 0 },
    journalSize: raw.journalSize,
    journalMaxBytes: raw.journalMaxMb * 1024 * 1024,
    store: raw.store,
    redisUrl: raw.redisUrl,
    redisPrefix: raw.redisPrefix,
    workers: raw.workers,
    tenantCreation: raw.tenantCreation,
    tenantIdleTimeoutMs: raw.tenantIdleTimeout * 1000,
    maxTenants: raw.maxTenants,
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
  if (raw.headersTimeoutMs > raw.requestTimeoutMs) {
    // Node refuses it too: the headers are part of the request.
    throw new CommanderError(
      2,
      'dreamcore.headersTimeout',
      `error: option '--headers-timeout-ms <ms>' (${raw.headersTimeoutMs}) must not exceed --request-timeout-ms (${raw.requestTimeoutMs})`,
    );
  }
  // In front of the live API (or a recording of it), its own limits are the ones that count: the
  // simulator's buckets would only add 429s the provider never sent. `--rate-limit` brings them back.
  if ((config.proxy || config.replay) && !raw.rateLimitExplicit) config.rateLimit = 'off';
  return deepFreeze(config);
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
