/**
 * The option table (config/options.ts) is the one declaration of every option: commander's command,
 * --help, the parsed options and the reference document all follow from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildCommand, packageVersion, parseConfig } from '../../mock-server/src/config.js';
import {
  defaultOptions,
  flagsOf,
  GROUPS,
  optionEntries,
  type ParsedOptions,
} from '../../mock-server/src/config/options.js';
import { OPTIONS_REFERENCE, renderOptionsReference } from '../../scripts/options-reference.js';
import { ROOT } from '../support/spec-walk.js';

const help = buildCommand().helpInformation();

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): CommanderError {
  try {
    parseConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CommanderError);
    return error as CommanderError;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('the option table', () => {
  it('names each option as commander does (its flag camelCased), with a variable of its own', () => {
    const variables = optionEntries().map(([, spec]) => spec.env);
    expect(new Set(variables).size).toBe(variables.length);
    for (const [name] of optionEntries()) expect(new Option(flagsOf(name)).attributeName()).toBe(name);
  });

  it('gives a shown default to every option whose value --help could not print as it is written', () => {
    for (const [name, spec] of optionEntries()) {
      const plain = ['number', 'string', 'undefined'].includes(typeof spec.default);
      if (!plain) expect(spec.shownDefault, name).toBeDefined();
    }
  });

  it('is what commander parses when nothing is given: the defaults of the table', () => {
    const command = buildCommand().exitOverride();
    command.parse([], { from: 'user' });
    const parsed = command.opts<ParsedOptions>();
    // A variable of the machine running the tests could leak in: compare with the table only where unset.
    for (const [name, spec] of optionEntries()) {
      if (process.env[spec.env] === undefined) expect(parsed[name], name).toEqual(defaultOptions()[name]);
    }
  });
});

describe('--help', () => {
  it('lists every option, with its variable, under the heading of its group, groups in the table order', () => {
    const flat = help.replace(/\s+/g, ' ');
    for (const [name, spec] of optionEntries()) {
      expect(help).toContain(flagsOf(name));
      expect(flat).toContain(`env: ${spec.env}`);
      const section = help.split(`${GROUPS[spec.group]}:\n`)[1]!.split('\n\n')[0]!;
      expect(section, `${name} in ${GROUPS[spec.group]}`).toContain(flagsOf(name));
    }
    const headings = Object.values(GROUPS).map((heading) => help.indexOf(`\n${heading}:\n`));
    expect(headings.every((at) => at > 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
  });

  it('points to the cassette command of the package, not to a script of this repository', () => {
    expect(help.replace(/\s+/g, ' ')).toContain('dreamcore-simulator cassette to-scenario');
    expect(help).not.toContain('npm run');
  });

  it('--version is the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(version);
    expect(refusal(['--version'])).toMatchObject({ code: 'commander.version', exitCode: 0 });
    expect(help).toMatch(/-V, --version/);
  });
});

describe('errors on the command line name the flag, or the variable the value came from', () => {
  it('a combination', () => {
    expect(refusal(['--replay=c.json'], { DREAMCORE_PROXY: 'https://x.example' }).message).toBe(
      "error: option '--replay <file>' cannot be used with environment variable 'DREAMCORE_PROXY'",
    );
    expect(refusal(['--replay=c.json', '--record=r.json']).message).toContain(
      "option '--replay <file>' cannot be used with option '--record <file>'",
    );
    expect(refusal([], { DREAMCORE_STORE: 'redis' }).message).toBe(
      "error: environment variable 'DREAMCORE_STORE' is redis: it needs --redis-url <url> (or REDIS_URL), e.g. redis://127.0.0.1:6379",
    );
    expect(refusal(['--workers=2']).message).toContain("option '--workers <n>' needs --store redis");
  });

  it('a key, by its position and never its text, from a flag or a variable', () => {
    for (const error of [
      refusal(['--key', 'sk-secret-one=-5']),
      refusal([], { DREAMCORE_KEYS: 'sk-secret-one=-5' }),
    ]) {
      expect(error.message).toBe(
        `error: option '--key <key=balance>': invalid balance of key #1: expected a whole number >= 0 after "="`,
      );
      expect(error.exitCode).toBe(2);
    }
  });
});

describe('the options reference', () => {
  it(`${OPTIONS_REFERENCE} is what the table gives (run \`npm run docs:options\` if this fails)`, async () => {
    const committed = readFileSync(join(ROOT, OPTIONS_REFERENCE), 'utf8');
    expect(committed).toBe(await renderOptionsReference(ROOT));
  });

  it('lists every option with its variable', async () => {
    const reference = await renderOptionsReference(ROOT);
    for (const [name, spec] of optionEntries()) {
      expect(reference).toContain(`\`${flagsOf(name).replace(/\|/g, '\\|')}\``);
      expect(reference).toContain(`\`${spec.env}\``);
    }
  });
});

describe('config/', () => {
  it('imports nothing from http/ (the configuration sits below the server)', () => {
    const dir = join(ROOT, 'mock-server', 'src', 'config');
    for (const file of readdirSync(dir)) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/from '\.\.\/http\//);
    }
  });
});
