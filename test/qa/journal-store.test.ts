/**
 * The journal's ring buffer on its own: it records raw forms (query string, request bytes, response
 * object) and materialises them on read, so what QA reads must not depend on when that happens.
 */
import { describe, expect, it } from 'vitest';
import { Journal, type JournalRecord } from '../../mock-server/src/qa/journal.js';

function record(overrides: Partial<JournalRecord> = {}): JournalRecord {
  return {
    at: 0,
    method: 'POST',
    path: '/api/generate',
    rawQuery: '',
    status: 200,
    durationMs: 1,
    keyLabel: 'sk-d...ev',
    keyOwner: 'owner',
    taskId: null,
    injected: null,
    operation: 'createGenerationTask',
    requestHeaders: {},
    rawRequestBody: undefined,
    responseBody: undefined,
    ...overrides,
  };
}

describe('the journal', () => {
  it('reads back the query (secrets redacted), the JSON body sent and the response', () => {
    const journal = new Journal(10);
    journal.record(
      record({
        rawQuery: 'task_id=sd45_0000000000000001&api_key=sk-secret&x=a%20b&x=c',
        rawRequestBody: Buffer.from('{"prompt":"fox","quality":"high"}'),
        responseBody: { code: 200, data: { task_id: 'sd45_0000000000000001' } },
      }),
    );
    const [entry] = journal.query();
    expect(entry).toMatchObject({
      query: { task_id: 'sd45_0000000000000001', api_key: '[redacted]', x: 'a b,c' },
      requestBody: { prompt: 'fox', quality: 'high' },
      responseBody: { code: 200, data: { task_id: 'sd45_0000000000000001' } },
    });
  });

  it('keeps a body that is not JSON as its text', () => {
    const journal = new Journal(10);
    journal.record(record({ rawRequestBody: Buffer.from('{"prompt": ') }));
    expect(journal.query()[0]!.requestBody).toBe('{"prompt": ');
  });

  it.each([
    ['a large body (truncated when read)', 5_000],
    ['a huge body (truncated when recorded)', 60_000],
  ])('keeps the first 2,048 characters of %s, the same either way', (_what, size) => {
    const journal = new Journal(10);
    const text = JSON.stringify({ prompt: 'é'.repeat(size) });
    journal.record(record({ rawRequestBody: Buffer.from(text), responseBody: { echo: 'x'.repeat(size) } }));
    const [entry] = journal.query();
    expect(entry!.requestBody).toBe(`${text.slice(0, 2048)}… (${text.length} characters)`);
    const response = JSON.stringify({ echo: 'x'.repeat(size) });
    expect(entry!.responseBody).toBe(`${response.slice(0, 2048)}… (${response.length} characters)`);
  });

  it('keeps the newest entries up to its capacity, newest first', () => {
    const journal = new Journal(3);
    for (let i = 1; i <= 5; i++) journal.record(record({ at: i }));
    expect(journal.query().map((e) => [e.id, e.at])).toEqual([
      [5, 5],
      [4, 4],
      [3, 3],
    ]);
  });
});
