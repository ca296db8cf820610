/**
 * The report as JUnit XML, the format every CI server reads: one test case per rule, a <failure>
 * for a rule with findings (its message, then its examples), <skipped> for a rule turned off, and
 * the coverage and blind spots in the suite's <system-out>.
 *
 * Written by hand rather than with an XML builder: it is a few elements, and the simulator's runtime
 * dependencies stay as they are. Every text and attribute goes through `xmlText`/`xmlAttribute`,
 * which escape markup and drop the characters XML 1.0 cannot carry at all (key labels come from
 * what clients sent).
 */
import type { Severity } from './rules/rule.js';
import type { VerdictReport } from './report.js';

export interface JUnitOptions {
  /** Findings of this severity or worse are failures; lesser ones go to the test case's output. Default `warning`: every finding fails. */
  failOn?: Severity;
  /** The suite's name. Default `dreamcore-verdict`. */
  name?: string;
}

export function renderJUnit(report: VerdictReport, options: JUnitOptions = {}): string {
  const failOn = options.failOn ?? 'warning';
  const name = options.name ?? 'dreamcore-verdict';
  const findings = new Map(report.findings.map((f) => [f.rule, f]));
  let failures = 0;
  let skipped = 0;
  const cases = report.rules.map((rule) => {
    const open = `    <testcase classname="${xmlAttribute(`${name}.${report.world}`)}" name="${xmlAttribute(rule.id)}">`;
    if (!rule.enabled) {
      skipped++;
      return `${open}\n      <skipped message="rule turned off"/>\n    </testcase>`;
    }
    const f = findings.get(rule.id);
    if (f === undefined) return `${open}</testcase>`;
    const body = [
      f.message,
      '',
      ...f.examples.map(
        (e) => `${e.journal_id !== null ? `#${e.journal_id} ` : ''}${e.summary}: ${e.detail}`,
      ),
      '',
      `See ${f.help}`,
    ].join('\n');
    if (failOn === 'warning' || f.severity === 'error') {
      failures++;
      return (
        `${open}\n      <failure type="${f.severity}" message="${xmlAttribute(`${f.occurrences} x ${f.rule}: ${f.message}`)}">` +
        `${xmlText(body)}</failure>\n    </testcase>`
      );
    }
    return `${open}\n      <system-out>${xmlText(`${f.severity}: ${body}`)}</system-out>\n    </testcase>`;
  });
  const tests = report.rules.length;
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const out = [
    `Coverage: ${report.summary.outcomes_seen - report.summary.outcomes_unexpected} of ${report.summary.outcomes_catalogued} outcomes met.`,
    `Seen: ${report.coverage.seen.map((s) => `${s.outcome} x${s.count}${s.unexpected ? ' (unexpected)' : ''}`).join(', ') || 'none'}`,
    `Missing: ${report.coverage.missing.join(', ') || 'none'}`,
    `Spend: ${report.spend.debited} debited, ${report.spend.refunded} refunded, ${report.spend.net} net.`,
    report.blind_spots.complete ? 'Blind spots: none.' : `Blind spots: ${report.blind_spots.notes.join(' ')}`,
  ].join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttribute(name)}" ${counts}>`,
    `  <testsuite name="${xmlAttribute(`${name}.${report.world}`)}" ${counts} timestamp="${xmlAttribute(report.now)}">`,
    '    <properties>',
    ...[
      ['world', report.world],
      ['requests_observed', String(report.requests.observed)],
      ['outcomes_catalogued', String(report.summary.outcomes_catalogued)],
      ['outcomes_seen', String(report.summary.outcomes_seen)],
      ['credits_net', String(report.spend.net)],
    ].map(([k, v]) => `      <property name="${xmlAttribute(k!)}" value="${xmlAttribute(v!)}"/>`),
    '    </properties>',
    ...cases,
    `    <system-out>${xmlText(out)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Characters XML 1.0 cannot represent, even escaped: C0 controls but tab, newline and return, lone surrogates, U+FFFE and U+FFFF. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttribute(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
