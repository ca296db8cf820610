/**
 * Every option of the simulator, declared once: its flag, environment variable, default, parser,
 * help text and --help group. The rest derives from this table: commander's command (command.ts),
 * the parsed options' type (ParsedOptions), startSimulator()'s options (embed/options.ts) and the
 * reference, docs/reference/options.md (`npm run docs:options`). The Config the simulator runs on is
 * built from the parsed options by toConfig (config.ts), which also checks how options combine.
 */
import { DEFAULT_FAILURE_RATE, LATENCY_PROFILES } from '../domain/latency.js';
import { RULES, type RuleId } from '../verdict/rules/index.js';
import { parseVerdictSettings } from './report-settings.js';
import { describeDefaultMaxConnections, openFileLimit } from '../connection-limit.js';
import { defaultBudgetBytes } from '../store/heap-budget.js';
import { FAIR_SHARE_DEFAULTS } from './fair-share-options.js';
import {
  baseUrl,
  choice,
  DEFAULT_RATE_LIMIT,
  DEV_KEY,
  DEV_KEY_BALANCE,
  formatPerWindow,
  formatRateLimit,
  fraction,
  utilisationOrOff,
  hostList,
  integer,
  keyList,
  onOff,
  parseChaos,
  parseControlCors,
  parseCors,
  parsePerWindow,
  parseRateLimit,
  probability,
  redisPrefix,
  text,
} from './parsers.js';

/** Tenants one caller may create per window without the control token. */
const DEFAULT_TENANT_CREATION_RATE = { limit: 30, windowMs: 60_000 };

/** The sections of --help and of the reference, in their order. */
export const GROUPS = {
  basics: 'Basics',
  qa: 'QA: faults, chaos, journal',
  report: 'Verdict: is the client ready? (/__mock/report)',
  limits: 'Limits and access',
  tenants: 'Tenants',
  fleet: 'Fleet: shared state',
  proxy: 'Proxy, record, replay',
} as const;

export type Group = keyof typeof GROUPS;

interface OptionFields<T> {
  /** The value's placeholder after the flag: `<n>`, `<on|off>`. */
  arg: string;
  env: string;
  /** A method, so that a table of options of every type is a table of OptionSpec<unknown>. */
  parse(value: string, previous?: T): T;
  help: string;
  group: Group;
  /**
   * How the default reads, where the value would not say it (`on` for true), where there is no
   * value (it is chosen at start), or where it depends on the machine (`help` then computes it for
   * --help, and `docs` says how for the reference).
   */
  shownDefault?: string | { help: () => string; docs: string };
  /** `--no-<flag>` too, the same as `<flag> off`. */
  negatable?: true;
  /** Never echoed in an error message, even mistyped. */
  secret?: true;
}

/** @typeParam HasDefault whether the option has a value when not given (else it is undefined) */
export interface OptionSpec<T = unknown, HasDefault extends boolean = boolean> extends OptionFields<T> {
  /** What the option is when not given (commander's default, and startSimulator()'s). */
  default: HasDefault extends true ? T : undefined;
  /** Why startSimulator() does not take it, for an option of the command line only. */
  cliOnly?: string;
}

function option<T>(spec: OptionFields<T> & { default: NoInfer<T> }): OptionSpec<T, true>;
function option<T>(spec: OptionFields<T>): OptionSpec<T, false>;
function option<T>(spec: OptionFields<T> & { default?: T }): OptionSpec<T> {
  return { ...spec, default: spec.default };
}

/** An option of the command line only: `reason` says why startSimulator() does not take it. */
function cliOnly<S extends OptionSpec>(reason: string, spec: S): S & { cliOnly: string } {
  return { ...spec, cliOnly: reason };
}

/**
 * A century, in seconds: the longest image TTL and retention age. Together with the clock's limit
 * (domain/clock.ts), every instant the simulator derives stays printable with a four-digit year.
 */
const MAX_DURATION_S = 100 * 365 * 86_400;

