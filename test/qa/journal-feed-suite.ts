/**
 * The journal feed's suite (http/admin/journal-feed.ts), the same on every store: each new entry read
 * once, tested once against each follower, materialised and serialised once for all of them; the feed
 * made with the first follower and dropped with the last; the bounds on followers; a reset and a
 * dropped world told to them. Work is counted, never timed. Run on the memory store by
 * test/qa/journal-feed.test.ts, on Redis by test/fleet/journal-followers.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../mock-server/src/http/errors.js';
import {
  JournalFeeds,
  followerFilter,
  type FeedCounters,
  type FeedEnd,
  type FeedEntry,
  type Follower,
} from '../../mock-server/src/http/admin/journal-feed.js';
import type { JournalFilter, JournalRecord } from '../../mock-server/src/qa/journal.js';
import type { Store } from '../../mock-server/src/store/store.js';
import { BOUND_MS } from './journal-follow-support.js';

/** A world's store as the feed's process sees it, and as another process appends to it. */
export interface FeedWorld {
  follower: Store;
  writer: Store;
}

export function record(i: number, over: Partial<JournalRecord> = {}): JournalRecord {
  return {
    at: i,
    method: 'POST',
    path: '/api/generate',
    rawQuery: '',
    status: 200,
    durationMs: 1,
    keyLabel: null,
    keyOwner: null,
    taskId: null,
    injected: null,
    operation: 'createGenerationTask',
    requestHeaders: {},
    rawRequestBody: Buffer.from(JSON.stringify({ prompt: `prompt ${i}` })),
    responseText: undefined,
    ...over,
  };
}

/** A follower that keeps what it is told. */
export class Recorder implements Follower {
  readonly got: FeedEntry[] = [];
  readonly told: string[] = [];
  readonly accepts: (entry: FeedEntry) => boolean;
  constructor(
    readonly kind: 'wait' | 'stream',
    filter: JournalFilter = {},
    private readonly onEntry: (e: FeedEntry) => void = () => undefined,
  ) {
    this.accepts = followerFilter(filter);
  }
  deliver(entries: readonly FeedEntry[]) {
    for (const e of entries) {
      this.got.push(e);
      this.onEntry(e);
    }
  }
  reset() {
    this.told.push('reset');
  }
  gap() {
    this.told.push('gap');
  }
  end(why: FeedEnd) {
    this.told.push(`end:${why.reason}:${why.world}`);
  }
}

