/**
 * The lists the documentation copies from the specs and the code, held to their source: the
 * statuses X-Mock-Status accepts per operation (the error statuses openapi.yaml lists, as the fault
 * injection derives them), the QA headers and network faults, the presets and their prices, the
 * error types, the control API's endpoints, a fault rule's fields, the journal's filters and the
 * metrics. A list that drifts from its source fails here, naming both.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { DEV_KEY, DEV_KEY_BALANCE } from '../../mock-server/src/config.js';
import { VIRTUAL_CLOCK_START } from '../../mock-server/src/domain/clock.js';
import { NETWORK_FAULTS } from '../../mock-server/src/qa/faults.js';
import { FAULT_HEADERS } from '../../mock-server/src/qa/header-faults.js';
import { testSimulator } from '../support/harness.js';
import { deref, loadRawSpec, operations, type Json } from '../support/spec-walk.js';
import { codeBlocks, codeSpans, parseMarkdown, readDoc, readerText, tableUnder } from './markdown.js';

const api = loadRawSpec('openapi.yaml');
const control = loadRawSpec('mock-server/control-api.yaml');

const sorted = <T>(items: Iterable<T>) => [...items].sort();

/** The error statuses the spec lists for an operation (qa/rule-checks.ts's errorStatuses, from the document). */
const errorStatuses = (op: Json) =>
  Object.keys(op.responses as Json)
    .filter((s) => Number(s) >= 400)
    .sort();

describe('docs/guides/qa.md', () => {
  const QA = 'docs/guides/qa.md';

  it('lists, per operation, exactly the error statuses openapi.yaml lists, which X-Mock-Status accepts', () => {
    const table = tableUnder(QA, 'Statuses');
    const documented = Object.fromEntries(table.codeRows.map((row) => [row[0]![0], sorted(row[1]!)]));
    const spec = Object.fromEntries(
      operations(api).map(({ path, method, op }) => [`${method.toUpperCase()} ${path}`, errorStatuses(op)]),
    );
    expect(documented).toEqual(spec);
  });

  it('says which statuses a fault rule without a path may force: those every operation lists', () => {
    const doc = readDoc(QA);
    const paragraph = doc.tokens.find(
      (t) => t.type === 'inline' && t.content.includes('a rule without a path'),
    );
    expect(paragraph).toBeDefined();
    const listed = codeSpans(parseMarkdown(paragraph!.content, QA));
    const all = operations(api).map(({ op }) => errorStatuses(op));
    expect(sorted(listed)).toEqual(all[0]!.filter((s) => all.every((statuses) => statuses.includes(s))));
  });

  it('names every QA header the simulator reads, and only those', () => {
    const table = tableUnder(QA, 'Per-request headers');
    const names = table.codeRows.map((row) => row[0]![0]!.split(':')[0]!.toLowerCase());
    expect(sorted(new Set(names))).toEqual(sorted(FAULT_HEADERS));
  });

  it('names every network fault, as the control API and the code define them', () => {
    const table = tableUnder(QA, 'Per-request headers');
    const faults = table.codeRows
      .map((row) => row[0]![0]!)
      .filter((header) => header.toLowerCase().startsWith('x-mock-fault:'))
      .map((header) => header.split(':')[1]!.trim());
    const schemas = (control.components as Json).schemas as Record<string, Json>;
    expect(sorted(faults)).toEqual(sorted(NETWORK_FAULTS));
    expect(sorted(faults)).toEqual(sorted(schemas.NetworkFault!.enum as string[]));
  });
});

