/**
 * The shape of a verdict rule, as a linter's: an id, a default severity, default thresholds with
 * their bounds, the reasoning for the defaults (in the rule's module and in
 * docs/reference/verdict-rules.md), and a message saying what the client did and what to do instead.
 *
 * A rule is a pure check. `onObservation` reads one observation and what the judge knew before it
 * (facts.ts), and says whether that request broke the rule (with a one-line detail) or not;
 * `atReport` judges what is only known at the end (a task nobody read). Rules keep no memory of
 * their own: what they need to remember is a fact the fold learns.
 */
import type { Example, KeyFacts, PaidFacts, RequestFacts, TaskFacts } from '../facts.js';
import type { Observation } from '../observation.js';

export type Severity = 'error' | 'warning';

/** Thresholds are numbers, or lists of HTTP statuses; snake_case, as the report shows them. */
export type Thresholds = Record<string, number | number[]>;

export interface Bounds {
  min: number;
  max: number;
  integer: boolean;
}

export type RuleSettings<T extends Thresholds = Thresholds> = { enabled: boolean; severity: Severity } & T;

/** What the judge knew about the request's key, the request, its task and its paid body, before it. */
export interface ObservationContext {
  o: Observation;
  keyId: string;
  key: KeyFacts | undefined;
  request: RequestFacts | undefined;
  task: TaskFacts | undefined;
  paid: PaidFacts | undefined;
  /** The task `paid` refers to, when the judge still remembers it. */
  paidTask: TaskFacts | undefined;
  /** Whether any key's facts were forgotten: a missing key may then be one the judge no longer sees. */
  keysForgotten: boolean;
}

export interface ReportContext {
  now: number;
  /** Every task remembered, least recently seen first, with its id. */
  tasks: Iterable<[string, TaskFacts]>;
}

export interface Rule<Id extends string = string, T extends Thresholds = Thresholds> {
  id: Id;
  severity: Severity;
  defaults: T;
  bounds: { [K in keyof T]: Bounds };
  /** What it catches, in one line (the JUnit test case's description, the docs' table). */
  summary: string;
  /** The finding's message: what the client did, `occurrences` times, and what it should do instead. */
  message(occurrences: number, settings: RuleSettings<T>): string;
  /** The detail of why this request broke the rule, or null when it did not. */
  onObservation?(ctx: ObservationContext, settings: RuleSettings<T>): string | null;
  /** Occurrences only known when the report is made, each with its example. */
  atReport?(ctx: ReportContext, settings: RuleSettings<T>): Example[];
}

/** A rule's resolved settings as code that walks every rule sees them. */
export type LooseSettings = { enabled: boolean; severity: Severity; [threshold: string]: unknown };

/** Any rule, through the loosest types, for code that walks every rule (the fold, the report). */
export interface LooseRule {
  id: string;
  severity: Severity;
  defaults: Thresholds;
  bounds: Record<string, Bounds>;
  summary: string;
  message(occurrences: number, settings: LooseSettings): string;
  onObservation?(ctx: ObservationContext, settings: LooseSettings): string | null;
  atReport?(ctx: ReportContext, settings: LooseSettings): Example[];
}

/** Keeps the literal id and the thresholds' type of a rule module. */
export function defineRule<Id extends string, T extends Thresholds>(rule: Rule<Id, T>): Rule<Id, T> {
  return rule;
}

/** `3 requests`, `1 request`. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** A duration for a message: `400 ms`, `2 s`, `1.5 s`. */
export function duration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
