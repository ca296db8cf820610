/**
 * The verdict's settings: how much the judge may remember (caps) and each rule's switch, severity
 * and thresholds, resolved from a partial input over the rules' defaults, linter style:
 * `{ rules: { 'no-backoff': 'off', 'poll-too-fast': { min_interval_ms: 2000 } } }`.
 *
 * Snake_case, as the report shows the settings it used. Input from outside is checked: an unknown
 * rule or field, or a value out of bounds, is a VerdictSettingsError naming it.
 */
import { LOOSE_RULES, RULES, type AnyRule } from './rules/index.js';
import type { Bounds, LooseRule, LooseSettings, RuleSettings, Severity, Thresholds } from './rules/rule.js';

export interface Caps {
  /** Keys remembered (their Retry-After windows and account changes). */
  keys: number;
  /** Tasks remembered (their plans and polls). */
  tasks: number;
  /** Distinct requests remembered (their last answer and run of retries), per key. */
  requests: number;
  /** Distinct paid generate bodies remembered, per key (duplicate-generate). */
  generates: number;
}

/**
 * Enough for a test suite's world between two resets (hundreds of tasks, a few thousand requests),
 * while the state stays small enough to be read and written whole as JSON: 488 KB with every table
 * full of worst-case entries (test/verdict/properties.test.ts builds it and holds it under 500 KB),
 * a few KB for a typical test. A load test runs past them; the report then says what was forgotten.
 */
export const DEFAULT_CAPS: Readonly<Caps> = { keys: 200, tasks: 1000, requests: 1000, generates: 500 };

const CAP_BOUNDS: Bounds = { min: 1, max: 1_000_000, integer: true };

export type VerdictRuleSettings = { [R in AnyRule as R['id']]: RuleSettings<R['defaults']> };

export interface VerdictSettings {
  caps: Caps;
  rules: VerdictRuleSettings;
}

export type RuleInput<T extends Thresholds> =
  'off' | Severity | ({ enabled?: boolean; severity?: Severity } & Partial<T>);

export interface VerdictSettingsInput {
  caps?: Partial<Caps>;
  rules?: { [R in AnyRule as R['id']]?: RuleInput<R['defaults']> };
}

export class VerdictSettingsError extends Error {
  override name = 'VerdictSettingsError';
}

const SEVERITIES: readonly Severity[] = ['error', 'warning'];

export function resolveSettings(input: VerdictSettingsInput | unknown = {}): VerdictSettings {
  const root = object(input ?? {}, 'settings');
  unknownFields(root, ['caps', 'rules'], 'settings');
  const capsInput = object(root.caps ?? {}, 'caps');
  unknownFields(capsInput, Object.keys(DEFAULT_CAPS), 'caps');
  const caps = { ...DEFAULT_CAPS } as Caps;
  for (const name of Object.keys(DEFAULT_CAPS) as (keyof Caps)[])
    if (capsInput[name] !== undefined) caps[name] = bounded(capsInput[name], CAP_BOUNDS, `caps.${name}`);

  const rulesInput = object(root.rules ?? {}, 'rules');
  unknownFields(
    rulesInput,
    RULES.map((r) => r.id),
    'rules',
  );
  const rules: Record<string, LooseSettings> = {};
  for (const rule of LOOSE_RULES) rules[rule.id] = resolveRule(rule, rulesInput[rule.id]);
  return { caps, rules: rules as unknown as VerdictRuleSettings };
}

function resolveRule(rule: LooseRule, input: unknown): LooseSettings {
  const where = `rules.${rule.id}`;
  const defaults: Thresholds = rule.defaults;
  const out: LooseSettings = { enabled: true, severity: rule.severity, ...structuredClone(defaults) };
  if (input === undefined) return out;
  if (input === 'off') return { ...out, enabled: false };
  if (typeof input === 'string') return { ...out, severity: severity(input, where) };
  const given = object(input, where);
  unknownFields(given, ['enabled', 'severity', ...Object.keys(defaults)], where);
  if (given.enabled !== undefined) {
    if (typeof given.enabled !== 'boolean')
      throw new VerdictSettingsError(`${where}.enabled must be true or false`);
    out.enabled = given.enabled;
  }
  if (given.severity !== undefined) out.severity = severity(given.severity, `${where}.severity`);
  const bounds = rule.bounds;
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = given[name];
    if (value === undefined) continue;
    const b = bounds[name]!;
    if (Array.isArray(fallback)) {
      if (!Array.isArray(value) || value.length === 0)
        throw new VerdictSettingsError(`${where}.${name} must be a non-empty list of numbers`);
      out[name] = [...new Set(value.map((v, i) => bounded(v, b, `${where}.${name}[${i}]`)))].sort(
        (x, y) => x - y,
      );
    } else out[name] = bounded(value, b, `${where}.${name}`);
  }
  return out;
}

function severity(value: unknown, where: string): Severity {
  if (SEVERITIES.includes(value as Severity)) return value as Severity;
  throw new VerdictSettingsError(
    `${where} must be "off", "error" or "warning"; got ${JSON.stringify(value)}`,
  );
}

function bounded(value: unknown, b: Bounds, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (b.integer && !Number.isInteger(value)))
    throw new VerdictSettingsError(
      `${where} must be ${b.integer ? 'an integer' : 'a number'}; got ${JSON.stringify(value)}`,
    );
  if (value < b.min || value > b.max)
    throw new VerdictSettingsError(`${where} must be between ${b.min} and ${b.max}; got ${value}`);
  return value;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new VerdictSettingsError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function unknownFields(value: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const name of Object.keys(value))
    if (!known.includes(name))
      throw new VerdictSettingsError(`${where}: unknown field "${name}" (known: ${known.join(', ')})`);
}

export const DEFAULT_SETTINGS: Readonly<VerdictSettings> = resolveSettings();

/** A rule's resolved settings, typed loosely for code that walks every rule. */
export function settingsOf(settings: VerdictSettings, id: string): LooseSettings {
  return (settings.rules as unknown as Record<string, LooseSettings>)[id]!;
}
