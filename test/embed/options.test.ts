/**
 * startSimulator()'s options (embed/options.ts), derived from the CLI's option table: the same
 * parsers and the same Config, errors in the caller's terms, and the public type unchanged.
 */
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { parseConfig } from '../../mock-server/src/config.js';
import { configOf, type SimulatorOptions } from '../../mock-server/src/embed/options.js';
import { startSimulator } from '../../mock-server/src/index.js';

/**
 * SimulatorOptions as the package published it before the option table (plus the verdict's, which
 * only added properties): its users' code compiles.
 */
interface PublishedSimulatorOptions {
  port?: number;
  host?: string;
  seed?: string;
  exactReplay?: boolean;
  clock?: 'real' | 'virtual';
  latency?: 'realistic' | 'fast' | 'instant';
  failureRate?: number;
  keys?: ReadonlyArray<{ apiKey: string; balance: number }> | Readonly<Record<string, number>>;
  devKey?: boolean;
  rateLimit?: string;
  chaos?: string;
  faultHeaders?: boolean;
  maxDelayMs?: number;
  controlToken?: string;
  journalSize?: number;
  journalMaxMb?: number;
  imageTtl?: number;
  retainTasks?: number;
  retainAge?: number;
  maxJournalWaits?: number;
  maxJournalStreams?: number;
  // Added with the memory budget (resource-model.md): new optional properties, so old code compiles.
  memoryBudgetMb?: number;
  maxRules?: number;
  maxAccounts?: number;
  tenantMemoryShare?: number;
  callerMemoryShare?: number;
  fairShareBusy?: number;
  publicUrl?: string;
  bodyLimit?: string;
  validateResponses?: boolean;
  // Added with the verdict (GET /__mock/report): new properties only, so published code still compiles.
  report?: boolean;
  reportRetryAfterToleranceMs?: number;
  reportPollIntervalMs?: number;
  reportDuplicateWindowMs?: number;
  reportAbandonGraceMs?: number;
  reportSettings?: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  requestLog?: boolean;
  allowedHosts?: string;
  cors?: string;
  controlCors?: string;
  tenantCreation?: 'open' | 'operator';
  tenantIdleTimeout?: number;
  maxTenants?: number;
  maxTenantsPerCaller?: number;
  tenantCreationRate?: string;
  tenantMaxKeys?: number;
  tenantMaxIdleTimeout?: number;
  shutdownGraceMs?: number;
  proxy?: string;
  proxyStrict?: boolean;
  proxyMaxCredits?: number;
  proxyTimeoutMs?: number;
  record?: string;
  replay?: string;
  replayTiming?: 'clock' | 'polls';
  scenario?: string;
}

const refusal = (options: Record<string, unknown>): string => {
  try {
    configOf(options as SimulatorOptions);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(options)} was accepted`);
};

afterEach(() => vi.unstubAllEnvs());

describe('SimulatorOptions', () => {
  it('has the properties and types it was published with', () => {
    expectTypeOf<SimulatorOptions>().toEqualTypeOf<PublishedSimulatorOptions>();
  });
});

describe('the Config of startSimulator() options', () => {
  it('is the CLI\u2019s for the same options, with the embedded defaults and no variable read', () => {
    vi.stubEnv('DREAMCORE_LATENCY', 'realistic');
    vi.stubEnv('PORT', '9999');
    const embedded = configOf({ seed: 's', clock: 'virtual', faultHeaders: false, rateLimit: 'status=5/1s' });
    const cli = parseConfig(
      [
        '--seed=s',
        '--clock=virtual',
        '--fault-headers=off',
        '--rate-limit=status=5/1s',
        '--port=0',
        '--log-level=silent',
        '--request-log=off',
      ],
      {},
    );
    expect(embedded).toEqual(cli);
    expect(embedded).toMatchObject({ port: 0, host: '127.0.0.1', latency: 'fast', logLevel: 'silent' });
  });

  it('takes keys as an array or as an object, after the dev key unless devKey is false', () => {
    expect(configOf({ keys: { 'sk-a': 5, 'sk-b,c=d': 7 } }).keys).toEqual([
      { apiKey: 'sk-dreamcore-dev', balance: 1000 },
      { apiKey: 'sk-a', balance: 5 },
      { apiKey: 'sk-b,c=d', balance: 7 }, // as given: not split as the flag's text would be
    ]);
    expect(configOf({ devKey: false, keys: [{ apiKey: 'sk-a', balance: 0 }] }).keys).toEqual([
      { apiKey: 'sk-a', balance: 0 },
    ]);
  });

  it('turns the rate limit off in proxy mode unless the caller set it, as the CLI does', () => {
    expect(configOf({ proxy: 'https://x.example' }).rateLimit).toBe('off');
    expect(configOf({ proxy: 'https://x.example', rateLimit: 'generate=1/1s' }).rateLimit).toMatchObject({
      generate: { limit: 1, windowMs: 1000 },
    });
  });
});

describe('errors name the property and what it allows', () => {
  it('a value', async () => {
    const message = await startSimulator({ latency: 'slow' as 'fast' }).catch(
      (error: Error) => error.message,
    );
    expect(message).toBe(
      "startSimulator(): option 'latency' value 'slow' is invalid. Allowed choices are realistic, fast, instant. (the CLI's --latency)",
    );
    expect(refusal({ port: 70000 })).toBe(
      "startSimulator(): option 'port' value 70000 is invalid. expected a whole number from 0 to 65535 (the CLI's --port)",
    );
    expect(refusal({ rateLimit: 'fast' })).toMatch(
      /^startSimulator\(\): option 'rateLimit' value 'fast' is invalid/,
    );
    expect(refusal({ port: { n: 1 } })).toContain("option 'port' must be a string, a number or a boolean");
  });

  it('a key, by its position and never its text', () => {
    const message = refusal({ keys: { 'sk-secret-one': -1 } });
    expect(message).toBe(
      `startSimulator(): option 'keys': invalid balance of key #1: expected a whole number >= 0 after "=" (the CLI's --key)`,
    );
    expect(refusal({ keys: [{ apiKey: 'sk secret', balance: 1 }] })).not.toContain('secret');
  });

  it('a combination', () => {
    expect(refusal({ record: 'x.json' })).toBe(
      "startSimulator(): option 'record' records what the live API answers: it needs 'proxy'",
    );
    expect(refusal({ replay: 'c.json', proxy: 'https://x.example' })).toBe(
      "startSimulator(): option 'replay' cannot be used with option 'proxy'",
    );
  });

  it('an option that is not one, or is the command line\u2019s only', () => {
    expect(refusal({ colour: 'blue' })).toBe("startSimulator(): unknown option 'colour'");
    expect(refusal({ key: 'sk-a=1' })).toBe("startSimulator(): unknown option 'key' (keys takes the keys)");
    expect(refusal({ workers: 2 })).toMatch(
      /^startSimulator\(\): option 'workers' is for the command line only: /,
    );
    expect(refusal({ store: 'redis' })).toContain('is for the command line only');
  });
});
