/**
 * Failing a test on findings. `assertNoFindings` throws a plain Error, so it works in any runner
 * (node:test, vitest, jest, mocha); `verdictMatchers` is for `expect.extend(verdictMatchers)` in
 * vitest or jest, whose matcher API is the same shape: a function of the received value that
 * returns `{ pass, message }`. Neither runner is imported.
 */
import { renderFinding } from './render-text.js';
import type { VerdictFinding, VerdictReport } from './report.js';
import type { Severity } from './rules/rule.js';

export interface FindingsOptions {
  /** `error`: only error findings fail; `warning` (the default): every finding fails. */
  failOn?: Severity;
}

export class VerdictFindingsError extends Error {
  override name = 'VerdictFindingsError';
  constructor(
    message: string,
    readonly findings: VerdictFinding[],
  ) {
    super(message);
  }
}

/** The findings that fail at `failOn`. */
export function failingFindings(report: VerdictReport, options: FindingsOptions = {}): VerdictFinding[] {
  const failOn = options.failOn ?? 'warning';
  return report.findings.filter((f) => failOn === 'warning' || f.severity === 'error');
}

export function assertNoFindings(report: VerdictReport, options: FindingsOptions = {}): void {
  checkReport(report);
  const failing = failingFindings(report, options);
  if (failing.length > 0) throw new VerdictFindingsError(describeFindings(report, failing, options), failing);
}

function describeFindings(
  report: VerdictReport,
  failing: VerdictFinding[],
  options: FindingsOptions,
): string {
  const n = failing.length;
  return [
    `The client under test broke ${n} verdict rule${n === 1 ? '' : 's'} in world ${report.world} ` +
      `(failing on ${options.failOn ?? 'warning'} or worse):`,
    ...failing.flatMap((f) => ['', ...renderFinding(f)]),
  ].join('\n');
}

function checkReport(report: unknown): asserts report is VerdictReport {
  const r = report as Partial<VerdictReport> | null;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.findings) || !Array.isArray(r.rules))
    throw new TypeError('expected a verdict report (GET /__mock/report, or reportOf())');
}

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** `expect.extend(verdictMatchers)`, then `expect(report).toHaveNoFindings({ failOn: 'error' })`. */
export const verdictMatchers = {
  toHaveNoFindings(received: unknown, options: FindingsOptions = {}): MatcherResult {
    try {
      checkReport(received);
    } catch (error) {
      return { pass: false, message: () => (error as Error).message };
    }
    const failing = failingFindings(received, options);
    if (failing.length > 0)
      return { pass: false, message: () => describeFindings(received, failing, options) };
    return {
      pass: true,
      message: () =>
        `expected findings at ${options.failOn ?? 'warning'} or worse in world ${received.world}, but the ` +
        `${received.summary.rules_checked} rules checked passed`,
    };
  },
};
