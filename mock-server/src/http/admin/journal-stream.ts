/**
 * GET /__mock/journal/stream: the journal followed live, as server-sent events (the console's live
 * view, and `curl -N` for a terminal).
 *
 * A stream is a follower of its world's feed (journal-feed.ts): the feed reads each new entry once and
 * hands the stream the ones its filter matches, each with its event text serialised once for every
 * stream. A stream that was asked to start further back (`Last-Event-ID`, `after`) first reads that
 * part from the store itself, once, with its filter.
 *
 * A slow or stalled client never makes the process hold more than a round for it: at most 1000
 * entries queued (shared with the other streams), beyond which the oldest are dropped and reported as
 * a `gap` before the next entry sent; the catch-up reads at most 1000 entries, the older ones reported
 * the same way. A dropped tenant's stream ends with a `dropped` event.
 */
import type { Request, Response } from 'express';
import type { JournalFilter } from '../../qa/journal.js';
import {
  droppedError,
  droppedMessage,
  FeedEntry,
  followerFilter,
  JournalFeeds,
  type FeedEnd,
  type Follower,
} from './journal-feed.js';
import { journalEntryView, journalFilterOf, type JournalSource } from './journal-reading.js';

export interface JournalStreamOptions {
  /** A comment line this often, so that proxies and load balancers keep an idle stream open. */
  heartbeatMs?: number;
  /** How often a store without `watchJournal` is read (a stream's own feed, without `feeds`). */
  pollMs?: number;
  /** Called when a stream opens and when it ends (the metrics' gauge of open streams). */
  onOpen?: () => void;
  onClose?: () => void;
  /** The process's feeds, and the world streamed; absent: a feed of the stream's own (a bare store). */
  feeds?: JournalFeeds;
  world?: string;
}

export const STREAM_HEARTBEAT_MS = 15_000;
const PAGE = 500;
/** Pages read in one round: beyond them the oldest new entries are reported as a gap, not buffered. */
const PAGES_PER_ROUND = 2;
/** Entries queued for a client at most (a round); beyond, the oldest are dropped and reported as a gap. */
export const MAX_QUEUED = PAGE * PAGES_PER_ROUND;
const EVENT_ID = /^[0-9]{1,15}$/;

