/**
 * The report for a terminal: plain text, no colour codes (CI logs and pipes keep it readable), the
 * findings first since they are what a reader acts on.
 */
import type { VerdictFinding, VerdictReport } from './report.js';

export function renderText(report: VerdictReport): string {
  const { summary, requests } = report;
  const lines: string[] = [];
  lines.push(
    `Verdict for world ${report.world} at ${report.now}${report.since ? ` (since ${report.since})` : ''}: ` +
      `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ` +
      `${plural(requests.observed, 'request')} observed`,
  );
  if (report.findings.length === 0)
    lines.push('', `No findings: the ${summary.rules_checked} rules checked passed.`);
  for (const f of report.findings) lines.push('', ...renderFinding(f));

  const { coverage } = report;
  lines.push(
    '',
    `Coverage: ${summary.outcomes_seen - summary.outcomes_unexpected} of ${summary.outcomes_catalogued} outcomes met`,
  );
  if (coverage.seen.length > 0)
    lines.push(
      `  seen:    ${coverage.seen.map((s) => `${s.outcome} x${s.count}${s.unexpected ? ' (unexpected)' : ''}`).join(', ')}`,
    );
  if (coverage.missing.length > 0) lines.push(`  missing: ${coverage.missing.join(', ')}`);

  const { spend } = report;
  lines.push('', `Spend: ${spend.debited} credits debited, ${spend.refunded} refunded, ${spend.net} net`);
  for (const k of spend.by_key)
    lines.push(`  ${k.key}: ${k.debited} debited, ${k.refunded} refunded, ${k.net} net`);

  lines.push(
    '',
    report.blind_spots.complete ? 'Blind spots: none, every request was judged.' : 'Blind spots:',
  );
  for (const note of report.blind_spots.notes) lines.push(`  ${note}`);
  return lines.join('\n') + '\n';
}

/** One finding: its rule, severity and count, its message, and its examples. */
export function renderFinding(f: VerdictFinding): string[] {
  return [
    `${f.severity.toUpperCase()} ${f.rule} (${plural(f.occurrences, 'occurrence')})`,
    `  ${f.message}`,
    ...f.examples.map(
      (e) => `    ${e.journal_id !== null ? `#${e.journal_id} ` : ''}${e.summary}: ${e.detail}`,
    ),
    `  See ${f.help}`,
  ];
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
