/**
 * The options of an embedded simulator: the CLI's options (config/options.ts), by the names commander
 * gives them (`--fault-headers` is `faultHeaders`), parsed by the same parsers, so what works as a
 * flag works here. A value is given as what it is (a number, a boolean) or as the flag's text
 * (`rateLimit: 'off'`); `keys` takes keys and their credits. An error names the property, in the
 * caller's terms, and the flag it stands for.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { toConfig, type Config, type OptionSources } from '../config/config.js';
import {
  defaultOptions,
  flagOf,
  OPTIONS,
  type OptionName,
  type Options,
  type OptionSpec,
  type ParsedOptions,
} from '../config/options.js';
import { DEV_KEY, keyEntry } from '../config/parsers.js';

/** The options startSimulator() takes: all but those of the command line only (`cliOnly`). */
type EmbeddedName = {
  [K in OptionName]: Options[K] extends { cliOnly: string } ? never : K;
}[OptionName];

/** A number, a boolean or a word is given as itself; a structured value as the flag's text. */
type PropertyValue<T> = T extends number | boolean | string ? T : string;

type Flat<T> = { [K in keyof T]: T[K] };

export type SimulatorOptions = Flat<
  { [K in Exclude<EmbeddedName, 'key'>]?: PropertyValue<NonNullable<ParsedOptions[K]>> } & {
    /** Keys and their credits; the dev key is added unless `devKey: false`. */
    keys?: ReadonlyArray<{ apiKey: string; balance: number }> | Readonly<Record<string, number>>;
  }
>;

/** What an embedded simulator does unless told: a free port on loopback, and no log lines. */
export const EMBEDDED_DEFAULTS: SimulatorOptions = {
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  requestLog: false,
};

/** startSimulator()'s errors name the properties: `option 'record'`, `'proxy'`, `store: 'redis'`. */
function propertySources(given: ReadonlySet<string>): OptionSources {
  return {
    given: (name) => given.has(name === 'key' ? 'keys' : name),
    asGiven: (name) => `option '${name === 'key' ? 'keys' : name}'`,
    toAdd: (name, value) => (value === undefined ? `'${name}'` : `${name}: '${value}'`),
  };
}

function optionError(message: string, cause?: unknown): Error {
  return new Error(`startSimulator(): ${message}`, { cause });
}

/** `key` is `keys` here, which takes keys and credits rather than the flag's text. */
function isEmbedded(name: string): name is Exclude<EmbeddedName, 'key'> {
  return name !== 'key' && Object.hasOwn(OPTIONS, name) && OPTIONS[name as OptionName].cliOnly === undefined;
}

/** One property's value, written as the flag's text and parsed by the flag's parser. */
function parseProperty(name: EmbeddedName, value: unknown): unknown {
  const spec: OptionSpec = OPTIONS[name];
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw optionError(`option '${name}' must be a string, a number or a boolean, not ${typeof value}`);
  }
  const asText = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  try {
    return spec.parse(asText);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const shown = spec.secret ? '' : ` value ${typeof value === 'string' ? `'${value}'` : String(value)}`;
    throw optionError(
      `option '${name}'${shown} is invalid. ${error.message} (the CLI's ${flagOf(name)})`,
      error,
    );
  }
}

function parseKeys(keys: unknown): Array<{ apiKey: string; balance: number }> {
  let entries: Array<[unknown, unknown]>;
  if (Array.isArray(keys))
    entries = keys.map((k: { apiKey?: unknown; balance?: unknown }) => [k?.apiKey, k?.balance]);
  else if (typeof keys === 'object' && keys !== null) entries = Object.entries(keys);
  else
    throw optionError("option 'keys' must be an array of { apiKey, balance }, or an object of key: balance");
  return entries.map(([apiKey, balance], i) => {
    try {
      return keyEntry(typeof apiKey === 'string' ? apiKey : '', String(balance), `key #${i + 1}`);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      // By its position, never the key itself: a mistyped key is still a key.
      throw optionError(`option 'keys': ${error.message} (the CLI's --key)`, error);
    }
  });
}

/** The configuration startSimulator() runs: the CLI's Config for these options, no variable read. */
export function configOf(options: SimulatorOptions): Config {
  const given = Object.entries({ ...EMBEDDED_DEFAULTS, ...options }).filter(
    ([, value]) => value !== undefined,
  );
  const parsed: Record<string, unknown> = defaultOptions();
  for (const [name, value] of given) {
    if (name === 'keys') parsed.key = parseKeys(value);
    else if (isEmbedded(name)) parsed[name] = parseProperty(name, value);
    else if (Object.hasOwn(OPTIONS, name) && OPTIONS[name as OptionName].cliOnly !== undefined) {
      throw optionError(
        `option '${name}' is for the command line only: ${OPTIONS[name as OptionName].cliOnly}`,
      );
    } else throw optionError(`unknown option '${name}'${name === 'key' ? ' (keys takes the keys)' : ''}`);
  }
  try {
    return toConfig(parsed as ParsedOptions, propertySources(new Set(given.map(([name]) => name))));
  } catch (error) {
    if (error instanceof CommanderError) throw optionError(error.message.replace(/^error: /, ''), error);
    throw error;
  }
}

export { DEV_KEY };