/** Where the client asked to start: after the entry a reconnecting EventSource last saw, or after `after`. */
function requestedStart(req: Request): number | undefined {
  const lastEventId = req.headers['last-event-id'];
  if (typeof lastEventId === 'string' && EVENT_ID.test(lastEventId)) return Number(lastEventId);
  const after = req.query.after;
  if (typeof after === 'string' && EVENT_ID.test(after)) return Number(after);
  return undefined;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const RESET = Symbol('reset');
const GAP = Symbol('gap');
type Queued = FeedEntry | typeof RESET | typeof GAP;

/**
 * One stream as a follower: what the feed hands it is written at once while the socket takes it, and
 * queued (at most MAX_QUEUED entries) while it does not.
 */
export class StreamFollower implements Follower {
  readonly kind = 'stream';
  readonly accepts: (entry: FeedEntry) => boolean;
  private queue: Queued[] = [];
  private head = 0;
  private queued = 0;
  /** Dropped from the front of the queue: a reset (sent before anything else), and entries (a gap). */
  private resetLost = false;
  private gapPending = false;
  /** The id of the newest entry sent or skipped by the catch-up: a gap's `after`. */
  private lastId = 0;
  private live = false;
  /** Resolves when the feed has ended the stream (`endedBy` says why). */
  readonly ended: Promise<void>;
  endedBy: FeedEnd | undefined;
  private markEnded: () => void = () => undefined;

  constructor(
    private readonly res: Response,
    filter: JournalFilter,
  ) {
    this.accepts = followerFilter(filter);
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    res.on('drain', () => this.flush());
  }

  deliver(entries: readonly FeedEntry[]): void {
    for (const entry of entries) this.push(entry);
    this.flush();
  }

  reset(): void {
    this.push(RESET);
    this.flush();
  }

  gap(): void {
    this.push(GAP);
  }

  end(why: FeedEnd): void {
    this.endedBy = why;
    if (this.res.headersSent) {
      this.write(event('dropped', { tenant: why.world, message: droppedMessage(why.world) }));
      if (!this.res.writableEnded) this.res.end();
    }
    this.markEnded();
  }

  /** Entries queued, waiting for the socket (at most MAX_QUEUED). */
  get backlog(): number {
    return this.queued;
  }

  /** Writes directly (the catch-up, before the stream goes live). */
  write(text: string): void {
    if (!this.res.writableEnded) this.res.write(text);
  }

  /** The catch-up is done, up to `from`: what the feed handed over meanwhile goes out now. */
  goLive(from: number): void {
    this.lastId = from;
    this.live = true;
    this.flush();
  }

  private push(item: Queued): void {
    this.queue.push(item);
    if (!(item instanceof FeedEntry)) return;
    this.queued++;
    while (this.queued > MAX_QUEUED) {
      const dropped = this.take()!;
      if (dropped === RESET) {
        this.resetLost = true;
        this.gapPending = false; // what was lost before the reset no longer exists
      } else {
        this.gapPending = true;
        if (dropped !== GAP) this.queued--;
      }
    }
  }

  private take(): Queued | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as Queued;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private flush(): void {
    if (!this.live || this.res.writableEnded) return;
    if (this.resetLost) {
      this.resetLost = false;
      this.write(event('reset', {}));
      this.lastId = 0;
    }
    while (this.head < this.queue.length && !this.res.writableNeedDrain) {
      const item = this.take()!;
      if (item === RESET) {
        this.write(event('reset', {}));
        this.lastId = 0;
        this.gapPending = false;
      } else if (item === GAP) this.gapPending = true;
      else {
        this.queued--;
        if (this.gapPending) {
          this.gapPending = false;
          this.write(event('gap', { after: this.lastId, before: item.id }));
        }
        this.write(item.frame);
        this.lastId = item.id;
      }
    }
  }
}

/**
 * The entries matching `filter` in (after, upTo], read from the store, oldest first: at most a round,
 * the older ones reported as a gap. `after` beyond `upTo`: the journal was reset since the client saw
 * it (a reset event, then from the start).
 */
async function catchUp(
  source: JournalSource,
  filter: JournalFilter,
  after: number,
  upTo: number,
  stream: StreamFollower,
): Promise<void> {
  if (after > upTo) {
    // LIMITATION: a reset followed by more requests than the client had seen before it is not
    // noticed; the ids then simply continue.
    stream.write(event('reset', {}));
    after = 0;
  }
  if (after === upTo) return;
  const collected: Parameters<typeof journalEntryView>[0][] = [];
  let before = upTo + 1;
  let unread: number | undefined;
  for (let page = 0; page < PAGES_PER_ROUND; page++) {
    const { entries, next } = await source.queryJournal({ ...filter, after, before, limit: PAGE });
    collected.push(...entries);
    unread = next;
    if (next === undefined) break;
    before = next;
  }
  if (unread !== undefined) stream.write(event('gap', { after, before: unread }));
  for (let i = collected.length - 1; i >= 0; i--) {
    const entry = collected[i]!;
    stream.write(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(journalEntryView(entry))}\n\n`);
  }
}

export async function streamJournal(
  source: JournalSource,
  req: Request,
  res: Response,
  options: JournalStreamOptions = {},
): Promise<void> {
  const {
    before: _b,
    after: _a,
    limit: _l,
    ...filter
  } = journalFilterOf(req.query as Record<string, string | undefined>);
  const start = requestedStart(req);
  const feeds =
    options.feeds ?? new JournalFeeds(options.pollMs === undefined ? {} : { pollMs: options.pollMs });
  const stream = new StreamFollower(res, filter);
  // Throws (429) before anything is written when the world has as many streams as allowed.
  const lease = feeds.follow(options.world ?? 'default', source, stream);
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  let from: number;
  try {
    from = await lease.from;
    if (stream.endedBy) throw droppedError(stream.endedBy);
  } catch (err) {
    lease.stop();
    throw err;
  }

  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    // nginx and similar proxies buffer responses unless told not to.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  options.onOpen?.();
  const heartbeat = setInterval(
    () => stream.write(': keep-alive\n\n'),
    options.heartbeatMs ?? STREAM_HEARTBEAT_MS,
  );

  try {
    if (start !== undefined) await catchUp(source, filter, start, from, stream);
    stream.goLive(from);
    await Promise.race([closed, stream.ended]);
  } catch {
    // The store failed mid-catch-up: end the stream; an EventSource reconnects after `retry`.
  } finally {
    clearInterval(heartbeat);
    lease.stop();
    options.onClose?.();
    if (!res.writableEnded) res.end();
  }
}
