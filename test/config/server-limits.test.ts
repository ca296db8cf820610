/** The HTTP server's limits in the Config: defaults, variables, flags, and the derived connection cap. */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildCommand, parseConfig } from '../../mock-server/src/config.js';
import {
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  MAX_DEFAULT_CONNECTIONS,
  openFileLimit,
  refusalMargin,
} from '../../mock-server/src/connection-limit.js';

const limits = (soft: string, hard = soft) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('server limits', () => {
  it('default to 10 s for headers, 30 s for the request, 65 s idle, and a cap from the file limit', () => {
    expect(parseConfig([], {}).server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: defaultMaxConnections(openFileLimit()),
    });
  });

  it('are read from the environment, and flags win', () => {
    const env = {
      DREAMCORE_HEADERS_TIMEOUT_MS: '2000',
      DREAMCORE_REQUEST_TIMEOUT_MS: '4000',
      DREAMCORE_KEEP_ALIVE_TIMEOUT_MS: '1000',
      DREAMCORE_MAX_CONNECTIONS: '50',
    };
    expect(parseConfig([], env).server).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 50,
    });
    expect(parseConfig(['--max-connections=7', '--request-timeout-ms=9000'], env).server).toMatchObject({
      requestTimeoutMs: 9000,
      maxConnections: 7,
    });
  });

  it.each([
    ['--headers-timeout-ms=0'],
    ['--request-timeout-ms=-1'],
    ['--keep-alive-timeout-ms=1e3'],
    ['--max-connections=0'],
  ])('%s is refused', (flag) => {
    expect(() => parseConfig([flag], {})).toThrow(CommanderError);
  });

  it('a header timeout beyond the request timeout is refused with exit code 2, naming both', () => {
    let error: unknown;
    try {
      parseConfig(['--headers-timeout-ms=20000', '--request-timeout-ms=10000'], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(2);
    expect((error as CommanderError).message).toMatch(
      /--headers-timeout-ms.*20000.*--request-timeout-ms.*10000/,
    );
  });

  it('are listed by --help with their variables', () => {
    const help = buildCommand().helpInformation().replace(/\s+/g, ' ');
    for (const [flag, variable] of [
      ['--headers-timeout-ms', 'DREAMCORE_HEADERS_TIMEOUT_MS'],
      ['--request-timeout-ms', 'DREAMCORE_REQUEST_TIMEOUT_MS'],
      ['--keep-alive-timeout-ms', 'DREAMCORE_KEEP_ALIVE_TIMEOUT_MS'],
      ['--max-connections', 'DREAMCORE_MAX_CONNECTIONS'],
    ]) {
      expect(help).toContain(flag);
      expect(help).toContain(`env: ${variable}`);
    }
    expect(help).toMatch(
      /--max-connections .* \(default: \d+, (from the open-file limit|the open-file limit being unknown)/,
    );
  });
});

describe('the default connection cap', () => {
  it("reads the soft 'Max open files' limit", () => {
    expect(openFileLimit(limits('1024', '4096'))).toBe(1024);
    expect(openFileLimit(limits('unlimited'))).toBe('unlimited');
    expect(openFileLimit('nothing useful')).toBeUndefined();
  });

  it('leaves room under the limit for the refused connections and the simulator\u2019s own files', () => {
    for (const limit of [256, 1024, 4096, 20_000]) {
      const cap = defaultMaxConnections(limit);
      expect(cap + refusalMargin(cap)).toBeLessThan(limit - 100);
    }
    expect(defaultMaxConnections(1024)).toBe(716);
  });

  it('is bounded where descriptors abound, and has a fallback where the limit cannot be read', () => {
    expect(defaultMaxConnections(1_048_576)).toBe(MAX_DEFAULT_CONNECTIONS);
    expect(defaultMaxConnections('unlimited')).toBe(MAX_DEFAULT_CONNECTIONS);
    expect(defaultMaxConnections(undefined)).toBe(FALLBACK_MAX_CONNECTIONS);
    expect(defaultMaxConnections(64)).toBe(1);
  });
});
