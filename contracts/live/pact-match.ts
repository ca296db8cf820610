/**
 * Checks an HTTP answer against a V4 pact interaction's expected response, with the pact's semantics
 * for the matching rules the consumer tests use: status, headers (expected ones must be present),
 * bodies (expected keys must be present, extra keys are allowed; arrays are compared element by
 * element unless a rule says otherwise), and the matchers `type` (with `min`/`max`), `regex`,
 * `integer`, `decimal`, `number`, `boolean`, `equality`, `include`, `null`, `datetime`/`date`/`time`/
 * `timestamp` and `arrayContains`, combined with AND or OR. A rule on a node applies to the nodes below
 * it unless a deeper rule takes over, as in Pact (`like({...})` matches every child by type).
 *
 * It exists so the live runner can replay interactions without the native verifier (which cannot tell
 * a drift from a 503, nor keep the key out of its logs). A matcher it does not know is reported as
 * `unsupported`, never passed silently.
 */

export interface Matcher {
  match: string;
  regex?: string;
  min?: number;
  max?: number;
  format?: string;
  value?: unknown;
  variants?: Array<{ index: number; rules?: Record<string, RuleSet> }>;
}

export interface RuleSet {
  combine?: 'AND' | 'OR';
  matchers: Matcher[];
}

export interface PactHttpResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: { content?: unknown; contentType?: string; encoded?: boolean | string };
  matchingRules?: { body?: Record<string, RuleSet>; header?: Record<string, RuleSet> };
}

export interface ActualResponse {
  status: number;
  headers: Headers;
  /** The parsed body when it is JSON. */
  json: unknown;
  isJson: boolean;
  text: string;
}

export interface PactMismatch {
  /** `status`, `header Retry-After`, or a body path `$.data.task_id`. */
  where: string;
  message: string;
}

export interface PactMatchResult {
  mismatches: PactMismatch[];
  /** Matchers this module cannot evaluate: the comparison is incomplete, not passed. */
  unsupported: string[];
}

type Token = string | number | '*';

export function matchResponse(expected: PactHttpResponse, actual: ActualResponse): PactMatchResult {
  const result: PactMatchResult = { mismatches: [], unsupported: [] };
  if (actual.status !== expected.status) {
    result.mismatches.push({ where: 'status', message: `expected ${expected.status}, got ${actual.status}` });
  }

  const headerRules = lowerKeys(expected.matchingRules?.header ?? {});
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const actualValue = actual.headers.get(name);
    const expectedValue = Array.isArray(value) ? value.join(', ') : value;
    if (actualValue === null) {
      result.mismatches.push({
        where: `header ${name}`,
        message: `expected ${JSON.stringify(expectedValue)}, but it is missing`,
      });
      continue;
    }
    const rules = headerRules[name.toLowerCase()];
    const problem = rules
      ? applyRuleSet(rules, expectedValue, actualValue, result)
      : actualValue.trim() === expectedValue.trim()
        ? undefined
        : `expected ${JSON.stringify(expectedValue)}, got ${JSON.stringify(actualValue)}`;
    if (problem) result.mismatches.push({ where: `header ${name}`, message: problem });
  }

  const content = expected.body?.content;
  if (content !== undefined) {
    if (!actual.isJson) {
      result.mismatches.push({
        where: '$',
        message: `expected a JSON body, got ${JSON.stringify(actual.text.slice(0, 200))}`,
      });
    } else {
      const rules = parseRules(expected.matchingRules?.body ?? {});
      compareValue(content, actual.json, ['$'], rules, result);
    }
  }
  return result;
}

interface ParsedRule {
  tokens: Token[];
  ruleSet: RuleSet;
}

function parseRules(rules: Record<string, RuleSet>): ParsedRule[] {
  return Object.entries(rules).map(([path, ruleSet]) => ({ tokens: parsePath(path), ruleSet }));
}

/** `$.data.response[*]`, `$['a b'][0]`, `$.a.*` -> tokens. */
export function parsePath(path: string): Token[] {
  const tokens: Token[] = [];
  const re = /^\$|\.([^.[\]]+)|\[(\d+|\*)\]|\['([^']+)'\]/gy;
  let match: RegExpExecArray | null;
  while ((match = re.exec(path)) !== null && match[0] !== '') {
    if (match[0] === '$') tokens.push('$');
    else if (match[1] !== undefined) tokens.push(match[1] === '*' ? '*' : match[1]);
    else if (match[2] !== undefined) tokens.push(match[2] === '*' ? '*' : Number(match[2]));
    else if (match[3] !== undefined) tokens.push(match[3]);
    if (re.lastIndex >= path.length) break;
  }
  return tokens;
}

