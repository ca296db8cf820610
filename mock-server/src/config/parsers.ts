/**
 * The parsers of option values: text (a flag's argument, a variable, or a startSimulator() property
 * written as text) -> the value the configuration holds. A bad value throws commander's
 * InvalidArgumentError with what was expected; whoever called the parser says which option it was
 * (the CLI by its flag, startSimulator() by its property).
 */
import { CommanderError, InvalidArgumentError } from 'commander';

/** `previous`: the value so far, for an option given more than once (`--key a=1 --key b=2`). */
export interface Parser<T> {
  (value: string, previous?: T): T;
}

/** A parser that accepts a fixed list of words, which --help lists (commander's `choices`). */
export interface ChoiceParser<T extends string> extends Parser<T> {
  readonly choices: readonly T[];
}

export const DEV_KEY = 'sk-dreamcore-dev';
/** The dev key's credits, and those of a key given without a balance. */
export const DEV_KEY_BALANCE = 1000;

export interface RateLimitConfig {
  /** Requests per window per key on POST /api/generate. */
  generate: { limit: number; windowMs: number };
  /** Requests per window per key on /api/status. */
  status: { limit: number; windowMs: number };
}

export interface ChaosConfig {
  /** Probability in [0, 1] that a public API request is answered 500. */
  error500: number;
  /** Probability in [0, 1] that a public API request is answered 429. */
  error429: number;
}

/**
 * A problem with the combination of options, each valid alone, reported as commander reports its
 * own (exit code 2, `error: ` and the message). The message names the options in its reader's terms.
 */
export function combinationError(message: string): CommanderError {
  return new CommanderError(2, 'dreamcore.invalidCombination', `error: ${message}`);
}

/** `a, b,,c` -> `['a', 'b', 'c']`: entries trimmed, empty ones dropped. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** Digits only: Number('') is 0 and Number(' 1e3 ') is 1000, neither of which anyone meant. */
const WHOLE = /^\d{1,16}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export function text(value: string): string {
  return value;
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (value) => {
    const n = WHOLE.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function probability(value: string): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}

/** A share of something whole: a number above 0, at most 1. */
export function fraction(value: string): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new InvalidArgumentError('expected a number above 0, at most 1 (0.125: an eighth)');
  return n;
}

/** A utilisation from which something is enforced, 0 to 1; `off`: never (Infinity). */
export function utilisationOrOff(value: string): number {
  if (/^off$/i.test(value)) return Infinity;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('expected a number from 0 to 1 (0.8: when 80 % busy), or off');
  return n;
}

export function onOff(value: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected on or off');
}

/** One of `choices`, with the words of commander's own message for choices. */
export function choice<const T extends string>(choices: readonly T[]): ChoiceParser<T> {
  const parse = (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    }
    return value as T;
  };
  return Object.assign(parse, { choices });
}

export function isChoiceParser<T>(parser: Parser<T>): parser is Parser<T> & { choices: readonly string[] } {
  return Array.isArray((parser as Partial<ChoiceParser<string>>).choices);
}

/**
 * One key and its balance (text, as written after `=`). A mistake is reported by the key's position
 * (`which`), never by echoing the key: a mistyped key is still a key.
 */
export function keyEntry(apiKey: string, balanceText: string, which: string) {
  const balance = WHOLE.test(balanceText) ? Number(balanceText) : NaN;
  if (!/^[\x21-\x7e]{1,512}$/.test(apiKey)) {
    throw new InvalidArgumentError(
      `invalid key: ${which} must be 1 to 512 printable ASCII characters, no spaces`,
    );
  }
  if (!Number.isSafeInteger(balance) || balance < 0) {
    throw new InvalidArgumentError(`invalid balance of ${which}: expected a whole number >= 0 after "="`);
  }
  return { apiKey, balance };
}

/** `sk-a=100,sk-b=50` (also repeatable as flags) -> keys and balances; a key may contain `=`. */
export function keyList(
  value: string,
  previous: Array<{ apiKey: string; balance: number }> = [],
): Array<{ apiKey: string; balance: number }> {
  const out = [...previous];
  for (const part of commaList(value)) {
    const eq = part.lastIndexOf('=');
    const apiKey = eq >= 0 ? part.slice(0, eq) : part;
    const balanceText = eq >= 0 ? part.slice(eq + 1) : String(DEV_KEY_BALANCE);
    out.push(keyEntry(apiKey, balanceText, `key #${out.length + 1}`));
  }
  return out;
}

/** Defaults follow comparable resellers (upstream-facts.md). */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  generate: { limit: 20, windowMs: 10_000 },
  status: { limit: 60, windowMs: 10_000 },
};

const WINDOW_UNITS = { ms: 1, s: 1000, m: 60_000 } as const;

/** `generate=20/10s,status=120/60s` or `off`; a route not named keeps its default. */
export function parseRateLimit(value: string): RateLimitConfig | 'off' {
  if (value.trim() === 'off') return 'off';
  const out: RateLimitConfig = structuredClone(DEFAULT_RATE_LIMIT);
  for (const part of commaList(value)) {
    const m = /^(generate|status)=(\d{1,9})\/([1-9]\d{0,8})(ms|s|m)$/.exec(part);
    if (!m) {
      throw new InvalidArgumentError(
        `expected off, or route=N/<window>(ms|s|m), e.g. generate=20/10s; got "${part}"`,
      );
    }
    const unit = WINDOW_UNITS[m[4] as keyof typeof WINDOW_UNITS];
    out[m[1] as keyof RateLimitConfig] = { limit: Number(m[2]), windowMs: Number(m[3]) * unit };
  }
  return out;
}

