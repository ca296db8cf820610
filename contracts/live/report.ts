/**
 * What a live run found, for people (a summary on stdout) and for CI (JUnit XML), with the API key
 * redacted from both: every string leaves through `Redactor.redact`.
 *
 * Outcomes:
 * - `pass`: the answer is the one the spec (and the pact interaction, when one is replayed) describes;
 * - `drift`: the provider answered, but not as described: a status, header, field or type differs. Each
 *   finding is marked `documented` (the provider departs from its own documentation) or `inferred`
 *   (one of our choices where the documentation is silent turned out wrong: update openapi.yaml);
 * - `fail`: the check could not be carried out for a reason that is not the provider's contract: the
 *   key was refused, the account could not pay for the budgeted run, a matcher could not be evaluated;
 * - `transient`: a timeout, a network error, a 5xx or a 429: retry later, this says nothing about drift;
 * - `skipped`: not run (the budget does not allow it, or a pact interaction needs a state we cannot set).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redactor } from '../../mock-server/src/cassette/redaction.js';
import type { Finding, Provenance } from './spec.js';

export type Outcome = 'pass' | 'drift' | 'fail' | 'transient' | 'skipped';

export interface CheckResult {
  /** Stable id, e.g. `free/status-unknown-task`, `pact/a status request for an unknown task`. */
  id: string;
  /** JUnit class name: `free`, `pact`, `lifecycle`. */
  group: 'free' | 'pact' | 'lifecycle';
  /** What is checked, in words. */
  name: string;
  /** `x-provenance` of the operation/response the check expects, from openapi.yaml. */
  provenance: Provenance;
  outcome: Outcome;
  findings: Finding[];
  /** One line: what happened (the status seen, why it failed or was skipped, the task's end). */
  detail: string;
  durationMs: number;
  /** Credits this check may have cost (the price of each generate the provider accepted). */
  credits: number;
}

export interface LiveRun {
  baseUrl: string;
  maxCredits: number;
  creditsSpent: number;
  startedAt: Date;
  durationMs: number;
  results: CheckResult[];
  /** With --through-proxy: the cassette of what the live API answered (keys redacted). */
  cassette?: string;
}

/**
 * Exit codes: 0 all passed (or skipped), 1 fail or drift, 2 refused to run (usage: environment,
 * options), 3 only transient problems, 4 a set-up problem on this side (no pact, and it could not be
 * built): nothing was checked, so it says nothing about the live API.
 */
export const EXIT = { ok: 0, failOrDrift: 1, refused: 2, transient: 3, setup: 4 } as const;

export function exitCodeOf(results: readonly CheckResult[]): number {
  if (results.some((r) => r.outcome === 'fail' || r.outcome === 'drift')) return EXIT.failOrDrift;
  if (results.some((r) => r.outcome === 'transient')) return EXIT.transient;
  return EXIT.ok;
}

/** Replaces every occurrence of the secret (and its URL-encoded form) with `[redacted]` (the proxy's too). */
export { Redactor };

