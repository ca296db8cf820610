/**
 * The command line: commander's command, derived from the option table (options.ts), and
 * parseConfig, CLI flags and environment variables (flag > variable > default) -> a Config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { projectRoot } from '../project-root.js';
import { toConfig, type Config, type OptionSources } from './config.js';
import {
  flagOf,
  flagsOf,
  GROUPS,
  optionEntries,
  OPTIONS,
  shownDefault,
  type OptionName,
  type OptionSpec,
  type ParsedOptions,
} from './options.js';
import { isChoiceParser, type Parser } from './parsers.js';

let version: string | undefined;

/** The package's version, from its package.json (read once, when first asked). */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}

/**
 * Commander reports an InvalidArgumentError with the argument itself ("argument 'sk-…' is
 * invalid"): for a secret, the error is raised under another code, which commander passes through
 * as it is, so the value never reaches the terminal.
 */
function withoutEcho<T>(name: OptionName, parse: Parser<T>): Parser<T> {
  return (value, previous) => {
    try {
      return parse(value, previous);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new CommanderError(
        2,
        'dreamcore.invalidSecret',
        `error: option '${flagsOf(name)}': ${error.message}`,
      );
    }
  };
}

function optionOf(name: OptionName, spec: OptionSpec): Option {
  const shown = shownDefault(spec, 'help');
  // Commander shows a default only when there is a value; one chosen at start is shown as text.
  const help =
    spec.default === undefined && shown !== undefined ? `${spec.help} (default: ${shown})` : spec.help;
  const option = new Option(flagsOf(name), help).env(spec.env).helpGroup(`${GROUPS[spec.group]}:`);
  const parse = spec.parse;
  if (isChoiceParser(parse)) option.choices(parse.choices);
  else option.argParser(spec.secret ? withoutEcho(name, parse) : parse);
  if (spec.default !== undefined)
    option.default(spec.default, spec.shownDefault === undefined ? undefined : shown);
  return option;
}

/** The simulator's command: every option of the table, grouped, with its variable and default. */
export function buildCommand(): Command {
  const command = new Command('dreamcore-simulator').description(
    'A stateful simulator of the Seedream 4.5 DreamCore API, driven by openapi.yaml.',
  );
  for (const [name, spec] of optionEntries()) {
    command.addOption(optionOf(name, spec));
    if (spec.negatable) {
      command.addOption(
        new Option(`--no-${flagOf(name).slice(2)}`, `same as ${flagOf(name)} off`).helpGroup(
          `${GROUPS[spec.group]}:`,
        ),
      );
    }
  }
  // After the table's options, so that --help lists them first, and -V and -h last.
  return command.version(packageVersion(), '-V, --version', 'print the version');
}

/** How the command line names an option in an error: as given (flag or variable), or to add. */
function commandLineSources(command: Command): OptionSources {
  const source = (name: OptionName) => command.getOptionValueSource(name);
  return {
    given: (name) => source(name) !== undefined && source(name) !== 'default',
    asGiven: (name) =>
      source(name) === 'env' ? `environment variable '${OPTIONS[name].env}'` : `option '${flagsOf(name)}'`,
    toAdd: (name, value) =>
      value === undefined
        ? `${flagsOf(name)} (or ${OPTIONS[name].env})`
        : `${flagOf(name)} ${value} (or ${OPTIONS[name].env}=${value})`,
  };
}

/** Parses argv (without node and script) and the environment into a Config; throws CommanderError on bad input. */
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
  return toConfig(command.opts<ParsedOptions>(), commandLineSources(command));
}
