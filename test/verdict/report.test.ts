/**
 * The report's shape (held to control-api.yaml's VerdictReport), coverage and spend, the settings, and the ways
 * out of it: JUnit XML (parsed back with fast-xml-parser), text, assertNoFindings and the matcher.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  VerdictFindingsError,
  assertNoFindings,
  verdictMatchers,
} from '../../mock-server/src/verdict/assert.js';
import { renderJUnit } from '../../mock-server/src/verdict/render-junit.js';
import { renderText } from '../../mock-server/src/verdict/render-text.js';
import { reportOf, type VerdictReport } from '../../mock-server/src/verdict/report.js';
import { RULES } from '../../mock-server/src/verdict/rules/index.js';
import {
  DEFAULT_SETTINGS,
  VerdictSettingsError,
  resolveSettings,
} from '../../mock-server/src/verdict/settings.js';
import { emptyState } from '../../mock-server/src/verdict/state.js';
import { World, realCatalogue, reportSchemaErrors, reportSchemas } from './support.js';

interface CustomMatchers<R = unknown> {
  toHaveNoFindings(options?: { failOn?: 'error' | 'warning' }): R;
}
declare module 'vitest' {
  // vitest declares Matchers<T = any>: a merged declaration repeats its type parameter as it is.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CustomMatchers<T> {}
}
expect.extend(verdictMatchers);

const BODY = '{"prompt":"a red fox","aspectRatio":"1:1","quality":"basic"}';

/** A world with one error (retry-after-ignored) and one warning (poll-too-fast). */
async function naiveReport(label = 'sk-dreamcore-dev'): Promise<VerdictReport> {
  const w = new World();
  w.send({ key: label, generate: BODY }, { status: 429, retryAfterSeconds: 2 });
  const task = w.send({ key: label, generate: BODY }, { status: 200 }).taskId!;
  w.send({ key: label, poll: task }, { taskStatus: 'IN_PROGRESS' });
  w.advance(100).send({ key: label, poll: task }, { taskStatus: 'IN_PROGRESS' });
  w.advance(3000).send({ key: label, poll: task }, { taskStatus: 'SUCCESS' });
  return w.report();
}

