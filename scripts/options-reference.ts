/**
 * docs/reference/options.md, generated from the option table (mock-server/src/config/options.ts):
 * every option's flag, variable, default and startSimulator() property, by --help's groups.
 *
 * `npm run docs:options` writes it; `npm run docs:options -- --check` (and the test
 * test/config/options-reference.test.ts) fails when the committed file differs, so nobody edits it by hand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { SUBCOMMANDS } from '../mock-server/src/cli/subcommands.js';
import {
  flagOf,
  flagsOf,
  GROUPS,
  optionEntries,
  shownDefault,
  type Group,
  type OptionSpec,
} from '../mock-server/src/config/options.js';
import { isChoiceParser } from '../mock-server/src/config/parsers.js';
import { EMBEDDED_DEFAULTS } from '../mock-server/src/embed/options.js';
import { projectRoot } from './lib/project-root.js';

export const OPTIONS_REFERENCE = 'docs/reference/options.md';

/** Text in a table cell: a pipe would end the cell, even inside code. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${text}\``;
/** Prose as it reads in --help: `*.domain`, `<window>` and `/__mock` are not markup. */
const prose = (text: string) => text.replace(/[\\`*_<>[\]]/g, '\\$&');

/** A default that is one word or value reads as code; one that says something reads as prose. */
function defaultCell(spec: OptionSpec): string {
  const shown = shownDefault(spec, 'docs');
  if (shown === undefined) return '';
  return /\s/.test(shown) ? prose(shown) : code(shown);
}

function flagCell(name: Parameters<typeof flagsOf>[0], spec: OptionSpec): string {
  const flags = [code(flagsOf(name)), ...(spec.negatable ? [code(`--no-${flagOf(name).slice(2)}`)] : [])];
  return flags.join(', ');
}

/** The words a choice accepts, which --help lists as commander's `choices`. */
function choicesOf(spec: OptionSpec): string {
  const parse = spec.parse;
  return isChoiceParser(parse) ? `; one of ${parse.choices.map(code).join(', ')}` : '';
}

function propertyCell(name: string, spec: OptionSpec): string {
  if (spec.cliOnly !== undefined) return `CLI only: ${prose(spec.cliOnly)}`;
  return code(name === 'key' ? 'keys' : name);
}

export function optionsReferenceMarkdown(): string {
  const lines = [
    '<!-- GENERATED FILE: DO NOT EDIT. Source: mock-server/src/config/options.ts. Regenerate with `npm run docs:options`; the test suite fails when this file drifts from its source. -->',
    '',
    '# Options reference',
    '',
    'Every option of the simulator, as `dreamcore-simulator --help` (or `npm start -- --help`) lists them.',
    'Each is a flag, an environment variable and, except where the table says otherwise, a property of',
    "`startSimulator()` of the same name (a number or boolean as itself, anything else as the flag's text).",
    'A flag wins over its variable, which wins over the default; `startSimulator()` reads no variable.',
    '',
    `An embedded simulator's own defaults: ${Object.entries(EMBEDDED_DEFAULTS)
      .map(([name, value]) => code(`${name}: ${JSON.stringify(value)}`))
      .join(', ')}.`,
    '',
    '## Commands',
    '',
    '| Command | What it does |',
    '| --- | --- |',
    `| ${code('dreamcore-simulator [serve] [options]')} | start the simulator with the options below (the default) |`,
    ...SUBCOMMANDS.map((s) => `| ${code(`dreamcore-simulator ${s.usage}`)} | ${cell(prose(s.summary))} |`),
    `| ${code('dreamcore-simulator --version')} | print the version |`,
  ];
  for (const group of Object.keys(GROUPS) as Group[]) {
    lines.push(
      '',
      `## ${GROUPS[group]}`,
      '',
      '| Flag | Variable | Default | `startSimulator()` | Description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const [name, spec] of optionEntries().filter(([, s]) => s.group === group)) {
      const row = [
        flagCell(name, spec),
        code(spec.env),
        defaultCell(spec),
        propertyCell(name, spec),
        prose(spec.help) + choicesOf(spec),
      ];
      lines.push(`| ${row.map(cell).join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The reference as committed: the markdown, formatted as `prettier --check` wants it. */
export async function renderOptionsReference(root = projectRoot()): Promise<string> {
  const path = join(root, OPTIONS_REFERENCE);
  const options = await resolveConfig(path);
  return format(optionsReferenceMarkdown(), { ...options, filepath: path });
}

async function main(): Promise<void> {
  const root = projectRoot();
  const expected = await renderOptionsReference(root);
  const path = join(root, OPTIONS_REFERENCE);
  if (process.argv.includes('--check')) {
    if ((await readFile(path, 'utf8').catch(() => '')) !== expected) {
      console.error(`${OPTIONS_REFERENCE} is out of date. Run \`npm run docs:options\`.`);
      process.exit(1);
    }
    console.log(`${OPTIONS_REFERENCE} is up to date.`);
    return;
  }
  await writeFile(path, expected);
  console.log(`wrote ${OPTIONS_REFERENCE}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
