/**
 * The options of an embedded simulator: the CLI's configuration, camelCased, so that what works as a
 * flag works here and is validated by the same parser (config.ts). Each becomes its `--flag=value`.
 */
import { DEV_KEY, parseConfig, type Config } from '../config.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: string;
  exactReplay?: boolean;
  clock?: 'real' | 'virtual';
  latency?: 'realistic' | 'fast' | 'instant';
  failureRate?: number;
  /** Keys and their credits; the dev key is added unless `devKey: false`. */
  keys?: ReadonlyArray<{ apiKey: string; balance: number }> | Readonly<Record<string, number>>;
  devKey?: boolean;
  /** `off`, or e.g. `generate=20/10s,status=60/10s`. */
  rateLimit?: string;
  /** e.g. `500=0.05,429=0.02`. */
  chaos?: string;
  faultHeaders?: boolean;
  maxDelayMs?: number;
  controlToken?: string;
  journalSize?: number;
  journalMaxMb?: number;
  imageTtl?: number;
  retainTasks?: number;
  retainAge?: number;
  publicUrl?: string;
  bodyLimit?: string;
  validateResponses?: boolean;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  requestLog?: boolean;
  allowedHosts?: string;
  cors?: string;
  controlCors?: string;
  tenantCreation?: 'open' | 'operator';
  tenantIdleTimeout?: number;
  maxTenants?: number;
  shutdownGraceMs?: number;
  /** Proxy mode: the live API's base URL (README, "Proxy, record, replay"). */
  proxy?: string;
  proxyStrict?: boolean;
  proxyMaxCredits?: number;
  proxyTimeoutMs?: number;
  /** With `proxy`: the cassette to write. */
  record?: string;
  /** Replay mode: the cassette to answer from. */
  replay?: string;
  replayTiming?: 'clock' | 'polls';
  /** A scenario file (fault rules) loaded at start and at every reset. */
  scenario?: string;
}

/** What an embedded simulator does unless told: a free port on loopback, and no log lines. */
export const EMBEDDED_DEFAULTS: SimulatorOptions = {
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  requestLog: false,
};

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function toArgv(options: SimulatorOptions): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries({ ...EMBEDDED_DEFAULTS, ...options })) {
    if (value === undefined) continue;
    if (name === 'keys') {
      const entries = Array.isArray(value)
        ? (value as Array<{ apiKey: string; balance: number }>)
        : Object.entries(value as Record<string, number>).map(([apiKey, balance]) => ({ apiKey, balance }));
      for (const { apiKey, balance } of entries) argv.push(`--key=${apiKey}=${balance}`);
    } else if (typeof value === 'boolean') argv.push(`--${kebab(name)}=${value ? 'on' : 'off'}`);
    else argv.push(`--${kebab(name)}=${String(value)}`);
  }
  return argv;
}

/** The configuration the CLI would build from these options (with no environment variables read). */
export function configOf(options: SimulatorOptions): Config {
  return parseConfig(toArgv(options), {});
}

export { DEV_KEY };