describe('the report', () => {
  it("matches control-api.yaml's VerdictReport, for a clean world, a naive one and an empty one", async () => {
    expect(reportSchemaErrors(await naiveReport())).toEqual([]);
    expect(reportSchemaErrors(await new World().report())).toEqual([]);
    const spend = {
      debited: 30,
      refunded: 12,
      byKey: [{ key: 'sk-d…-dev#d88b21', debited: 30, refunded: 12 }],
    };
    const report = reportOf(emptyState(), {
      now: 0,
      world: 't-1',
      catalogue: await realCatalogue(),
      settings: DEFAULT_SETTINGS,
      spend,
    });
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(reportSchemaErrors({ ...report, extra: 1 })).not.toEqual([]);
  });

  it("holds the schema's rule settings to the rules' thresholds", () => {
    const schemas = reportSchemas();
    const rules = (
      schemas.VerdictSettings!.properties as {
        rules: { properties: Record<string, { properties: object; required: string[] }> };
      }
    ).rules.properties;
    expect(Object.keys(rules)).toEqual(RULES.map((r) => r.id));
    for (const rule of RULES) {
      const expected = ['enabled', 'severity', ...Object.keys(rule.defaults)];
      expect(Object.keys(rules[rule.id]!.properties), rule.id).toEqual(expected);
      expect(rules[rule.id]!.required, rule.id).toEqual(expected);
    }
  });

  it('sorts findings by severity, then rule, and counts them', async () => {
    const report = await naiveReport();
    expect(report.findings.map((f) => [f.severity, f.rule])).toEqual([
      ['error', 'retry-after-ignored'],
      ['warning', 'poll-too-fast'],
    ]);
    expect(report.summary).toMatchObject({ errors: 1, warnings: 1, occurrences: 2, rules_checked: 7 });
    expect(report.rules.map((r) => [r.id, r.occurrences])).toEqual(
      RULES.map((r) => [r.id, r.id === 'retry-after-ignored' || r.id === 'poll-too-fast' ? 1 : 0]),
    );
    expect(report.findings[0]!.help).toBe('docs/reference/verdict-rules.md#retry-after-ignored');
  });

  it('splits coverage into seen and missing, and flags what the catalogue lacks', async () => {
    const w = new World();
    w.generate(BODY, { status: 402, balance: 0 });
    w.generate('{}', { status: 408 }); // Node's own time-out: not in openapi.yaml
    w.poll('sd45_00000000000000aa', { status: 200, taskStatus: 'FAILED' });
    w.poll('sd45_00000000000000aa', { fault: 'hang', tookMs: 30_000 });
    w.send({ poll: 'sd45_00000000000000aa' }, { status: 0 }); // the client hung up: no outcome
    const report = await w.report();
    const catalogue = (await realCatalogue()).outcomes.map((o) => o.id);
    expect(report.coverage.seen).toEqual([
      { outcome: 'generate:402', count: 1, unexpected: false },
      { outcome: 'status:200:FAILED', count: 1, unexpected: false },
      { outcome: 'status:fault:hang', count: 1, unexpected: false },
      { outcome: 'generate:408', count: 1, unexpected: true },
    ]);
    expect(report.coverage.missing).toEqual(
      catalogue.filter((id) => !['generate:402', 'status:200:FAILED', 'status:fault:hang'].includes(id)),
    );
    expect(report.requests).toMatchObject({
      observed: 5,
      unanswered: 1,
      by_operation: { createGenerationTask: 2, getTaskStatus: 3, postTaskStatus: 0 },
    });
    expect(report.summary).toMatchObject({
      outcomes_seen: 4,
      outcomes_unexpected: 1,
      outcomes_missing: catalogue.length - 3,
    });
  });

  it('takes spend from the ledger, with net per key', async () => {
    const report = reportOf(emptyState(), {
      now: 0,
      world: 'default',
      catalogue: await realCatalogue(),
      settings: DEFAULT_SETTINGS,
      spend: {
        debited: 60,
        refunded: 12,
        byKey: [
          { key: 'sk-z…-zzz', debited: 12, refunded: 12 },
          { key: 'sk-d…-dev#d88b21', debited: 48, refunded: 0 },
        ],
      },
    });
    expect(report.spend).toEqual({
      debited: 60,
      refunded: 12,
      net: 48,
      by_key: [
        { key: 'sk-d…-dev#d88b21', debited: 48, refunded: 0, net: 48 },
        { key: 'sk-z…-zzz', debited: 12, refunded: 12, net: 0 },
      ],
    });
  });

  it('reports the settings it used, and a rule turned off or re-graded', async () => {
    const settings = { rules: { 'poll-too-fast': 'off', 'retry-after-ignored': 'warning' } } as const;
    const w = new World(settings);
    w.generate(BODY, { status: 429, retryAfterSeconds: 2 });
    w.generate(BODY, { status: 429, retryAfterSeconds: 2 });
    const report = await w.report();
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([['retry-after-ignored', 'warning']]);
    expect(report.rules.find((r) => r.id === 'poll-too-fast')).toMatchObject({
      enabled: false,
      occurrences: 0,
    });
    expect(report.settings.rules['retry-after-ignored']).toEqual({
      enabled: true,
      severity: 'warning',
      tolerance_ms: 50,
    });
    expect(report.summary.rules_checked).toBe(6);
  });
});