function formatPath(path: readonly Token[]): string {
  return path
    .map((token, i) => (i === 0 ? token : typeof token === 'number' ? `[${token}]` : `.${token}`))
    .join('');
}

/**
 * The rule for `path`: the deepest rule whose path matches `path` or one of its ancestors (exact names
 * and indexes beat `*` at equal depth).
 */
function ruleFor(
  rules: readonly ParsedRule[],
  path: readonly Token[],
): { rule: ParsedRule; exact: boolean } | undefined {
  let best: { rule: ParsedRule; depth: number; weight: number } | undefined;
  for (const rule of rules) {
    if (rule.tokens.length > path.length) continue;
    let weight = 0;
    const matches = rule.tokens.every((token, i) => {
      const actual = path[i];
      if (token === '*') return ((weight += 1), true);
      if (token === actual) return ((weight += 2), true);
      return false;
    });
    if (!matches) continue;
    const depth = rule.tokens.length;
    if (!best || depth > best.depth || (depth === best.depth && weight > best.weight)) {
      best = { rule, depth, weight };
    }
  }
  return best && { rule: best.rule, exact: best.depth === path.length };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compareValue(
  expected: unknown,
  actual: unknown,
  path: Token[],
  rules: readonly ParsedRule[],
  result: PactMatchResult,
): void {
  const where = formatPath(path);
  const found = ruleFor(rules, path);
  const matchers = found?.rule.ruleSet.matchers ?? [];

  if (found?.exact && matchers.some((m) => m.match === 'arrayContains')) {
    const problem = applyRuleSet(found.rule.ruleSet, expected, actual, result);
    if (problem) result.mismatches.push({ where, message: problem });
    return;
  }

  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      result.mismatches.push({ where, message: `expected an array, got ${jsonType(actual)}` });
      return;
    }
    const typeRule = matchers.find((m) => m.match === 'type');
    if (found?.exact && typeRule) {
      // `eachLike`: any length within min/max, every element like the first expected one.
      if (typeRule.min !== undefined && actual.length < typeRule.min) {
        result.mismatches.push({
          where,
          message: `expected at least ${typeRule.min} element(s), got ${actual.length}`,
        });
      }
      if (typeRule.max !== undefined && actual.length > typeRule.max) {
        result.mismatches.push({
          where,
          message: `expected at most ${typeRule.max} element(s), got ${actual.length}`,
        });
      }
      const template = expected[0];
      if (template !== undefined) {
        actual.forEach((item, i) => compareValue(template, item, [...path, i], rules, result));
      }
      return;
    }
    if (!found && actual.length !== expected.length) {
      result.mismatches.push({
        where,
        message: `expected ${expected.length} element(s), got ${actual.length}`,
      });
      return;
    }
    if (found && !found.exact && matchers.some((m) => m.match === 'type')) {
      // Inherited type matching: lengths may differ; each element like the first.
      const template = expected[0];
      if (template !== undefined)
        actual.forEach((item, i) => compareValue(template, item, [...path, i], rules, result));
      return;
    }
    expected.forEach((item, i) => {
      if (i < actual.length) compareValue(item, actual[i], [...path, i], rules, result);
      else
        result.mismatches.push({
          where: formatPath([...path, i]),
          message: 'expected an element, but it is missing',
        });
    });
    return;
  }

  if (isObject(expected)) {
    if (!isObject(actual)) {
      result.mismatches.push({ where, message: `expected an object, got ${jsonType(actual)}` });
      return;
    }
    const missing = Object.keys(expected).filter((key) => !(key in actual));
    if (missing.length > 0) {
      result.mismatches.push({
        where,
        message: `missing key(s) ${missing.join(', ')} (present: ${Object.keys(actual).join(', ')})`,
      });
    }
    for (const [key, value] of Object.entries(expected)) {
      if (key in actual) compareValue(value, actual[key], [...path, key], rules, result);
    }
    return;
  }

  const problem = found
    ? applyRuleSet(found.rule.ruleSet, expected, actual, result)
    : deepEqual(expected, actual)
      ? undefined
      : `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  if (problem) result.mismatches.push({ where, message: problem });
}

/** A problem description, or undefined when the value satisfies the rule set. */
function applyRuleSet(
  ruleSet: RuleSet,
  expected: unknown,
  actual: unknown,
  result: PactMatchResult,
): string | undefined {
  const problems = ruleSet.matchers.map((m) => applyMatcher(m, expected, actual, result));
  if ((ruleSet.combine ?? 'AND') === 'OR') {
    return problems.some((p) => p === undefined) ? undefined : problems.join('; or ');
  }
  const failed = problems.filter((p): p is string => p !== undefined);
  return failed.length === 0 ? undefined : failed.join('; ');
}

function applyMatcher(
  matcher: Matcher,
  expected: unknown,
  actual: unknown,
  result: PactMatchResult,
): string | undefined {
  const shown = JSON.stringify(actual);
  switch (matcher.match) {
    case 'type':
      if (jsonType(expected) !== jsonType(actual)) return `expected a ${jsonType(expected)}, got ${shown}`;
      if (Array.isArray(actual)) {
        if (matcher.min !== undefined && actual.length < matcher.min)
          return `expected at least ${matcher.min} element(s)`;
        if (matcher.max !== undefined && actual.length > matcher.max)
          return `expected at most ${matcher.max} element(s)`;
      }
      return undefined;
    case 'regex': {
      const text =
        typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean'
          ? String(actual)
          : undefined;
      if (text === undefined || !new RegExp(matcher.regex ?? '').test(text))
        return `${shown} does not match /${matcher.regex}/`;
      return undefined;
    }
    case 'integer':
      return Number.isInteger(actual) ? undefined : `expected an integer, got ${shown}`;
    case 'decimal':
    case 'number':
      return typeof actual === 'number' ? undefined : `expected a number, got ${shown}`;
    case 'boolean':
      return typeof actual === 'boolean' ? undefined : `expected a boolean, got ${shown}`;
    case 'null':
      return actual === null ? undefined : `expected null, got ${shown}`;
    case 'equality':
      return deepEqual(expected, actual) ? undefined : `expected ${JSON.stringify(expected)}, got ${shown}`;
    case 'include':
      return typeof actual === 'string' && actual.includes(String(matcher.value))
        ? undefined
        : `${shown} does not include ${JSON.stringify(matcher.value)}`;
    case 'datetime':
    case 'timestamp':
    case 'date':
    case 'time': {
      const pattern = matcher.format === undefined ? undefined : formatToRegex(matcher.format);
      if (typeof actual !== 'string') return `expected a ${matcher.match} string, got ${shown}`;
      if (pattern === undefined) {
        result.unsupported.push(`${matcher.match} format ${JSON.stringify(matcher.format)}`);
        return undefined;
      }
      return pattern.test(actual) ? undefined : `${shown} is not in the format ${matcher.format}`;
    }
    case 'arrayContains': {
      if (!Array.isArray(actual) || !Array.isArray(expected)) return `expected an array, got ${shown}`;
      const missing: number[] = [];
      for (const variant of matcher.variants ?? []) {
        const template = expected[variant.index];
        const variantRules = parseRules(variant.rules ?? {});
        const matched = actual.some((item) => {
          const attempt: PactMatchResult = { mismatches: [], unsupported: [] };
          compareValue(template, item, ['$'], variantRules, attempt);
          result.unsupported.push(...attempt.unsupported);
          return attempt.mismatches.length === 0;
        });
        if (!matched) missing.push(variant.index);
      }
      return missing.length === 0
        ? undefined
        : `no element like ${missing.map((i) => JSON.stringify(expected[i])).join(', ')} in ${shown}`;
    }
    default:
      result.unsupported.push(`matcher "${matcher.match}"`);
      return undefined;
  }
}

/** A Java DateTimeFormatter pattern (`yyyy-MM-dd'T'HH:mm:ss'Z'`) as a regex, or undefined when unknown. */
export function formatToRegex(format: string): RegExp | undefined {
  const TOKENS: Record<string, string> = {
    yyyy: '\\d{4}',
    MM: '(0[1-9]|1[0-2])',
    dd: '(0[1-9]|[12]\\d|3[01])',
    HH: '([01]\\d|2[0-3])',
    mm: '[0-5]\\d',
    ss: '[0-5]\\d',
    SSS: '\\d{3}',
    XXX: '(Z|[+-]\\d{2}:\\d{2})',
  };
  let out = '';
  for (let i = 0; i < format.length;) {
    if (format[i] === "'") {
      const end = format.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += escapeRegex(format.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    const token = Object.keys(TOKENS).find((t) => format.startsWith(t, i));
    if (token) {
      out += TOKENS[token];
      i += token.length;
    } else if (/[A-Za-z]/.test(format[i]!)) {
      return undefined;
    } else {
      out += escapeRegex(format[i]!);
      i++;
    }
  }
  return new RegExp(`^${out}$`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function lowerKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