/** Resolves once `predicate` holds, checked on each turn of the event loop (the feed's reads are I/O). */
export async function until(predicate: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > BOUND_MS) throw new Error(`not within ${BOUND_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function describeFeed(name: string, make: () => Promise<FeedWorld>): void {
  describe(`the journal feed on ${name}`, () => {
    let world: FeedWorld;
    beforeAll(async () => {
      world = await make();
    }, 30_000);

    it('reads each new entry once and tests it once against each follower, whatever the journal holds', async () => {
      for (let i = 0; i < 200; i++) await world.writer.appendJournal(record(i)); // a journal already full
      const feeds = new JournalFeeds();
      const waits = Array.from({ length: 20 }, (_, i) => new Recorder('wait', { text: `needle ${i}` }));
      const leases = waits.map((w) => feeds.follow('w', world.follower, w));
      const from = await leases[0]!.from;
      const before: FeedCounters = { ...feeds.counters };
      for (let i = 0; i < 30; i++) await world.writer.appendJournal(record(1_000 + i));
      await world.writer.appendJournal(
        record(2_000, { rawRequestBody: Buffer.from('{"prompt":"Needle 7"}') }),
      );
      await until(() => waits[7]!.got.length === 1, 'the matching entry reached its wait');
      expect(waits[7]!.got[0]!.id).toBe(from + 31);
      expect(waits.filter((w) => w.got.length > 0)).toEqual([waits[7]]);
      const work = Object.fromEntries(
        Object.entries(feeds.counters).map(([k, v]) => [k, v - before[k as keyof FeedCounters]]),
      );
      // 31 entries: each read once, tested against the 20 waits once, materialised only when matched.
      expect(work.entries).toBe(31);
      expect(work.tests).toBe(31 * 20);
      expect(work.reads).toBeLessThanOrEqual(31 + 5); // one per burst, and a safety read now and then
      expect(work.materialised).toBe(0); // the Recorder reads no entry: nothing was made for it
      for (const l of leases) l.stop();
    });

    it('serialises an entry once for every stream it matches', async () => {
      const feeds = new JournalFeeds();
      const frames: string[][] = [];
      const streams = Array.from({ length: 10 }, (_, i) => {
        frames.push([]);
        return new Recorder('stream', {}, (e) => frames[i]!.push(e.frame));
      });
      const leases = streams.map((s) => feeds.follow('w', world.follower, s));
      await leases[0]!.from;
      for (let i = 0; i < 25; i++) await world.writer.appendJournal(record(i));
      await until(() => streams.every((s) => s.got.length === 25), 'every stream got every entry');
      expect(feeds.counters.frames).toBe(25);
      expect(feeds.counters.materialised).toBe(25);
      for (const f of frames) expect(f).toEqual(frames[0]);
      expect(frames[0]![0]).toMatch(/^id: \d+\nevent: entry\ndata: \{.*"prompt":"prompt 0".*\}\n\n$/);
      for (const l of leases) l.stop();
    });

    it('is made with the first follower and dropped with the last; bounds each kind per world', async () => {
      const held: string[] = [];
      const feeds = new JournalFeeds({
        maxWaits: 2,
        maxStreams: 1,
        hold: (w) => {
          held.push(`hold ${w}`);
          return () => held.push(`release ${w}`);
        },
      });
      const a = feeds.follow('w', world.follower, new Recorder('wait'));
      const b = feeds.follow('w', world.follower, new Recorder('wait'));
      const s = feeds.follow('w', world.follower, new Recorder('stream'));
      await a.from;
      expect(() => feeds.follow('w', world.follower, new Recorder('wait'))).toThrow(ApiError);
      expect(() => feeds.follow('w', world.follower, new Recorder('stream'))).toThrow(
        /--max-journal-streams/,
      );
      expect(feeds.followers('w')).toEqual({ wait: 2, stream: 1 });
      // Another world is another feed, with bounds of its own.
      const other = feeds.follow('v', world.follower, new Recorder('wait'));
      a.stop();
      a.stop();
      expect(feeds.followers('w')).toEqual({ wait: 1, stream: 1 });
      const c = feeds.follow('w', world.follower, new Recorder('wait'));
      for (const l of [b, s, c, other]) l.stop();
      expect(feeds.followers('w')).toEqual({ wait: 0, stream: 0 });
      // One hold per world followed, however many followers, released with the last of them.
      expect(held).toEqual(['hold w', 'hold v', 'release w', 'release v']);
    });

    it('tells its followers of a reset, then goes on from the new entries', async () => {
      const feeds = new JournalFeeds();
      const follower = new Recorder('stream');
      const lease = feeds.follow('w', world.follower, follower);
      await lease.from;
      await world.writer.appendJournal(record(1));
      await until(() => follower.got.length === 1, 'the first entry');
      await world.writer.reset();
      await world.writer.appendJournal(record(2));
      await until(() => follower.got.length === 2, 'the entry after the reset');
      expect(follower.told).toEqual(['reset']);
      expect(follower.got[1]!.id).toBe(1);
      lease.stop();
    });

    it('ends its followers when their world is dropped', async () => {
      const feeds = new JournalFeeds();
      const followers = [new Recorder('wait'), new Recorder('stream')];
      const leases = followers.map((f) => feeds.follow('w', world.follower, f));
      await leases[0]!.from;
      feeds.drop('w');
      for (const f of followers) expect(f.told).toEqual(['end:dropped:w']);
      for (const l of leases) l.stop();
    });
  });
}