describe('settings', () => {
  it('resolve to the defaults, and refuse what they do not know, naming it', () => {
    expect(resolveSettings()).toEqual(DEFAULT_SETTINGS);
    expect(
      resolveSettings({ rules: { 'no-backoff': { min_steady_retries: 3 } } }).rules['no-backoff'],
    ).toEqual({
      enabled: true,
      severity: 'error',
      min_steady_retries: 3,
      steady_tolerance_ms: 10,
      steady_tolerance_ratio: 0.02,
    });
    expect(
      resolveSettings({ rules: { 'retry-unchanged-4xx': { statuses: [404, 400, 404] } } }).rules[
        'retry-unchanged-4xx'
      ].statuses,
    ).toEqual([400, 404]);
    const refused: [unknown, string][] = [
      [{ rules: { 'no-such-rule': 'off' } }, 'rules: unknown field "no-such-rule"'],
      [
        { rules: { 'poll-too-fast': { min_interval: 5 } } },
        'rules.poll-too-fast: unknown field "min_interval"',
      ],
      [
        { rules: { 'poll-too-fast': { min_interval_ms: -1 } } },
        'rules.poll-too-fast.min_interval_ms must be between 0 and 3600000; got -1',
      ],
      [
        { rules: { 'poll-too-fast': 'fatal' } },
        'rules.poll-too-fast must be "off", "error" or "warning"; got "fatal"',
      ],
      [
        { rules: { 'retry-unchanged-4xx': { statuses: [500] } } },
        'rules.retry-unchanged-4xx.statuses[0] must be between 400 and 499; got 500',
      ],
      [{ caps: { tasks: 0 } }, 'caps.tasks must be between 1 and 1000000; got 0'],
      [{ caps: { tasks: 1.5 } }, 'caps.tasks must be an integer; got 1.5'],
      [JSON.parse('{"__proto__": {"x": 1}}'), 'settings: unknown field "__proto__"'],
      [[], 'settings must be an object'],
    ];
    for (const [input, message] of refused) {
      expect(() => resolveSettings(input)).toThrow(VerdictSettingsError);
      expect(() => resolveSettings(input)).toThrow(message);
    }
  });
});

describe('JUnit XML', () => {
  // htmlEntities: also decode character references (&#9;), as any conformant XML parser does.
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    htmlEntities: true,
    isArray: (name) => name === 'testcase',
  });

  it('has one test case per rule and a failure per rule with findings', async () => {
    const xml = renderJUnit(await naiveReport());
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parser.parse(xml).testsuites.testsuite;
    expect(suite).toMatchObject({
      name: 'dreamcore-verdict.default',
      tests: '7',
      failures: '2',
      errors: '0',
      skipped: '0',
    });
    expect(suite.testcase.map((c: { name: string }) => c.name)).toEqual(RULES.map((r) => r.id));
    const failed = suite.testcase.filter((c: { failure?: unknown }) => c.failure !== undefined);
    expect(failed.map((c: { name: string; failure: { type: string } }) => [c.name, c.failure.type])).toEqual([
      ['retry-after-ignored', 'error'],
      ['poll-too-fast', 'warning'],
    ]);
    expect(failed[0].failure['#text']).toContain(
      '#2 POST /api/generate 200 at 2025-06-14T05:21:11.000Z key sk-d…-dev#d88b21 task sd45_0000000000000001: sent 0 ms after a 429',
    );
    expect(suite['system-out']).toMatch(/^Coverage: 4 of \d+ outcomes met\./);
  });

  it('escapes what clients sent, and replaces what XML cannot carry', async () => {
    const unrepresentable = ['\u0001', '\u0008', '\uFFFE', '\uD800'];
    const hostile = `sk-<a&"b'>${unrepresentable.join('')}\tx</failure>]]>`;
    const report = await naiveReport();
    report.findings[0]!.examples[0]!.summary += hostile;
    report.findings[0]!.message += hostile;
    const xml = renderJUnit({ ...report, world: hostile });
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(unrepresentable.filter((c) => xml.includes(c))).toEqual([]);
    const suite = parser.parse(xml).testsuites.testsuite;
    const shown = unrepresentable.reduce((text, c) => text.replaceAll(c, '\uFFFD'), hostile);
    expect(suite.name).toBe(`dreamcore-verdict.${shown}`);
    expect(suite.testcase[0].failure.message).toContain(shown);
    expect(suite.testcase[0].failure['#text']).toContain(
      `${report.findings[0]!.examples[0]!.summary.replace(hostile, shown)}: `,
    );
  });

  it('reports a warning as output rather than a failure when failing on errors only, and a rule off as skipped', async () => {
    const w = new World({ rules: { 'abandoned-task': 'off' } });
    const task = w.accepted(BODY).taskId!;
    w.poll(task);
    w.advance(100).poll(task);
    const suite = parser.parse(renderJUnit(await w.report(), { failOn: 'error', name: 'my-suite' }))
      .testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'my-suite.default', failures: '0', skipped: '1' });
    const byName = Object.fromEntries(suite.testcase.map((c: { name: string }) => [c.name, c]));
    expect(byName['poll-too-fast']['system-out']).toMatch(/^warning: 1 poll came less than 1 s after/);
    expect(byName['abandoned-task'].skipped).toEqual({ message: 'rule turned off' });
  });
});

