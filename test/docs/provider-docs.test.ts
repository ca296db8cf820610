/**
 * The provider's documentation that openapi.yaml quotes is in the repository, and every quote is
 * the provider's words. A quote (`x-doc-quote`) is one or more passages of
 * docs/provider/dreamcore-api.md as a reader sees it (a table row's cells joined by ` | `), joined
 * by `. `, `; `, ` — ` or ` … `; each passage, but for a closing period, must be found there
 * verbatim (whitespace and the spacing inside JSON braces aside, so a sample may be pretty-printed).
 * The upstream's failure vocabulary the simulator draws from is the one docs/provider/upstream-facts.md
 * gives.
 */
import { describe, expect, it } from 'vitest';
import { UPSTREAM_FAILURES } from '../../mock-server/src/domain/upstream-errors.js';
import { loadRawSpec } from '../support/spec-walk.js';
import { readDoc, readerText, tableUnder } from './markdown.js';

const PROVIDER_DOC = 'docs/provider/dreamcore-api.md';

function quotes(node: unknown, pointer: string, out: Array<{ where: string; quote: string }> = []) {
  if (Array.isArray(node)) node.forEach((item, i) => quotes(item, `${pointer}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-doc-quote' && typeof value === 'string') out.push({ where: pointer, quote: value });
      else quotes(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  }
  return out;
}

/** Whitespace collapsed; none just inside JSON braces and brackets. */
const normalise = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .replace(/([{[]) /g, '$1')
    .replace(/ ([}\]])/g, '$1')
    .trim();

function passages(quote: string): string[] {
  return quote
    .split(/(?<=\.) (?=\S)|; | — | … /)
    .map((p) => p.trim().replace(/\.$/, ''))
    .filter((p) => p !== '');
}

describe('the provider documentation openapi.yaml quotes', () => {
  const all = quotes(loadRawSpec('openapi.yaml'), '#');

  it('openapi.yaml quotes the provider', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it(`every x-doc-quote is the provider's words, found in ${PROVIDER_DOC}`, () => {
    const text = normalise(readerText(readDoc(PROVIDER_DOC)));
    const notFound = all.flatMap(({ where, quote }) =>
      passages(quote)
        .filter((passage) => !text.includes(normalise(passage)))
        .map((passage) => `${where}: "${passage}" (of "${quote}")`),
    );
    expect(notFound).toEqual([]);
  });

  it('splits a quote into its passages', () => {
    expect(
      passages('POST https://seedream45ai.org/api/generate — Create generation task. Submits a job.'),
    ).toEqual(['POST https://seedream45ai.org/api/generate', 'Create generation task', 'Submits a job']);
    expect(passages('500 - Transient issue; retry with exponential backoff.')).toEqual([
      '500 - Transient issue',
      'retry with exponential backoff',
    ]);
  });
});

describe("the upstream's facts behind the defaults", () => {
  it('every failure message a task can end with is in the failure vocabulary, with its code', () => {
    const table = tableUnder('docs/provider/upstream-facts.md', 'Failure vocabulary');
    const byCode = new Map(table.rows.map((row) => [row[1], row[2]]));
    for (const failure of UPSTREAM_FAILURES) {
      expect(byCode.get(failure.code), failure.code).toBe(failure.message.replace('{url}', '...'));
    }
  });
});
