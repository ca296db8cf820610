/**
 * The report: what a state says at a moment of the world's clock, as plain JSON in the control API's
 * snake_case. Its schema is control-api.yaml's VerdictReport (the type below is generated from it); a
 * test validates reports against it.
 *
 * Spend comes from the store's ledger counters, not from the fold (the ledger is the book of
 * record: refunds of tasks nobody polled happen without a request), and is passed in.
 */
import type { components } from '../../../generated/control-api.js';
import type { OutcomeCatalogue } from './catalogue.js';
import type { Example } from './facts.js';
import { LOOSE_RULES as RULES } from './rules/index.js';
import type { Severity } from './rules/rule.js';
import { settingsOf, type VerdictSettings } from './settings.js';
import { MAX_EXAMPLES, type VerdictState } from './state.js';

export interface SpendInput {
  debited: number;
  refunded: number;
  /** Per key, by its printable label (never the key). */
  byKey: { key: string; debited: number; refunded: number }[];
}

export interface ReportInput {
  /** The world's clock now (ms). */
  now: number;
  /** `default`, or the tenant's id. */
  world: string;
  catalogue: OutcomeCatalogue;
  settings: VerdictSettings;
  spend: SpendInput;
  /**
   * Observations and control events the judge never saw: recorded, then dropped before any fold
   * (a shared store bounds what waits to be folded). 0 when absent.
   */
  unseen?: number;
}

/**
 * The report's shape is control-api.yaml's (components.schemas.VerdictReport), through the types
 * generated from it: the schema the control API validates answers against, and the type reportOf
 * builds, are one definition.
 */
type Schemas = components['schemas'];
export type VerdictReport = Schemas['VerdictReport'];
export type VerdictFinding = Schemas['VerdictFinding'];
export type VerdictExample = VerdictFinding['examples'][number];
export type VerdictRuleResult = Schemas['VerdictRuleResult'];
export type SpendLine = Omit<VerdictReport['spend'], 'by_key'>;

export const RULES_DOC = 'docs/reference/verdict-rules.md';

export function reportOf(state: VerdictState, input: ReportInput): VerdictReport {
  const { now, catalogue, settings } = input;
  const tallies = new Map<string, { occurrences: number; examples: Example[] }>(state.findings);
  for (const rule of RULES) {
    const s = settingsOf(settings, rule.id);
    if (!s.enabled || rule.atReport === undefined) continue;
    const found = rule.atReport({ now, tasks: state.tasks.entries() }, s);
    if (found.length > 0)
      tallies.set(rule.id, { occurrences: found.length, examples: found.slice(0, MAX_EXAMPLES) });
  }

  const rules: VerdictRuleResult[] = RULES.map((rule) => {
    const s = settingsOf(settings, rule.id);
    return {
      id: rule.id,
      severity: s.severity,
      enabled: s.enabled,
      summary: rule.summary,
      occurrences: s.enabled ? (tallies.get(rule.id)?.occurrences ?? 0) : 0,
    };
  });
  const findings: VerdictFinding[] = RULES.flatMap((rule) => {
    const s = settingsOf(settings, rule.id);
    const tally = tallies.get(rule.id);
    if (!s.enabled || tally === undefined || tally.occurrences === 0) return [];
    return [
      {
        rule: rule.id,
        severity: s.severity,
        message: rule.message(tally.occurrences, s),
        occurrences: tally.occurrences,
        examples: tally.examples.map((e) => ({
          journal_id: e.journalId,
          summary: exampleSummary(e, catalogue),
          detail: e.detail,
        })),
        help: `${RULES_DOC}#${rule.id}`,
      },
    ];
  }).sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.rule.localeCompare(b.rule));

  const coverage = coverageOf(state, catalogue);
  const forgotten = {
    keys: state.keys.evicted,
    tasks: state.tasks.evicted,
    requests: state.requestFacts.evicted,
    generates: state.generates.evicted,
  };
  const observed = Object.values(state.requests).reduce((a, b) => a + b, 0);
  const unseen = input.unseen ?? 0;
  return {
    world: input.world,
    now: iso(now),
    since: state.since === null ? null : iso(state.since),
    requests: {
      observed,
      by_operation: { ...state.requests },
      unanswered: state.unanswered,
      first_at: state.firstAt === null ? null : iso(state.firstAt),
      last_at: state.lastAt === null ? null : iso(state.lastAt),
    },
    summary: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      occurrences: findings.reduce((a, f) => a + f.occurrences, 0),
      rules_checked: rules.filter((r) => r.enabled).length,
      outcomes_catalogued: catalogue.outcomes.length,
      outcomes_seen: coverage.seen.length,
      outcomes_missing: coverage.missing.length,
      outcomes_unexpected: coverage.seen.filter((s) => s.unexpected).length,
    },
    findings,
    rules,
    coverage,
    spend: spendOf(input.spend),
    settings: structuredClone(settings),
    blind_spots: {
      complete: Object.values(forgotten).every((n) => n === 0) && state.outOfOrder === 0 && unseen === 0,
      forgotten,
      out_of_order: state.outOfOrder,
      unseen,
      notes: blindSpotNotes(forgotten, state.outOfOrder, unseen, settings),
    },
  };
}