/**
 * An option for one threshold of a verdict rule (verdict/rules/): its default and bounds are the
 * rule's own, so they are written once, in the rule.
 */
function ruleThreshold<R extends RuleId>(
  rule: R,
  field: keyof Extract<(typeof RULES)[number], { id: R }>['defaults'] & string,
  spec: Pick<OptionFields<number>, 'env' | 'help'>,
): OptionSpec<number, true> & { threshold: { rule: R; field: string } } {
  const { defaults, bounds } = RULES.find((r) => r.id === rule)! as {
    defaults: Record<string, number>;
    bounds: Record<string, { min: number; max: number }>;
  };
  return {
    ...option({
      arg: '<ms>',
      ...spec,
      default: defaults[field]!,
      parse: integer(bounds[field]!.min, bounds[field]!.max),
      group: 'report',
    }),
    threshold: { rule, field },
  };
}

const EMBEDDED_STATE = 'an embedded simulator keeps its state in memory (its stop() closes no Redis client)';
const EMBEDDED_SERVER =
  "startSimulator() serves with Node's own server limits, not the CLI's (http/server.ts)";

/** The options, by the name commander gives each (its flag camelCased), in --help's order. */
export const OPTIONS = {
  port: option({
    arg: '<n>',
    env: 'PORT',
    default: 4010,
    parse: integer(0, 65535),
    help: 'port to listen on (0: any free port)',
    group: 'basics',
  }),
  host: option({
    arg: '<addr>',
    env: 'HOST',
    default: '127.0.0.1',
    parse: text,
    help: 'address to listen on',
    group: 'basics',
  }),
  seed: option({
    arg: '<seed>',
    env: 'DREAMCORE_SEED',
    parse: text,
    help: 'seed of every random choice (ids, durations, outcomes, chaos)',
    shownDefault: 'random, printed in the banner',
    group: 'basics',
  }),
  exactReplay: option({
    arg: '<on|off>',
    env: 'DREAMCORE_EXACT_REPLAY',
    default: false,
    shownDefault: 'off',
    parse: onOff,
    help: 'task ids follow from the seed alone, so a restart with the same seed replays them too',
    group: 'basics',
  }),
  clock: option({
    arg: '<kind>',
    env: 'DREAMCORE_CLOCK',
    default: 'real',
    parse: choice(['real', 'virtual']),
    help: 'real, or virtual (moves only via POST /__mock/clock/advance)',
    group: 'basics',
  }),
  latency: option({
    arg: '<profile>',
    env: 'DREAMCORE_LATENCY',
    default: 'fast',
    parse: choice(LATENCY_PROFILES),
    help: 'task durations: realistic (upstream figures), fast (seconds), instant',
    group: 'basics',
  }),
  failureRate: option({
    arg: '<p>',
    env: 'DREAMCORE_FAILURE_RATE',
    parse: probability,
    help: 'share of tasks that fail',
    shownDefault: `${LATENCY_PROFILES.filter((p) => DEFAULT_FAILURE_RATE[p] !== 0)
      .map((p) => `${DEFAULT_FAILURE_RATE[p]} for ${p}`)
      .join(', ')}, else 0`,
    group: 'basics',
  }),
  key: option({
    arg: '<key=balance>',
    env: 'DREAMCORE_KEYS',
    parse: keyList,
    help: 'an API key and its credits; repeatable, or comma-separated',
    secret: true,
    group: 'basics',
  }),
  devKey: option({
    arg: '<on|off>',
    env: 'DREAMCORE_DEV_KEY',
    default: true,
    shownDefault: 'on',
    parse: onOff,
    help: `create the dev key ${DEV_KEY} (${DEV_KEY_BALANCE} credits)`,
    negatable: true,
    group: 'basics',
  }),
  logLevel: option({
    arg: '<level>',
    env: 'LOG_LEVEL',
    default: 'info',
    parse: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    help: 'pino log level',
    group: 'basics',
  }),
  requestLog: option({
    arg: '<on|off>',
    env: 'DREAMCORE_REQUEST_LOG',
    default: true,
    shownDefault: 'on',
    parse: onOff,
    help: 'log one line per request',
    group: 'basics',
  }),
  publicUrl: option({
    arg: '<url>',
    env: 'DREAMCORE_PUBLIC_URL',
    parse: text,
    help: 'base URL of image links',
    shownDefault: 'the address the client used',
    group: 'basics',
  }),

  faultHeaders: option({
    arg: '<on|off>',
    env: 'DREAMCORE_FAULT_HEADERS',
    default: true,
    shownDefault: 'on',
    parse: onOff,
    help: 'honour X-Mock-* and Prefer headers',
    group: 'qa',
  }),
  maxDelayMs: option({
    arg: '<ms>',
    env: 'DREAMCORE_MAX_DELAY_MS',
    default: 30_000,
    parse: integer(0),
    help: 'cap of X-Mock-Delay-Ms and of a hang',
    group: 'qa',
  }),
  chaos: option({
    arg: '<spec>',
    env: 'DREAMCORE_CHAOS',
    default: { error500: 0, error429: 0 },
    shownDefault: 'off',
    parse: parseChaos,
    help: 'random errors on public routes, e.g. 500=0.05,429=0.02 (seeded)',
    group: 'qa',
  }),
  scenario: option({
    arg: '<file>',
    env: 'DREAMCORE_SCENARIO',
    parse: text,
    help: 'fault rules to load at start and at every reset (dreamcore-simulator cassette to-scenario makes one)',
    group: 'qa',
  }),
  journalSize: option({
    arg: '<n>',
    env: 'DREAMCORE_JOURNAL_SIZE',
    default: 1000,
    parse: integer(0, 1_000_000),
    help: 'requests kept in the journal (0: off)',
    group: 'qa',
  }),
  journalMaxMb: option({
    arg: '<n>',
    env: 'DREAMCORE_JOURNAL_MAX_MB',
    default: 64,
    parse: integer(1, 65_536),
    help: 'memory the journal may hold, in MiB (the oldest entries go first)',
    group: 'qa',
  }),
  validateResponses: option({
    arg: '<on|off>',
    env: 'DREAMCORE_VALIDATE_RESPONSES',
    default: false,
    shownDefault: 'off',
    parse: onOff,
    help: 'check every response against the spec',
    group: 'qa',
  }),

  report: option({
    arg: '<on|off>',
    env: 'DREAMCORE_REPORT',
    default: true,
    shownDefault: 'on',
    parse: onOff,
    help: "judge the client's requests against the verdict rules (off: nothing is observed)",
    group: 'report',
  }),
  reportRetryAfterToleranceMs: ruleThreshold('retry-after-ignored', 'tolerance_ms', {
    env: 'DREAMCORE_REPORT_RETRY_AFTER_TOLERANCE_MS',
    help: 'retry-after-ignored: how much sooner than Retry-After a request may come',
  }),
  reportPollIntervalMs: ruleThreshold('poll-too-fast', 'min_interval_ms', {
    env: 'DREAMCORE_REPORT_POLL_INTERVAL_MS',
    help: 'poll-too-fast: the least interval between two polls of one task',
  }),
  reportDuplicateWindowMs: ruleThreshold('duplicate-generate', 'window_ms', {
    env: 'DREAMCORE_REPORT_DUPLICATE_WINDOW_MS',
    help: 'duplicate-generate: how close two accepted generates of the same body and key are a double charge',
  }),
  reportAbandonGraceMs: ruleThreshold('abandoned-task', 'grace_ms', {
    env: 'DREAMCORE_REPORT_ABANDON_GRACE_MS',
    help: 'abandoned-task: how long after its end a task nobody read is a finding',
  }),
  reportSettings: option({
    arg: '<json>',
    env: 'DREAMCORE_REPORT_SETTINGS',
    parse: parseVerdictSettings,
    help: 'every rule\'s switch, severity and thresholds, and the caps, as JSON, e.g. {"rules":{"duplicate-generate":"off"}} (docs/reference/verdict-rules.md)',
    shownDefault: "the rules' defaults",
    group: 'report',
  }),

  rateLimit: option({
    arg: '<spec>',
    env: 'DREAMCORE_RATE_LIMIT',
    default: DEFAULT_RATE_LIMIT,
    shownDefault: formatRateLimit(DEFAULT_RATE_LIMIT),
    parse: parseRateLimit,
    help: 'off, or route=N/<window> (a token bucket per key and route)',
    group: 'limits',
  }),
  bodyLimit: option({
    arg: '<size>',
    env: 'DREAMCORE_BODY_LIMIT',
    default: '64kb',
    parse: text,
    help: 'largest accepted request body',
    group: 'limits',
  }),
  imageTtl: option({
    arg: '<seconds>',
    env: 'DREAMCORE_IMAGE_TTL',
    default: 86_400,
    parse: integer(1, MAX_DURATION_S),
    help: 'how long image links work after success',
    group: 'limits',
  }),
  retainTasks: option({
    arg: '<n>',
    env: 'DREAMCORE_RETAIN_TASKS',
    default: 1_000_000,
    parse: integer(1),
    help: 'tasks kept at most per world: finished ones go first, then the oldest in progress (abandoned, refunded)',
    group: 'limits',
  }),
  retainAge: option({
    arg: '<seconds>',
    env: 'DREAMCORE_RETAIN_AGE',
    default: 7 * 86_400,
    parse: integer(1, MAX_DURATION_S),
    help: 'finished tasks are dropped this long after they end; tasks still in progress at this age are abandoned (failed, refunded)',
    group: 'limits',
  }),
  maxJournalWaits: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_JOURNAL_WAITS',
    default: 64,
    parse: integer(1, 100_000),
    help: 'GET /__mock/journal/wait requests held at once per world, per process (beyond: 429)',
    group: 'limits',
  }),
  maxJournalStreams: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_JOURNAL_STREAMS',
    default: 64,
    parse: integer(1, 100_000),
    help: 'GET /__mock/journal/stream connections open at once per world, per process (beyond: 429)',
    group: 'limits',
  }),
  memoryBudgetMb: option({
    arg: '<n>',
    env: 'DREAMCORE_MEMORY_BUDGET_MB',
    parse: integer(1, 1_048_576),
    help: 'memory all worlds together may hold, in MiB (memory store): past it, journals keep fewer entries and new rules, accounts, tasks and tenants are refused (503)',
    // Computed at start (memory-budget.ts), from the V8 heap's limit.
    shownDefault: {
      help: () => `${Math.round(defaultBudgetBytes() / 1024 / 1024)} (half the V8 heap's old generation)`,
      docs: "half the V8 heap's old generation: of --max-old-space-size when node is given it, else of the heap's limit less the young generation",
    },
    group: 'limits',
  }),
  maxRules: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_RULES',
    default: 1_000,
    parse: integer(1, 10_000),
    help: 'fault rules one world holds at most (one more: 429)',
    group: 'limits',
  }),
  maxAccounts: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_ACCOUNTS',
    default: 10_000,
    parse: integer(1, 100_000),
    help: 'accounts (API keys) one world holds at most (one more: 429)',
    group: 'limits',
  }),
  headersTimeoutMs: cliOnly(
    EMBEDDED_SERVER,
    option({
      arg: '<ms>',
      env: 'DREAMCORE_HEADERS_TIMEOUT_MS',
      default: 10_000,
      parse: integer(1),
      help: "time to receive a request's headers (then 408)",
      group: 'limits',
    }),
  ),
  requestTimeoutMs: cliOnly(
    EMBEDDED_SERVER,
    option({
      arg: '<ms>',
      env: 'DREAMCORE_REQUEST_TIMEOUT_MS',
      default: 30_000,
      parse: integer(1),
      help: 'time to receive a whole request, body included (then 408); responses held by X-Mock-Delay-Ms are not cut',
      group: 'limits',
    }),
  ),
  keepAliveTimeoutMs: cliOnly(
    EMBEDDED_SERVER,
    option({
      arg: '<ms>',
      env: 'DREAMCORE_KEEP_ALIVE_TIMEOUT_MS',
      default: 65_000,
      parse: integer(1),
      help: 'how long a kept-alive connection may idle between requests',
      group: 'limits',
    }),
  ),
  maxConnections: cliOnly(
    EMBEDDED_SERVER,
    option({
      arg: '<n>',
      env: 'DREAMCORE_MAX_CONNECTIONS',
      parse: integer(1),
      help: 'connections served at once; beyond, the longest idle one is closed, else 503',
      // Computed at start (config.ts), from the machine's open-file limit.
      shownDefault: {
        help: () => describeDefaultMaxConnections(openFileLimit()),
        docs: 'from the open-file limit: 80 % of it less 128 descriptors, at most 10000',
      },
      group: 'limits',
    }),
  ),
  shutdownGraceMs: option({
    arg: '<ms>',
    env: 'DREAMCORE_SHUTDOWN_GRACE_MS',
    default: 5_000,
    parse: integer(0),
    help: 'how long to wait for requests in flight on SIGTERM',
    group: 'limits',
  }),
  controlToken: option({
    arg: '<token>',
    env: 'DREAMCORE_CONTROL_TOKEN',
    parse: text,
    help: 'token for /__mock',
    shownDefault: 'generated when listening beyond loopback',
    secret: true,
    group: 'limits',
  }),
  allowedHosts: option({
    arg: '<list>',
    env: 'DREAMCORE_ALLOWED_HOSTS',
    parse: hostList,
    help: 'Host names served (port ignored; .domain or *.domain for subdomains; * for any); others get 403',
    shownDefault:
      "on loopback: localhost, *.localhost, 127.0.0.1, [::1], --host and --public-url's host; beyond loopback: *",
    group: 'limits',
  }),
  cors: option({
    arg: '<off|*|origins>',
    env: 'DREAMCORE_CORS',
    default: '*',
    shownDefault: '*',
    parse: parseCors,
    help: 'CORS of the public API and image files: *, origins (comma-separated) or off',
    group: 'limits',
  }),
  controlCors: option({
    arg: '<origins>',
    env: 'DREAMCORE_CONTROL_CORS',
    default: [],
    shownDefault: 'off',
    parse: parseControlCors,
    help: 'origins whose pages may use /__mock (comma-separated)',
    group: 'limits',
  }),

  tenantCreation: option({
    arg: '<who>',
    env: 'DREAMCORE_TENANT_CREATION',
    default: 'open',
    parse: choice(['open', 'operator']),
    help: 'who may create a tenant: open (anyone reaching /__mock) or operator',
    group: 'tenants',
  }),
  tenantIdleTimeout: option({
    arg: '<seconds>',
    env: 'DREAMCORE_TENANT_IDLE_TIMEOUT',
    default: 3600,
    parse: integer(1, 604_800),
    help: 'a tenant without a request for this long is dropped',
    group: 'tenants',
  }),
  maxTenants: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_TENANTS',
    default: 1000,
    parse: integer(0, 100_000),
    help: 'tenants held at most (creating one more answers 503)',
    group: 'tenants',
  }),
  // A caller's share of open creation (tenancy/creation-shares.ts); the operator has none.
  maxTenantsPerCaller: option({
    arg: '<n>',
    env: 'DREAMCORE_MAX_TENANTS_PER_CALLER',
    parse: integer(1, 100_000),
    shownDefault: 'a quarter of --max-tenants',
    help: 'live tenants one caller (an address) may hold without the control token (beyond: 429)',
    group: 'tenants',
  }),
  tenantCreationRate: option({
    arg: '<n/window>',
    env: 'DREAMCORE_TENANT_CREATION_RATE',
    default: DEFAULT_TENANT_CREATION_RATE,
    shownDefault: formatPerWindow(DEFAULT_TENANT_CREATION_RATE),
    parse: parsePerWindow,
    help: 'tenants one caller (an address) may create per window without the control token (beyond: 429)',
    group: 'tenants',
  }),
  tenantMaxKeys: option({
    arg: '<n>',
    env: 'DREAMCORE_TENANT_MAX_KEYS',
    default: 20,
    parse: integer(1, 10_000),
    help: 'API keys a tenant may hold unless the operator makes them (at creation, and those it names)',
    group: 'tenants',
  }),
  tenantMaxIdleTimeout: option({
    arg: '<seconds>',
    env: 'DREAMCORE_TENANT_MAX_IDLE_TIMEOUT',
    default: 86_400,
    parse: integer(1, 604_800),
    help: 'the longest idleTimeoutS a tenant may be created with without the control token',
    group: 'tenants',
  }),
  tenantMemoryShare: option({
    arg: '<fraction>',
    env: 'DREAMCORE_TENANT_MEMORY_SHARE',
    default: 0.125,
    parse: fraction,
    help: 'the share of --memory-budget-mb one tenant may hold: beyond, its journal keeps fewer entries and its new rules, accounts and tasks are refused (429; a generate 503)',
    group: 'tenants',
  }),
  // The time of a busy process shared out by party (http/fair-share.ts).
  fairShareBusy: option({
    arg: '<fraction|off>',
    env: 'DREAMCORE_FAIR_SHARE_BUSY',
    // On by default: it only paces (a well-behaved heavy client is slowed to its share, never refused
    // while it waits less than 2 s), and a simulator shared by many jobs needs it most when nobody
    // thought to turn it on (docs/reference/resource-model.md).
    default: 0.8,
    parse: utilisationOrOff,
    help:
      'how busy the event loop must be (0 to 1) before a party (a tenant, the tenants one address created, the default world, ' +
      `or an address) past ${FAIR_SHARE_DEFAULTS.slack} equal shares of the last second's work waits for its share, its body unread ` +
      `(past ${FAIR_SHARE_DEFAULTS.maxHeld} waiting or ${FAIR_SHARE_DEFAULTS.maxHoldMs / 1000} s: 503, Retry-After: 1); off: never`,
    group: 'limits',
  }),
  // Shares protect tenants from one another; this protects everyone from one caller's many tenants.
  callerMemoryShare: option({
    arg: '<fraction>',
    env: 'DREAMCORE_CALLER_MEMORY_SHARE',
    default: 0.25,
    parse: fraction,
    help: 'the share of --memory-budget-mb the tenants one caller (an address) created without the control token may hold together: beyond, their new rules, accounts and tasks are refused (429; a generate 503)',
    group: 'tenants',
  }),

  store: cliOnly(
    EMBEDDED_STATE,
    option({
      arg: '<kind>',
      env: 'DREAMCORE_STORE',
      default: 'memory',
      parse: choice(['memory', 'redis']),
      help: 'where state lives: memory (this process) or redis (shared by a fleet)',
      group: 'fleet',
    }),
  ),
  redisUrl: cliOnly(
    EMBEDDED_STATE,
    option({
      arg: '<url>',
      env: 'REDIS_URL',
      parse: text,
      help: 'the Redis of --store redis, e.g. redis://127.0.0.1:6379',
      group: 'fleet',
    }),
  ),
  redisPrefix: cliOnly(
    EMBEDDED_STATE,
    option({
      arg: '<prefix>',
      env: 'DREAMCORE_REDIS_PREFIX',
      default: 'dc',
      parse: redisPrefix,
      help: 'prefix of every Redis key (several simulators can share one Redis)',
      group: 'fleet',
    }),
  ),
  workers: cliOnly(
    "an embedded simulator is the caller's process: the cluster module forks the CLI",
    option({
      arg: '<n>',
      env: 'DREAMCORE_WORKERS',
      default: 1,
      parse: integer(1, 64),
      help: 'processes serving one port (node cluster); needs --store redis',
      group: 'fleet',
    }),
  ),

  proxy: option({
    arg: '<url>',
    env: 'DREAMCORE_PROXY',
    parse: baseUrl,
    help: "forward the public API to this live base URL with the caller's key, checking every exchange against openapi.yaml",
    group: 'proxy',
  }),
  proxyStrict: option({
    arg: '<on|off>',
    env: 'DREAMCORE_PROXY_STRICT',
    default: false,
    shownDefault: 'off',
    parse: onOff,
    help: 'in proxy and replay modes, answer 502 instead of an answer that breaks openapi.yaml (400 for such a request)',
    group: 'proxy',
  }),
  proxyMaxCredits: option({
    arg: '<n>',
    env: 'DREAMCORE_PROXY_MAX_CREDITS',
    parse: integer(0, 1_000_000_000),
    help: 'refuse (402, locally) a generate that would take the credits forwarded past n',
    shownDefault: 'no guard',
    group: 'proxy',
  }),
  proxyTimeoutMs: option({
    arg: '<ms>',
    env: 'DREAMCORE_PROXY_TIMEOUT_MS',
    default: 30_000,
    parse: integer(1, 600_000),
    help: "how long to wait for the live API's answer (then 504)",
    group: 'proxy',
  }),
  record: option({
    arg: '<file>',
    env: 'DREAMCORE_RECORD',
    parse: text,
    help: 'with --proxy: write every proxied exchange to this cassette',
    group: 'proxy',
  }),
  replay: option({
    arg: '<file>',
    env: 'DREAMCORE_REPLAY',
    parse: text,
    help: 'answer the public API from this cassette, without any network',
    group: 'proxy',
  }),
  replayTiming: option({
    arg: '<timing>',
    env: 'DREAMCORE_REPLAY_TIMING',
    default: 'clock',
    parse: choice(['clock', 'polls']),
    help: "clock: a task's recorded answers follow the simulator's clock; polls: the next one at each poll",
    group: 'proxy',
  }),
};

