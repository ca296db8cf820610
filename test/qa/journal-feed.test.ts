/**
 * The journal feed on the memory store (the suite: journal-feed-suite.ts; on Redis:
 * test/fleet/journal-followers.test.ts), and a stream whose client has stalled: it holds at most a
 * round for it. Work is counted, never timed.
 */
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import { FeedEntry, type FeedCounters } from '../../mock-server/src/http/admin/journal-feed.js';
import { MAX_QUEUED, StreamFollower } from '../../mock-server/src/http/admin/journal-stream.js';
import { storedEntry } from '../../mock-server/src/qa/journal.js';
import { DEFAULT_JOURNAL, MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { describeFeed, record } from './journal-feed-suite.js';

describeFeed('the memory store', async () => {
  const store = new MemoryStore({ journal: { ...DEFAULT_JOURNAL, maxEntries: 10_000 } });
  return { follower: store, writer: store };
});

/** A response whose socket takes nothing until told. */
class StalledResponse extends EventEmitter {
  written: string[] = [];
  writableNeedDrain = true;
  writableEnded = false;
  headersSent = true;
  write(text: string) {
    this.written.push(text);
    return !this.writableNeedDrain;
  }
  end() {
    this.writableEnded = true;
  }
}

describe('a stream whose client has stalled', () => {
  it('holds at most a round of entries, then sends a gap and the newest round when it drains', () => {
    const counters: FeedCounters = { reads: 0, entries: 0, tests: 0, materialised: 0, frames: 0 };
    const res = new StalledResponse();
    const stream = new StreamFollower(res as unknown as Response, {});
    stream.goLive(0);
    const entries = Array.from(
      { length: 2_500 },
      (_, i) => new FeedEntry(storedEntry(i + 1, record(i)), counters),
    );
    for (let i = 0; i < entries.length; i += 100) stream.deliver(entries.slice(i, i + 100));
    expect(res.written).toEqual([]);
    expect(stream.backlog).toBe(MAX_QUEUED);
    expect(counters.frames).toBe(0); // what was dropped was never serialised
    res.writableNeedDrain = false;
    res.emit('drain');
    expect(res.written[0]).toBe(`event: gap\ndata: ${JSON.stringify({ after: 0, before: 1_501 })}\n\n`);
    const ids = res.written.slice(1).map((f) => Number(/^id: (\d+)/.exec(f)![1]));
    expect(ids).toEqual(Array.from({ length: 1_000 }, (_, i) => 1_501 + i));
    expect(stream.backlog).toBe(0);
  });

  it('sends a reset that was dropped with the entries before anything else', () => {
    const counters: FeedCounters = { reads: 0, entries: 0, tests: 0, materialised: 0, frames: 0 };
    const res = new StalledResponse();
    const stream = new StreamFollower(res as unknown as Response, {});
    stream.goLive(7);
    stream.reset();
    const entries = Array.from(
      { length: 1_200 },
      (_, i) => new FeedEntry(storedEntry(i + 1, record(i)), counters),
    );
    stream.deliver(entries);
    res.writableNeedDrain = false;
    res.emit('drain');
    expect(res.written.slice(0, 2)).toEqual([
      'event: reset\ndata: {}\n\n',
      `event: gap\ndata: ${JSON.stringify({ after: 0, before: 201 })}\n\n`,
    ]);
    expect(res.written).toHaveLength(2 + 1_000);
  });
});