function severityRank(s: Severity): number {
  return s === 'error' ? 0 : 1;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function coverageOf(state: VerdictState, catalogue: OutcomeCatalogue): VerdictReport['coverage'] {
  const known = new Set(catalogue.outcomes.map((o) => o.id));
  const seen: VerdictReport['coverage']['seen'] = [];
  const missing: string[] = [];
  for (const { id } of catalogue.outcomes) {
    const n = state.coverage.get(id);
    if (n === undefined) missing.push(id);
    else seen.push({ outcome: id, count: n, unexpected: false });
  }
  const unexpected = [...state.coverage.keys()].filter((id) => !known.has(id)).sort();
  for (const id of unexpected) seen.push({ outcome: id, count: state.coverage.get(id)!, unexpected: true });
  return { seen, missing };
}

/** One line per request: `POST /api/generate 429 at 2025-06-14T05:21:12.000Z key sk-d…-dev`. */
export function exampleSummary(e: Example, catalogue: OutcomeCatalogue): string {
  const op = catalogue.operations[e.operation];
  const route = op ? `${op.method} ${op.path}` : e.operation;
  const answer =
    e.fault !== null
      ? `fault:${e.fault}`
      : e.status === 0
        ? 'no answer'
        : e.taskStatus !== null
          ? `${e.status} ${e.taskStatus}`
          : String(e.status);
  const task = e.taskId !== null ? ` task ${e.taskId}` : '';
  return `${route} ${answer} at ${iso(e.at)} key ${e.keyLabel ?? '(none)'}${task}`;
}

function spendOf(spend: SpendInput): VerdictReport['spend'] {
  return {
    debited: spend.debited,
    refunded: spend.refunded,
    net: spend.debited - spend.refunded,
    by_key: [...spend.byKey]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((k) => ({ key: k.key, debited: k.debited, refunded: k.refunded, net: k.debited - k.refunded })),
  };
}

function blindSpotNotes(
  forgotten: VerdictReport['blind_spots']['forgotten'],
  outOfOrder: number,
  unseen: number,
  settings: VerdictSettings,
): string[] {
  const notes: string[] = [];
  const { caps } = settings;
  if (forgotten.keys > 0)
    notes.push(
      `${forgotten.keys} keys were forgotten (more than ${caps.keys} at once): a Retry-After one of them had been given, ` +
        'or a balance set for it, was no longer known, so retry-after-ignored may have missed requests and ' +
        'retry-unchanged-4xx did not judge 401 and 402 repeats of keys it no longer remembered.',
    );
  if (forgotten.tasks > 0)
    notes.push(
      `${forgotten.tasks} tasks were forgotten (more than ${caps.tasks} at once): their later polls were judged without ` +
        'their plan, a repeat of their generate could not be compared with them, and abandoned-task could not judge them.',
    );
  if (forgotten.requests > 0)
    notes.push(
      `${forgotten.requests} distinct requests were forgotten (more than ${caps.requests} at once): a later retry of one ` +
        'of them was taken as a first attempt by no-backoff and retry-unchanged-4xx.',
    );
  if (forgotten.generates > 0)
    notes.push(
      `${forgotten.generates} paid generate bodies were forgotten (more than ${caps.generates} at once): ` +
        'duplicate-generate could not compare a later generate with them.',
    );
  if (outOfOrder > 0)
    notes.push(`${outOfOrder} observations came with a seq not above the last one folded, and were ignored.`);
  if (unseen > 0)
    notes.push(
      `${unseen} requests (or control events) were recorded but dropped before the judge saw them: more came ` +
        'in than the store keeps waiting to be folded, so no rule judged them and their outcomes are not in the coverage.',
    );
  return notes;
}