export type Options = typeof OPTIONS;
export type OptionName = keyof Options;

/** The value an option holds once parsed: its parser's type, or undefined when it has no default. */
export type ParsedValue<S extends OptionSpec> = S extends { default: undefined }
  ? ReturnType<S['parse']> | undefined
  : ReturnType<S['parse']>;

/** Every option, parsed: what commander's `opts()` returns, and what startSimulator() builds. */
export type ParsedOptions = { [K in OptionName]: ParsedValue<Options[K]> };

/** The options as [name, spec] pairs, in the table's order. */
export function optionEntries(): Array<[OptionName, OptionSpec]> {
  return Object.entries(OPTIONS) as Array<[OptionName, OptionSpec]>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--journal-max-mb`: the flag itself. */
export function flagOf(name: OptionName): string {
  return `--${kebab(name)}`;
}

/** `--journal-max-mb <n>`: the flag with its placeholder, as --help and commander's errors show it. */
export function flagsOf(name: OptionName): string {
  return `${flagOf(name)} ${OPTIONS[name].arg}`;
}

/** The default as --help or the reference shows it; undefined where there is none to show. */
export function shownDefault(spec: OptionSpec, where: 'help' | 'docs'): string | undefined {
  const shown = spec.shownDefault;
  if (typeof shown === 'object') return where === 'help' ? shown.help() : shown.docs;
  if (shown !== undefined) return shown;
  if (spec.default === undefined) return undefined;
  return where === 'help' ? JSON.stringify(spec.default) : String(spec.default);
}

/** Each option's default (undefined for those without), as a fresh object. */
export function defaultOptions(): ParsedOptions {
  return Object.fromEntries(optionEntries().map(([name, spec]) => [name, spec.default])) as ParsedOptions;
}