/** The text parseRateLimit reads back as `limits`. */
export function formatRateLimit(limits: RateLimitConfig): string {
  const window = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return (Object.keys(limits) as Array<keyof RateLimitConfig>)
    .map((route) => `${route}=${limits[route].limit}/${window(limits[route].windowMs)}`)
    .join(',');
}

/** So many per window (a token bucket): `30/1m`. */
export interface PerWindow {
  limit: number;
  windowMs: number;
}

/** `N/<window>(ms|s|m)`, e.g. `30/1m` (a token bucket of N, refilled over the window). */
export function parsePerWindow(value: string): PerWindow {
  const m = /^([1-9]\d{0,8})\/([1-9]\d{0,8})(ms|s|m)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected N/<window>(ms|s|m), e.g. 30/1m; got "${value}"`);
  return { limit: Number(m[1]), windowMs: Number(m[2]) * WINDOW_UNITS[m[3] as keyof typeof WINDOW_UNITS] };
}

/** The text parsePerWindow reads back as `rate`. */
export function formatPerWindow(rate: PerWindow): string {
  const { limit, windowMs } = rate;
  const window =
    windowMs % 60_000 === 0
      ? `${windowMs / 60_000}m`
      : windowMs % 1000 === 0
        ? `${windowMs / 1000}s`
        : `${windowMs}ms`;
  return `${limit}/${window}`;
}

/** `500=0.05,429=0.02` -> chaos probabilities. */
export function parseChaos(value: string): ChaosConfig {
  const out: ChaosConfig = { error500: 0, error429: 0 };
  for (const part of commaList(value)) {
    const m = /^(500|429)=(.+)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected 500=<p>,429=<p>; got "${part}"`);
    out[m[1] === '500' ? 'error500' : 'error429'] = probability(m[2]!);
  }
  return out;
}

/** A DNS name or IPv4 address: labels of letters, digits, `-` and `_` (container names), dot-separated. */
export const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/**
 * One entry of `--allowed-hosts`: a host name, an IP literal (`[::1]` or `::1`), `.domain` or `*.domain`
 * (the domain and its subdomains, stored as `.domain`), or `*`. A port is ignored.
 */
export function hostPattern(entry: string): string {
  const value = entry.trim().toLowerCase();
  if (value === '*') return '*';
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  if (/^[0-9a-f:]+$/.test(value) && value.includes('::')) return value; // a bare IPv6 literal
  const withoutPort = value.replace(/:\d{1,5}$/, '');
  const domain = /^(?:\*?\.)(.+)$/.exec(withoutPort)?.[1];
  if (domain !== undefined) {
    if (!HOST_NAME.test(domain)) throw new InvalidArgumentError(`"${entry}" is not a domain`);
    return `.${domain}`;
  }
  if (!HOST_NAME.test(withoutPort)) {
    throw new InvalidArgumentError(`"${entry}" is not a host name, an IP address, .domain, *.domain or *`);
  }
  return withoutPort;
}

export function hostList(value: string): string[] {
  const entries = commaList(value);
  if (entries.length === 0) throw new InvalidArgumentError('expected *, or host names separated by commas');
  const patterns = entries.map(hostPattern);
  return patterns.includes('*') ? ['*'] : [...new Set(patterns)];
}

/** `https://app.example:8443` -> its origin (scheme, host, port; lowercase, default port dropped). */
function origin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new InvalidArgumentError(`"${entry}" is not an origin such as https://app.example:8443`);
  }
  const written = entry.replace(/\/$/, '').toLowerCase();
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== written) {
    throw new InvalidArgumentError(
      `"${entry}" is not an origin (scheme://host[:port], no path) such as https://app.example:8443`,
    );
  }
  return url.origin;
}

function originList(value: string): string[] {
  return [...new Set(commaList(value).map(origin))];
}

export function parseCors(value: string): '*' | 'off' | string[] {
  const trimmed = value.trim();
  if (trimmed === '*' || trimmed === 'off') return trimmed;
  const origins = originList(trimmed);
  if (origins.length === 0) throw new InvalidArgumentError('expected off, *, or origins separated by commas');
  return origins;
}

export function parseControlCors(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === 'off' || trimmed === '') return [];
  if (commaList(trimmed).includes('*')) {
    throw new InvalidArgumentError(
      'the control API cannot be opened to every origin: name the origins of the pages that may use it',
    );
  }
  return originList(trimmed);
}

/** An http(s) base URL without a query or fragment (a path prefix is kept, trailing slashes are not). */
export function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('expected an http(s) base URL such as https://seedream45ai.org');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('expected an http(s) base URL without a query or fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

export function redisPrefix(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new InvalidArgumentError('expected 1 to 64 letters, digits, _ . or -');
  }
  return value;
}