/** A base URL fit to print: without user info (credentials) in it. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

const LABEL: Record<Outcome, string> = {
  pass: 'PASS',
  drift: 'DRIFT',
  fail: 'FAIL',
  transient: 'TRANSIENT',
  skipped: 'SKIP',
};

export function counts(results: readonly CheckResult[]): Record<Outcome, number> {
  const out: Record<Outcome, number> = { pass: 0, drift: 0, fail: 0, transient: 0, skipped: 0 };
  for (const r of results) out[r.outcome]++;
  return out;
}

export function formatFinding(f: Finding): string {
  return `${f.where}: ${f.message} (${f.provenance})`;
}

/** The readable summary: one line per check, its findings below it, then the totals. */
export function formatSummary(run: LiveRun, junitFile: string | undefined): string {
  const lines: string[] = [];
  const c = counts(run.results);
  const width = Math.max(...run.results.map((r) => r.name.length), 20);
  lines.push('');
  for (const group of ['free', 'pact', 'lifecycle'] as const) {
    const inGroup = run.results.filter((r) => r.group === group);
    if (inGroup.length === 0) continue;
    lines.push(
      {
        free: 'Checks that cost nothing',
        pact: 'Pact interactions a provider we do not control can satisfy',
        lifecycle: 'Task lifecycles (within --max-credits)',
      }[group],
    );
    for (const r of inGroup) {
      const label = LABEL[r.outcome].padEnd(9);
      lines.push(
        `  ${label} [${r.provenance}]${r.provenance === 'inferred' ? '  ' : ''} ${r.name.padEnd(width)}  ${r.durationMs} ms`,
      );
      if (r.detail !== '') lines.push(`              ${r.detail}`);
      for (const f of r.findings) lines.push(`              - ${formatFinding(f)}`);
    }
    lines.push('');
  }
  const total = run.results.length;
  lines.push(
    `${total} checks: ${c.pass} pass, ${c.drift} drift, ${c.fail} fail, ${c.transient} transient, ${c.skipped} skipped` +
      ` in ${(run.durationMs / 1000).toFixed(1)} s; credits spent ${run.creditsSpent} of ${run.maxCredits}`,
  );
  if (junitFile !== undefined) lines.push(`JUnit report: ${junitFile}`);
  const code = exitCodeOf(run.results);
  lines.push(
    code === EXIT.ok
      ? 'Result: the live API agrees with openapi.yaml and the pact.'
      : code === EXIT.transient
        ? 'Result: no drift found, but some checks met transient problems: run again later (exit 3).'
        : 'Result: the live API differs from openapi.yaml or the pact, or a check failed (exit 1).',
  );
  return `${lines.join('\n')}\n`;
}

/** Whether XML 1.0 can carry the character at all (tab, newlines and most of Unicode). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function xml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  return Array.from(escaped, (ch) => (isXmlChar(ch.codePointAt(0)!) ? ch : '\ufffd')).join('');
}

/** JUnit XML: drift and fail are failures (type says which), transient problems are errors. */
export function formatJUnit(run: LiveRun): string {
  const c = counts(run.results);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = run.results.map((r) => {
    const message = r.detail || r.findings.map(formatFinding).join('; ');
    const body = [r.detail, ...r.findings.map((f) => `- ${formatFinding(f)}`)]
      .filter((l) => l !== '')
      .join('\n');
    const inner =
      r.outcome === 'drift' || r.outcome === 'fail'
        ? `\n      <failure type="${r.outcome}" message="${xml(message)}">${xml(body)}</failure>`
        : r.outcome === 'transient'
          ? `\n      <error type="transient" message="${xml(message)}">${xml(body)}</error>`
          : r.outcome === 'skipped'
            ? `\n      <skipped message="${xml(r.detail)}"/>`
            : '';
    const out = `\n      <system-out>${xml(`outcome: ${r.outcome}; provenance: ${r.provenance}; credits: ${r.credits}${r.detail ? `\n${r.detail}` : ''}`)}</system-out>`;
    return (
      `    <testcase classname="dreamcore-live.${r.group}" name="${xml(`[${r.provenance}] ${r.name}`)}" time="${seconds(r.durationMs)}">` +
      `${inner}${out}\n    </testcase>`
    );
  });
  const attributes =
    `tests="${run.results.length}" failures="${c.drift + c.fail}" errors="${c.transient}" skipped="${c.skipped}" ` +
    `time="${seconds(run.durationMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dreamcore-live" ${attributes}>`,
    `  <testsuite name="dreamcore-live ${xml(displayUrl(run.baseUrl))}" ${attributes} timestamp="${run.startedAt.toISOString()}">`,
    '    <properties>',
    `      <property name="base_url" value="${xml(displayUrl(run.baseUrl))}"/>`,
    `      <property name="max_credits" value="${run.maxCredits}"/>`,
    `      <property name="credits_spent" value="${run.creditsSpent}"/>`,
    `      <property name="drift" value="${c.drift}"/>`,
    `      <property name="fail" value="${c.fail}"/>`,
    `      <property name="transient" value="${c.transient}"/>`,
    ...(run.cassette === undefined ? [] : [`      <property name="cassette" value="${xml(run.cassette)}"/>`]),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function writeJUnit(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
