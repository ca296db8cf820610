/**
 * A journal entry keeps its request body's own bytes. The body parser hands over a view into the
 * socket's 64 KiB read buffer (and Node 24's Buffer pool slabs are 64 KiB too): kept as it was, an
 * entry pinned a share of one, and the journal held twice what it counted (docs/performance-history.md,
 * section 8).
 */
import { describe, expect, it } from 'vitest';
import { storedEntry, type JournalRecord } from '../../mock-server/src/qa/journal.js';

const record = (rawRequestBody: Buffer): JournalRecord => ({
  at: 0,
  method: 'POST',
  path: '/api/generate',
  rawQuery: '',
  status: 400,
  durationMs: 1,
  keyLabel: null,
  keyOwner: null,
  taskId: null,
  injected: null,
  operation: 'createGenerationTask',
  requestHeaders: {},
  rawRequestBody,
  responseText: '{"code":400}',
});

describe('a journal entry costs what it is counted as', () => {
  it("keeps a request body's own bytes, not the 64 KiB read buffer (or pool slab) the body parser handed over a view of", () => {
    const socketRead = Buffer.alloc(64 * 1024, 0x20);
    const body = socketRead.subarray(1000, 1200); // what body-parser gives: a view into the socket's buffer
    body.write('{"prompt":"a fox"}');
    const kept = storedEntry(1, record(body)).requestBody as Buffer;
    expect(kept.equals(body)).toBe(true);
    expect(kept.buffer.byteLength).toBe(200);
    // Node 24's pool slabs are 64 KiB too: a pooled copy would pin one just the same.
    const pooled = Buffer.from('{"prompt":"a fox"}');
    expect((storedEntry(2, record(pooled)).requestBody as Buffer).buffer.byteLength).toBe(pooled.length);
  });
});
