import { describe, it, expect } from 'vitest';
import { CommanderError } from 'commander';
import {
  DEFAULT_RATE_LIMIT,
  DEV_KEY,
  DEV_KEY_BALANCE,
  isLoopback,
  parseChaos,
  parseConfig,
  parseRateLimit,
} from '../../mock-server/src/config.js';

/** No environment at all, so the machine running the tests cannot leak into them. */
const NO_ENV: NodeJS.ProcessEnv = {};

describe('defaults', () => {
  const config = parseConfig([], NO_ENV);

  it('listens on 127.0.0.1:4010', () => {
    expect(config.port).toBe(4010);
    expect(config.host).toBe('127.0.0.1');
  });

  it('uses the real clock, the fast profile and no failures', () => {
    expect(config.clock).toBe('real');
    expect(config.latency).toBe('fast');
    expect(config.failureRate).toBe(0);
  });

  it('creates the dev key with 1000 credits, and only it', () => {
    expect(DEV_KEY).toBe('sk-dreamcore-dev');
    expect(DEV_KEY_BALANCE).toBe(1000);
    expect(config.keys).toEqual([{ apiKey: 'sk-dreamcore-dev', balance: 1000 }]);
  });

  it('draws a random seed and says so', () => {
    expect(config.seed).toMatch(/^[0-9a-f]{12}$/);
    expect(config.seedGenerated).toBe(true);
    expect(parseConfig([], NO_ENV).seed).not.toBe(config.seed);
  });

  it('has the documented rate limit, logging and other defaults', () => {
    expect(config.rateLimit).toEqual(DEFAULT_RATE_LIMIT);
    expect(config.rateLimit).toEqual({
      generate: { limit: 20, windowMs: 10_000 },
      status: { limit: 60, windowMs: 10_000 },
    });
    expect(config.logLevel).toBe('info');
    expect(config.logRequests).toBe(true);
    expect(config.publicUrl).toBeUndefined();
    expect(config.bodyLimit).toBe('64kb');
    expect(config.validateResponses).toBe(false);
    expect(config.imageTtlMs).toBe(86_400_000);
    expect(config.retention).toEqual({
      maxTasks: 1_000_000,
      maxAgeMs: 7 * 86_400_000,
      maxLedgerEntries: 10_000,
    });
    expect(config.faultHeaders).toBe(true);
    expect(config.maxDelayMs).toBe(30_000);
    expect(config.chaos).toEqual({ error500: 0, error429: 0 });
    expect(config.shutdownGraceMs).toBe(5_000);
  });

  it('has no control token on loopback', () => {
    expect(config.controlToken).toBeUndefined();
    expect(config.controlTokenGenerated).toBe(false);
  });

  it('defaults the failure rate to 0.03 for the realistic profile and 0 for instant', () => {
    expect(parseConfig(['--latency', 'realistic'], NO_ENV).failureRate).toBe(0.03);
    expect(parseConfig(['--latency', 'instant'], NO_ENV).failureRate).toBe(0);
  });

  it('an explicit failure rate wins over the profile default', () => {
    expect(parseConfig(['--latency', 'realistic', '--failure-rate', '0'], NO_ENV).failureRate).toBe(0);
    expect(parseConfig(['--failure-rate', '0.5'], NO_ENV).failureRate).toBe(0.5);
    expect(parseConfig([], { DREAMCORE_FAILURE_RATE: '1' }).failureRate).toBe(1);
  });
});