describe('docs/reference/behaviour.md', () => {
  const BEHAVIOUR = 'docs/reference/behaviour.md';

  it("prices each preset as openapi.yaml's credit table (x-credit-cost) does", () => {
    const table = tableUnder(BEHAVIOUR, 'Credits');
    const documented = Object.fromEntries(
      table.rows.map((row, i) => [table.codeRows[i]![0]![0], Number(row[2])]),
    );
    const generate = (api.paths as Record<string, Json>)['/api/generate']!.post as Json;
    expect(documented).toEqual((generate['x-credit-cost'] as { presets: Record<string, number> }).presets);
  });

  it("lists every error type of openapi.yaml's ErrorType, and only those", () => {
    const table = tableUnder(BEHAVIOUR, 'Errors');
    const schemas = (api.components as Json).schemas as Record<string, Json>;
    expect(sorted(table.codeRows.map((row) => row[0]![0]!))).toEqual(
      sorted(schemas.ErrorType!.enum as string[]),
    );
  });

  it('gives the virtual clock the start it has', () => {
    const iso = new Date(VIRTUAL_CLOCK_START).toISOString().replace('.000Z', 'Z');
    for (const path of [BEHAVIOUR, 'README.md', 'docs/guides/client-teams.md']) {
      expect(readerText(readDoc(path)), path).toContain(iso);
    }
  });
});

describe('README.md', () => {
  it("the first task's price and balance are the credit table's and the dev key's", () => {
    const block = codeBlocks(readDoc('README.md')).find((b) => b.content.includes('/api/generate'))!.content;
    const generate = (api.paths as Record<string, Json>)['/api/generate']!.post as Json;
    const price = (generate['x-credit-cost'] as { presets: Record<string, number> }).presets[
      'text-to-image-high'
    ]!;
    expect(block).toContain('"quality": "high", "imageUrls": []');
    expect(block).toContain(`(${price} credits deducted)`);
    expect(block).toContain(`/__mock/accounts/${DEV_KEY}`);
    expect(block).toContain(`balance ${DEV_KEY_BALANCE - price} `);
  });
});

describe('docs/reference/control-api.md', () => {
  const CONTROL = 'docs/reference/control-api.md';

  it('lists every operation of mock-server/control-api.yaml, and nothing else', () => {
    const table = tableUnder(CONTROL, 'Endpoints');
    const listed = new Set<string>();
    for (const span of table.codeRows.flatMap((row) => row[0]!)) {
      const m = /^((?:GET|POST|PUT|DELETE|PATCH)(?:\|(?:GET|POST|PUT|DELETE|PATCH))*) (\/[^?\s]*)/.exec(span);
      if (m) for (const method of m[1]!.split('|')) listed.add(`${method} ${m[2]}`);
    }
    const spec = operations(control).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(sorted(listed)).toEqual(sorted(spec));
  });

  it('lists every field of a fault rule (FaultRuleInput), and nothing else', () => {
    const schemas = (control.components as Json).schemas as Record<string, Json>;
    const fields = (schema: Json, prefix: string): string[] =>
      Object.entries((deref(control, schema).properties ?? {}) as Record<string, Json>).flatMap(
        ([name, prop]) => {
          const resolved = deref(control, prop);
          return resolved.properties ? fields(resolved, `${prefix}${name}.`) : [`${prefix}${name}`];
        },
      );
    const table = tableUnder(CONTROL, 'Fault rules');
    expect(sorted(table.codeRows.map((row) => row[0]![0]!))).toEqual(
      sorted(fields(schemas.FaultRuleInput!, '')),
    );
  });

  it("lists every filter of the journal's query parameters, paging aside", () => {
    const journal = (control.paths as Record<string, Json>)['/__mock/journal']!.get as Json;
    const filters = (journal.parameters as Json[])
      .map((p) => deref(control, p))
      .filter((p) => p.in === 'query' && p.name !== 'limit' && p.name !== 'before')
      .map((p) => p.name as string);
    const table = tableUnder(CONTROL, 'Journal filters');
    expect(sorted(table.codeRows.map((row) => row[0]![0]!))).toEqual(sorted(filters));
  });
});

describe('docs/reference/metrics.md', () => {
  it('lists every metric /__mock/metrics exposes, and nothing else', async () => {
    const sim = await testSimulator();
    const res = await sim.http.get('/__mock/metrics');
    expect(res.status).toBe(200);
    const exposed = parsePrometheusTextFormat(res.text).map((family) => family.name);
    const table = tableUnder('docs/reference/metrics.md', 'Metrics');
    const documented = table.codeRows.flatMap((row) => row[0]!.map((span) => span.replace(/\{.*\}$/, '')));
    expect(sorted(documented)).toEqual(sorted(new Set(exposed)));
  });
});
