/**
 * Hardening issue, item 18: `--help` shows each default as it is written on the command line: on|off
 * options say `default: on` or `default: off` (not true/false), and `--rate-limit` shows its default.
 */
import { describe, expect, it } from 'vitest';
import { buildCommand, parseConfig } from '../../mock-server/src/config.js';

const help = buildCommand().helpInformation();

/** The help text of one option: its line and the lines commander wraps it onto. */
function optionHelp(flag: string): string {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(flag));
  expect(start, `${flag} is in --help`).toBeGreaterThanOrEqual(0);
  let end = start + 1;
  while (end < lines.length && !lines[end]!.trimStart().startsWith('-')) end++;
  return lines.slice(start, end).join(' ').replace(/\s+/g, ' ');
}

describe('--help', () => {
  it('never prints true or false as a default', () => {
    expect(help).not.toMatch(/default: (true|false)/);
  });

  it.each([
    ['--dev-key', 'on'],
    ['--request-log', 'on'],
    ['--fault-headers', 'on'],
    ['--validate-responses', 'off'],
    ['--proxy-strict', 'off'],
  ])('%s shows default: %s', (flag, value) => {
    expect(optionHelp(flag)).toMatch(new RegExp(`default: ${value}[,)]`));
  });

  it('shows the defaults of --rate-limit, --chaos, --cors, --control-cors and --allowed-hosts', () => {
    expect(optionHelp('--rate-limit')).toContain('default: generate=20/10s,status=60/10s');
    expect(optionHelp('--chaos')).toContain('default: off');
    expect(optionHelp('--cors')).toContain('default: *');
    expect(optionHelp('--control-cors')).toContain('default: off');
    expect(optionHelp('--allowed-hosts')).toMatch(/default: on loopback: localhost/);
  });

  it('the shown defaults are the ones applied', () => {
    const config = parseConfig([], {});
    expect(config.rateLimit).toEqual({
      generate: { limit: 20, windowMs: 10_000 },
      status: { limit: 60, windowMs: 10_000 },
    });
    expect(config.chaos).toEqual({ error500: 0, error429: 0 });
    expect([config.logRequests, config.faultHeaders, config.validateResponses]).toEqual([true, true, false]);
    expect(config.cors).toBe('*');
  });
});