describe('environment variables', () => {
  it('PORT and HOST', () => {
    const config = parseConfig([], { PORT: '8080', HOST: 'localhost' });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('localhost');
  });

  it('DREAMCORE_SEED', () => {
    const config = parseConfig([], { DREAMCORE_SEED: 'replay-me' });
    expect(config.seed).toBe('replay-me');
    expect(config.seedGenerated).toBe(false);
  });

  it('DREAMCORE_CLOCK and DREAMCORE_LATENCY', () => {
    const config = parseConfig([], { DREAMCORE_CLOCK: 'virtual', DREAMCORE_LATENCY: 'realistic' });
    expect(config.clock).toBe('virtual');
    expect(config.latency).toBe('realistic');
    expect(config.failureRate).toBe(0.03);
  });

  it('DREAMCORE_KEYS adds keys after the dev key', () => {
    expect(parseConfig([], { DREAMCORE_KEYS: 'sk-a=5,sk-b=7' }).keys).toEqual([
      { apiKey: DEV_KEY, balance: 1000 },
      { apiKey: 'sk-a', balance: 5 },
      { apiKey: 'sk-b', balance: 7 },
    ]);
  });

  it('DREAMCORE_KEYS: a key without a balance gets 1000, spaces are trimmed', () => {
    expect(parseConfig([], { DREAMCORE_KEYS: ' sk-a , sk-b=0 ,' }).keys).toEqual([
      { apiKey: DEV_KEY, balance: 1000 },
      { apiKey: 'sk-a', balance: 1000 },
      { apiKey: 'sk-b', balance: 0 },
    ]);
  });

  it('DREAMCORE_DEV_KEY=off drops the dev key, and =on keeps it', () => {
    expect(parseConfig([], { DREAMCORE_DEV_KEY: 'off', DREAMCORE_KEYS: 'sk-a=5' }).keys).toEqual([
      { apiKey: 'sk-a', balance: 5 },
    ]);
    expect(parseConfig([], { DREAMCORE_DEV_KEY: 'on' }).keys).toEqual([{ apiKey: DEV_KEY, balance: 1000 }]);
    expect(() => parseConfig([], { DREAMCORE_DEV_KEY: 'maybe' })).toThrow();
  });

  it('LOG_LEVEL', () => {
    expect(parseConfig([], { LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(parseConfig([], { LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
  });

  it("DREAMCORE_RATE_LIMIT='off'", () => {
    expect(parseConfig([], { DREAMCORE_RATE_LIMIT: 'off' }).rateLimit).toBe('off');
  });

  it("DREAMCORE_RATE_LIMIT='generate=5/1s' changes generate only", () => {
    expect(parseConfig([], { DREAMCORE_RATE_LIMIT: 'generate=5/1s' }).rateLimit).toEqual({
      generate: { limit: 5, windowMs: 1_000 },
      status: { limit: 60, windowMs: 10_000 },
    });
  });

  it('other variables', () => {
    const config = parseConfig([], {
      DREAMCORE_REQUEST_LOG: 'off',
      DREAMCORE_PUBLIC_URL: 'https://sim.example.com',
      DREAMCORE_BODY_LIMIT: '1mb',
      DREAMCORE_VALIDATE_RESPONSES: 'on',
      DREAMCORE_IMAGE_TTL: '60',
      DREAMCORE_RETAIN_TASKS: '10',
      DREAMCORE_RETAIN_AGE: '3600',
      DREAMCORE_FAULT_HEADERS: 'false',
      DREAMCORE_MAX_DELAY_MS: '0',
      DREAMCORE_CHAOS: '500=0.05,429=0.02',
      DREAMCORE_CONTROL_TOKEN: 'ctl-token',
      DREAMCORE_SHUTDOWN_GRACE_MS: '100',
    });
    expect(config).toMatchObject({
      logRequests: false,
      publicUrl: 'https://sim.example.com',
      bodyLimit: '1mb',
      validateResponses: true,
      imageTtlMs: 60_000,
      retention: { maxTasks: 10, maxAgeMs: 3_600_000, maxLedgerEntries: 10_000 },
      faultHeaders: false,
      maxDelayMs: 0,
      chaos: { error500: 0.05, error429: 0.02 },
      controlToken: 'ctl-token',
      controlTokenGenerated: false,
      shutdownGraceMs: 100,
    });
  });

  it('reads the environment it is given, and leaves process.env as it was', () => {
    const before = { ...process.env };
    const saved = process.env;
    expect(parseConfig([], { PORT: '4999' }).port).toBe(4999);
    expect(() => parseConfig([], { PORT: 'nope' })).toThrow();
    expect(process.env).toBe(saved);
    expect(process.env).toEqual(before);
  });

  it('ignores unrelated variables', () => {
    const config = parseConfig([], { SEED: 'x', KEYS: 'sk-z=1', LATENCY: 'instant' });
    expect(config.seedGenerated).toBe(true);
    expect(config.keys).toHaveLength(1);
    expect(config.latency).toBe('fast');
  });
});

describe('flags', () => {
  it('override the environment', () => {
    const env = {
      PORT: '5000',
      HOST: 'localhost',
      DREAMCORE_SEED: 'env-seed',
      DREAMCORE_CLOCK: 'real',
      DREAMCORE_LATENCY: 'instant',
      DREAMCORE_KEYS: 'sk-env=1',
      LOG_LEVEL: 'warn',
      DREAMCORE_RATE_LIMIT: 'off',
    };
    const config = parseConfig(
      [
        '--port',
        '6000',
        '--host',
        '127.0.0.2',
        '--seed',
        'flag-seed',
        '--clock',
        'virtual',
        '--latency',
        'realistic',
        '--key',
        'sk-flag=2',
        '--log-level',
        'error',
        '--rate-limit',
        'status=3/1m',
      ],
      env,
    );
    expect(config).toMatchObject({
      port: 6000,
      host: '127.0.0.2',
      seed: 'flag-seed',
      clock: 'virtual',
      latency: 'realistic',
      failureRate: 0.03,
      logLevel: 'error',
      rateLimit: { generate: { limit: 20, windowMs: 10_000 }, status: { limit: 3, windowMs: 60_000 } },
    });
    // The flag's keys replace the variable's (they are not merged).
    expect(config.keys).toEqual([
      { apiKey: DEV_KEY, balance: 1000 },
      { apiKey: 'sk-flag', balance: 2 },
    ]);
  });

  it('--key is repeatable and comma-separated', () => {
    expect(parseConfig(['--key', 'sk-a=1', '--key', 'sk-b=2,sk-c=3'], NO_ENV).keys).toEqual([
      { apiKey: DEV_KEY, balance: 1000 },
      { apiKey: 'sk-a', balance: 1 },
      { apiKey: 'sk-b', balance: 2 },
      { apiKey: 'sk-c', balance: 3 },
    ]);
  });

  it('a later entry for the same key wins, including the dev key', () => {
    expect(parseConfig(['--key', 'sk-a=1', '--key', `${DEV_KEY}=5`, '--key', 'sk-a=9'], NO_ENV).keys).toEqual(
      [
        { apiKey: DEV_KEY, balance: 5 },
        { apiKey: 'sk-a', balance: 9 },
      ],
    );
  });

  it('a key may contain "=" (the balance follows the last one)', () => {
    expect(parseConfig(['--no-dev-key', '--key', 'sk-a=b=3'], NO_ENV).keys).toEqual([
      { apiKey: 'sk-a=b', balance: 3 },
    ]);
  });

  it('--no-dev-key drops the dev key', () => {
    expect(parseConfig(['--no-dev-key'], NO_ENV).keys).toEqual([]);
    expect(parseConfig(['--no-dev-key', '--key', 'sk-a=5'], NO_ENV).keys).toEqual([
      { apiKey: 'sk-a', balance: 5 },
    ]);
  });

  it('--port 0 asks for any free port', () => {
    expect(parseConfig(['--port', '0'], NO_ENV).port).toBe(0);
    expect(parseConfig(['--port', '65535'], NO_ENV).port).toBe(65535);
  });

  it('--request-log, --validate-responses and --fault-headers take on/off', () => {
    const config = parseConfig(
      ['--request-log', 'no', '--validate-responses', 'TRUE', '--fault-headers', '0'],
      NO_ENV,
    );
    expect(config.logRequests).toBe(false);
    expect(config.validateResponses).toBe(true);
    expect(config.faultHeaders).toBe(false);
  });
});

describe('invalid values throw', () => {
  it.each<[string, string[], NodeJS.ProcessEnv]>([
    ['a port out of range', ['--port', '70000'], NO_ENV],
    ['a negative port', ['--port', '-1'], NO_ENV],
    ['a fractional port', ['--port', '80.5'], NO_ENV],
    ['a port that is not a number', ['--port', 'http'], NO_ENV],
    ['a bad PORT variable', [], { PORT: 'abc' }],
    ['an unknown clock', ['--clock', 'fake'], NO_ENV],
    ['an unknown latency profile', ['--latency', 'slow'], NO_ENV],
    ['an unknown DREAMCORE_LATENCY', [], { DREAMCORE_LATENCY: 'slow' }],
    ['a failure rate above 1', ['--failure-rate', '1.5'], NO_ENV],
    ['a negative failure rate', ['--failure-rate', '-0.1'], NO_ENV],
    ['a negative balance', ['--key', 'sk-a=-5'], NO_ENV],
    ['a fractional balance', ['--key', 'sk-a=1.5'], NO_ENV],
    ['a balance that is not a number', ['--key', 'sk-a=lots'], NO_ENV],
    ['a negative balance in DREAMCORE_KEYS', [], { DREAMCORE_KEYS: 'sk-a=5,sk-b=-7' }],
    ['a key with a space', ['--key', 'sk a=5'], NO_ENV],
    ['an unknown log level', ['--log-level', 'verbose'], NO_ENV],
    ['a bad LOG_LEVEL', [], { LOG_LEVEL: 'loud' }],
    ['a rate-limit spec without a unit', ['--rate-limit', 'generate=5/1'], NO_ENV],
    ['a rate-limit spec for an unknown route', ['--rate-limit', 'upload=5/1s'], NO_ENV],
    ['a rate-limit spec that is not a spec', ['--rate-limit', 'fast'], NO_ENV],
    ['a rate-limit spec mixing off and limits', ['--rate-limit', 'off,generate=5/1s'], NO_ENV],
    ['a bad DREAMCORE_RATE_LIMIT', [], { DREAMCORE_RATE_LIMIT: 'generate=five/1s' }],
    ['a bad on/off', ['--request-log', 'maybe'], NO_ENV],
    ['a zero image TTL', ['--image-ttl', '0'], NO_ENV],
    ['a bad chaos spec', ['--chaos', '503=0.1'], NO_ENV],
    ['a chaos probability above 1', ['--chaos', '500=2'], NO_ENV],
    ['an unknown flag', ['--colour', 'blue'], NO_ENV],
  ])('%s', (_name, argv, env) => {
    expect(() => parseConfig(argv, env)).toThrow(CommanderError);
  });

  it('names the offending option in the error', () => {
    expect(() => parseConfig(['--port', '70000'], NO_ENV)).toThrow(/--port/);
    expect(() => parseConfig(['--key', 'sk-a=-5'], NO_ENV)).toThrow(/invalid balance/);
  });

  it.each<[string, string[], NodeJS.ProcessEnv]>([
    ['an empty --port', ['--port', ''], NO_ENV],
    ['an empty PORT variable', [], { PORT: '' }],
  ])('%s (an empty value is not the number 0)', (_name, argv, env) => {
    expect(() => parseConfig(argv, env)).toThrow(CommanderError);
  });

  it('a key with an empty balance ("sk-a=") is refused, not given 0 credits', () => {
    expect(() => parseConfig(['--key', 'sk-a='], NO_ENV)).toThrow(CommanderError);
  });

  it('a key with an empty name ("=5") is refused, not taken as the key "=5" with 1000 credits', () => {
    expect(() => parseConfig(['--key', '=5'], NO_ENV)).toThrow(CommanderError);
  });

  it('a rate-limit window of zero is refused', () => {
    expect(() => parseConfig(['--rate-limit', 'generate=5/0s'], NO_ENV)).toThrow(CommanderError);
  });
});

describe('control token', () => {
  it.each(['0.0.0.0', '192.168.1.10', '::', 'example.com'])('is generated when listening on %s', (host) => {
    const config = parseConfig(['--host', host], NO_ENV);
    expect(config.controlToken).toMatch(/^[0-9a-f]{32}$/);
    expect(config.controlTokenGenerated).toBe(true);
    expect(parseConfig(['--host', host], NO_ENV).controlToken).not.toBe(config.controlToken);
  });

  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1'])('is not generated on loopback %s', (host) => {
    const config = parseConfig(['--host', host], NO_ENV);
    expect(config.controlToken).toBeUndefined();
    expect(config.controlTokenGenerated).toBe(false);
  });

  it('a given token is used as is, on any host', () => {
    const exposed = parseConfig(['--host', '0.0.0.0', '--control-token', 'my-token'], NO_ENV);
    expect(exposed.controlToken).toBe('my-token');
    expect(exposed.controlTokenGenerated).toBe(false);
    const fromEnv = parseConfig([], { HOST: '0.0.0.0', DREAMCORE_CONTROL_TOKEN: 'env-token' });
    expect(fromEnv.controlToken).toBe('env-token');
    expect(parseConfig(['--control-token', 'local'], NO_ENV).controlToken).toBe('local');
  });

  it('isLoopback', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });
});

describe('the config is frozen', () => {
  it('cannot be changed', () => {
    const config = parseConfig([], NO_ENV);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      config.port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config as { failureRate: number }).failureRate = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(4010);
  });
});

describe('parseRateLimit', () => {
  it('parses both routes and the three units', () => {
    expect(parseRateLimit('generate=1/500ms, status=2/3s')).toEqual({
      generate: { limit: 1, windowMs: 500 },
      status: { limit: 2, windowMs: 3_000 },
    });
    expect(parseRateLimit('status=9/2m')).toEqual({
      generate: { limit: 20, windowMs: 10_000 },
      status: { limit: 9, windowMs: 120_000 },
    });
  });

  it('is off for "off", trimmed', () => {
    expect(parseRateLimit(' off ')).toBe('off');
  });

  it('does not change the defaults it starts from', () => {
    parseRateLimit('generate=1/1s');
    expect(DEFAULT_RATE_LIMIT.generate).toEqual({ limit: 20, windowMs: 10_000 });
  });
});

describe('parseChaos', () => {
  it('parses both probabilities', () => {
    expect(parseChaos('500=0.05,429=0.02')).toEqual({ error500: 0.05, error429: 0.02 });
    expect(parseChaos('429=1')).toEqual({ error500: 0, error429: 1 });
  });
});

describe('proxy, record and replay (issue 15)', () => {
  const parse = (args: string[], env: NodeJS.ProcessEnv = NO_ENV) => parseConfig(args, env);
  const refusal = (args: string[]) => {
    try {
      parse(args);
    } catch (error) {
      expect(error).toBeInstanceOf(CommanderError);
      return (error as CommanderError).message;
    }
    throw new Error(`${args.join(' ')} was accepted`);
  };

  it('is off by default: the simulator answers itself', () => {
    const config = parse([]);
    expect([config.proxy, config.replay, config.scenarioFile]).toEqual([undefined, undefined, undefined]);
  });

  it('--proxy takes a base URL (a path prefix kept, no trailing slash) and its options, with defaults', () => {
    expect(parse(['--proxy', 'https://seedream45ai.org/']).proxy).toEqual({
      target: 'https://seedream45ai.org',
      strict: false,
      maxCredits: undefined,
      timeoutMs: 30_000,
      recordFile: undefined,
    });
    const full = parse([
      '--proxy=http://127.0.0.1:9/v1',
      '--proxy-strict=on',
      '--proxy-max-credits=100',
      '--proxy-timeout-ms=5000',
      '--record=session.json',
    ]);
    expect(full.proxy).toEqual({
      target: 'http://127.0.0.1:9/v1',
      strict: true,
      maxCredits: 100,
      timeoutMs: 5_000,
      recordFile: 'session.json',
    });
    expect(
      parse([], { DREAMCORE_PROXY: 'https://x.example', DREAMCORE_PROXY_MAX_CREDITS: '7' }).proxy,
    ).toMatchObject({
      target: 'https://x.example',
      maxCredits: 7,
    });
  });

  it('turns the local rate limit off in proxy and replay modes, unless --rate-limit is given', () => {
    expect(parse(['--proxy=https://x.example']).rateLimit).toBe('off');
    expect(parse(['--replay=c.json']).rateLimit).toBe('off');
    expect(parse(['--proxy=https://x.example', '--rate-limit=status=5/1s']).rateLimit).toMatchObject({
      status: { limit: 5, windowMs: 1_000 },
    });
    expect(
      parse(['--proxy=https://x.example'], { DREAMCORE_RATE_LIMIT: 'generate=1/1s' }).rateLimit,
    ).toMatchObject({ generate: { limit: 1 } });
    expect(parse([]).rateLimit).toEqual(DEFAULT_RATE_LIMIT);
  });

  it('--replay with its timing (clock by default, or polls); --proxy-strict applies to it', () => {
    expect(parse(['--replay=c.json']).replay).toEqual({ file: 'c.json', timing: 'clock', strict: false });
    expect(parse(['--replay=c.json', '--replay-timing=polls', '--proxy-strict=on']).replay).toEqual({
      file: 'c.json',
      timing: 'polls',
      strict: true,
    });
  });

  it('refuses what cannot work, naming the option', () => {
    expect(refusal(['--record=x.json'])).toContain('needs --proxy <url>');
    expect(refusal(['--proxy-max-credits=10'])).toContain("'--proxy-max-credits <n>' guards the credits");
    expect(refusal(['--proxy=https://x.example', '--replay=c.json'])).toMatch(
      /--replay <file>.*--proxy <url>/,
    );
    expect(refusal(['--proxy=ftp://x.example'])).toContain('--proxy <url>');
    expect(refusal(['--proxy=https://x.example/?a=1'])).toContain('without a query');
    expect(refusal(['--proxy=https://x.example', '--proxy-timeout-ms=0'])).toContain('--proxy-timeout-ms');
    expect(refusal(['--replay=c.json', '--replay-timing=fast'])).toContain('--replay-timing');
  });

  it('--scenario names a file of rules', () => {
    expect(parse(['--scenario=bad-day.json']).scenarioFile).toBe('bad-day.json');
  });
});