describe('text', () => {
  it('puts the findings first, then coverage, spend and blind spots', async () => {
    const text = renderText(await naiveReport());
    expect(text.split('\n').slice(0, 8)).toEqual([
      'Verdict for world default at 2025-06-14T05:21:14.100Z: 1 error, 1 warning, 5 requests observed',
      '',
      'ERROR retry-after-ignored (1 occurrence)',
      expect.stringMatching(/^ {2}1 request went out before the Retry-After/),
      '    #2 POST /api/generate 200 at 2025-06-14T05:21:11.000Z key sk-d…-dev#d88b21 task sd45_0000000000000001: sent 0 ms after a 429 that asked to wait 2 s',
      '  See docs/reference/verdict-rules.md#retry-after-ignored',
      '',
      'WARNING poll-too-fast (1 occurrence)',
    ]);
    expect(text).toMatch(
      /\nCoverage: 4 of \d+ outcomes met\n {2}seen: {4}generate:200 x1, generate:429 x1, status:200:IN_PROGRESS x2, status:200:SUCCESS x1\n {2}missing: /,
    );
    expect(text).toContain('\nBlind spots: none, every request was judged.\n');
  });
});

describe('failing a test on findings', () => {
  it('assertNoFindings throws a readable Error listing the findings at or above failOn', async () => {
    const report = await naiveReport();
    let thrown: unknown;
    try {
      assertNoFindings(report);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VerdictFindingsError);
    expect(thrown).toBeInstanceOf(Error);
    const error = thrown as VerdictFindingsError;
    expect(error.findings.map((f) => f.rule)).toEqual(['retry-after-ignored', 'poll-too-fast']);
    expect(error.message).toMatch(
      /^The client under test broke 2 verdict rules in world default \(failing on warning or worse\):\n\nERROR retry-after-ignored/,
    );
    expect(() => assertNoFindings(report, { failOn: 'error' })).toThrow(
      /broke 1 verdict rule in world default \(failing on error or worse\)/,
    );
  });

  it('assertNoFindings passes a clean report, and on errors only a report with warnings', async () => {
    const w = new World();
    const task = w.accepted(BODY).taskId!;
    w.advance(3000).poll(task, { taskStatus: 'SUCCESS' });
    assertNoFindings(await w.report());
    w.poll(task, { taskStatus: 'SUCCESS' });
    w.poll(task, { taskStatus: 'SUCCESS' });
    const report = await w.report();
    expect(() => assertNoFindings(w.state as never)).toThrow(
      new TypeError('expected a verdict report (GET /__mock/report, or reportOf())'),
    );
    assertNoFindings(await w.report(), { failOn: 'error' });
    expect(() => assertNoFindings(report)).toThrow(/poll-after-terminal/);
  });

  it('toHaveNoFindings works through expect.extend, with and without .not', async () => {
    const clean = await new World().report();
    const naive = await naiveReport();
    expect(clean).toHaveNoFindings();
    expect(naive).not.toHaveNoFindings();
    expect(() => expect(naive).toHaveNoFindings()).toThrow(/broke 2 verdict rules/);
    expect(() => expect(clean).not.toHaveNoFindings()).toThrow(
      'expected findings at warning or worse in world default, but the 7 rules checked passed',
    );
    expect(() => expect({}).toHaveNoFindings()).toThrow('expected a verdict report');
    const onlyWarnings = await (async () => {
      const w = new World();
      const task = w.accepted(BODY).taskId!;
      w.poll(task);
      w.poll(task);
      return w.report();
    })();
    expect(onlyWarnings).toHaveNoFindings({ failOn: 'error' });
    expect(onlyWarnings).not.toHaveNoFindings();
  });
});
