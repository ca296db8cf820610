/**
 * A world's journal as this process follows it: ONE reader per world for all of its waits
 * (GET /__mock/journal/wait) and streams (GET /__mock/journal/stream), so that what a follower costs
 * does not grow with the journal or with the other followers.
 *
 * The feed is made when a world's first follower comes and dropped with its last. It keeps a cursor
 * (the newest entry it has dealt with) and, when the store says the journal grew (`watchJournal`: the
 * memory store at once, a Redis store through pub/sub from any replica), reads what is after the
 * cursor in one operation (`journalTail`), however many notifications came meanwhile. Each new entry
 * is then tested ONCE against each follower's filter, compiled when the follower came, and handed to
 * the followers it matches: materialised once, its searchable text lower-cased once, its event-stream
 * text serialised once, for all of them. A follower whose filter matches nothing costs a test per new
 * entry of its world, and no store operation.
 *
 * The memory store could hand each entry to its listeners as it stores it; the feed reads it back
 * instead (an index into the journal, without a copy) so that both stores take one road, and a burst
 * of appends is one read. A store that cannot notify is polled; one that can is still read now and then
 * (SAFETY_POLL_MS), for a notification lost while its pub/sub reconnected and for a tenant dropped
 * through another replica, which the read reports (WorldMissingError): its followers are then told.
 */
import {
  compileJournalFilter,
  materialise,
  searchableTexts,
  type JournalEntry,
  type JournalFilter,
  type JournalMatcher,
  type StoredEntry,
} from '../../qa/journal.js';
import { WorldMissingError } from '../../store/store.js';
import { ApiError } from '../errors.js';
import { journalEntryView, type JournalSource } from './journal-reading.js';

/** Entries one read takes at most: a longer burst is read in several, oldest first. */
const PAGE = 500;
/** How often a store that cannot notify is read. */
export const FEED_POLL_MS = 250;
/** How often a store that notifies is read all the same (see the module comment). */
const SAFETY_POLL_MS = 1_000;
export const DEFAULT_MAX_WAITS = 64;
export const DEFAULT_MAX_STREAMS = 64;
/** What a refused follower is asked to wait: a wait lasts a minute at most, a stream as long as it likes. */
const RETRY_WAIT_S = 1;
const RETRY_STREAM_S = 5;

/** The work the feeds of a process did, for tests to count (never to time). */
export interface FeedCounters {
  /** Store reads (journalTail). */
  reads: number;
  /** Entries read. */
  entries: number;
  /** Filter tests (an entry against a follower). */
  tests: number;
  /** Entries materialised (the journal's shape, for waits and streams). */
  materialised: number;
  /** Event-stream texts serialised. */
  frames: number;
}

/** One new entry of a world, shared by every follower it matches. */
export class FeedEntry {
  private entry_: JournalEntry | undefined;
  private frame_: string | undefined;
  private texts_: readonly string[] | undefined;

  constructor(
    readonly stored: StoredEntry,
    private readonly counters: FeedCounters,
  ) {}

  get id(): number {
    return this.stored.id;
  }

  /** The entry as the journal shows it, made once for all the followers. */
  get entry(): JournalEntry {
    if (this.entry_ === undefined) {
      this.counters.materialised++;
      this.entry_ = materialise(this.stored);
    }
    return this.entry_;
  }

  /** Its server-sent event, serialised once for all the streams. */
  get frame(): string {
    if (this.frame_ === undefined) {
      this.counters.frames++;
      this.frame_ = entryFrame(this.entry);
    }
    return this.frame_;
  }

  /** Its searchable texts, lower-cased once for all the free-text filters. */
  readonly texts = (): readonly string[] => (this.texts_ ??= searchableTexts(this.stored));

  /** Whether it passes a compiled filter. */
  passes(matches: JournalMatcher): boolean {
    return matches(this.stored, this.texts);
  }
}

/** An `entry` event of the journal stream. */
export function entryFrame(entry: JournalEntry): string {
  return `id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(journalEntryView(entry))}\n\n`;
}

/** Why a feed ended its followers. */
export interface FeedEnd {
  reason: 'dropped';
  /** The world's id. */
  world: string;
}

/** A wait or a stream, as the feed sees it. */
export interface Follower {
  readonly kind: 'wait' | 'stream';
  /** Whether an entry is for this follower: its filter, compiled once. */
  accepts(entry: FeedEntry): boolean;
  /** The entries of one read that it accepts, oldest first. */
  deliver(entries: readonly FeedEntry[]): void;
  /** The journal was cleared (a reset): ids start again from 1. */
  reset(): void;
  /** Entries were evicted from the store before the feed could read them. */
  gap(): void;
  /** The feed ends: the follower must end too. */
  end(why: FeedEnd): void;
}

/** A follower's place in a feed. */
export interface FeedLease {
  /**
   * The id after which every accepted entry is delivered (entries up to it are the follower's to read
   * from the store, if it wants them); rejects when the journal cannot be read.
   */
  from: Promise<number>;
  /** Leaves the feed (idempotent). */
  stop(): void;
}

/** The feed of one world in this process. */
export class JournalFeed {
  private readonly followers = new Set<Follower>();
  readonly count = { wait: 0, stream: 0 };
  private cursor: number | undefined;
  private readonly started: Promise<number>;
  private readonly unwatch: () => void;
  private readonly timer: NodeJS.Timeout;
  private reading = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly world: string,
    private readonly source: JournalSource,
    private readonly counters: FeedCounters,
    pollMs: number,
    private readonly onClose: () => void,
  ) {
    const watch = source.watchJournal;
    this.unwatch = watch ? watch.call(source, () => void this.read()) : () => undefined;
    this.timer = setInterval(() => void this.read(), watch ? SAFETY_POLL_MS : pollMs);
    this.timer.unref();
    this.started = source.journalTail(0, 0).then(
      ({ newest }) => {
        this.cursor = newest;
        if (this.again) void this.read();
        return newest;
      },
      (err: unknown) => {
        this.close();
        throw err;
      },
    );
    this.started.catch(() => undefined); // the followers' `from` reports it
  }

  follow(follower: Follower): FeedLease {
    this.followers.add(follower);
    this.count[follower.kind]++;
    let stopped = false;
    return {
      from: this.cursor !== undefined ? Promise.resolve(this.cursor) : this.started,
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.unfollow(follower);
      },
    };
  }

  /** Ends every follower (the world was dropped) and the feed. */
  end(why: FeedEnd): void {
    for (const follower of [...this.followers]) tell(() => follower.end(why));
    this.close();
  }

  private unfollow(follower: Follower): void {
    if (!this.followers.delete(follower)) return;
    this.count[follower.kind]--;
    if (this.followers.size === 0) this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    clearInterval(this.timer);
    this.onClose();
  }

  /** Reads what is after the cursor; one read at a time, and once more if told meanwhile. */
  private async read(): Promise<void> {
    if (this.closed) return;
    if (this.reading || this.cursor === undefined) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const cursor: number = this.cursor;
          const tail = await this.source.journalTail(cursor, PAGE);
          this.counters.reads++;
          if (this.closed) return;
          if (tail.newest < cursor) {
            // LIMITATION: a reset followed, before this read, by more requests than the cursor had
            // seen is not noticed: the ids simply continue (a memory store's feed reads after each one).
            for (const follower of this.followers) tell(() => follower.reset());
            this.cursor = 0;
            continue;
          }
          const first = tail.entries[0];
          if (first === undefined) break;
          if (first.id > cursor + 1) for (const follower of this.followers) tell(() => follower.gap());
          this.dispatch(tail.entries);
          if (this.cursor >= tail.newest) break;
        }
      } while (this.again && !this.closed);
    } catch (err) {
      if (err instanceof WorldMissingError) this.end({ reason: 'dropped', world: this.world });
      // Else the store failed (Redis unreachable): the cursor stays, and the next notification or
      // poll reads again; the followers wait on.
    } finally {
      this.reading = false;
    }
  }

  /** Each entry tested once against each follower, then handed to those it matches. */
  private dispatch(stored: readonly StoredEntry[]): void {
    const accepted = new Map<Follower, FeedEntry[]>();
    for (const s of stored) {
      const entry = new FeedEntry(s, this.counters);
      this.counters.entries++;
      for (const follower of this.followers) {
        this.counters.tests++;
        if (!follower.accepts(entry)) continue;
        const list = accepted.get(follower);
        if (list) list.push(entry);
        else accepted.set(follower, [entry]);
      }
    }
    this.cursor = stored.at(-1)!.id;
    for (const [follower, entries] of accepted) tell(() => follower.deliver(entries));
  }
}

/** Tells a follower something: one that fails (a socket gone wrong) spoils it for no other. */
function tell(what: () => void): void {
  try {
    what();
  } catch {
    // the follower's own request ends it (its socket's close)
  }
}

export interface JournalFeedsOptions {
  /** Waits held at once per world (`--max-journal-waits`). */
  maxWaits?: number;
  /** Streams open at once per world (`--max-journal-streams`). */
  maxStreams?: number;
  /** How often a store that cannot notify is read. */
  pollMs?: number;
  /** Counts a world with followers as active (Tenancy.hold); returns the release. */
  hold?: (world: string) => () => void;
}

const LIMITS = {
  wait: { option: '--max-journal-waits', what: 'journal waits held', retryS: RETRY_WAIT_S },
  stream: { option: '--max-journal-streams', what: 'journal streams open', retryS: RETRY_STREAM_S },
} as const;

/** The feeds of this process, one per world followed. */
export class JournalFeeds {
  private readonly feeds = new Map<string, JournalFeed>();
  readonly counters: FeedCounters = { reads: 0, entries: 0, tests: 0, materialised: 0, frames: 0 };
  private readonly max: Record<Follower['kind'], number>;

  constructor(private readonly options: JournalFeedsOptions = {}) {
    this.max = {
      wait: options.maxWaits ?? DEFAULT_MAX_WAITS,
      stream: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    };
  }

  /**
   * Adds a follower to its world's feed, made for it if need be. Throws a 429 ApiError, and adds
   * nothing, when the world already has as many followers of its kind as allowed.
   */
  follow(world: string, source: JournalSource, follower: Follower): FeedLease {
    const existing = this.feeds.get(world);
    if (existing && existing.count[follower.kind] >= this.max[follower.kind])
      throw tooManyFollowers(follower.kind, this.max[follower.kind]);
    let feed = existing;
    if (!feed) {
      const release = this.options.hold?.(world) ?? (() => undefined);
      const made: JournalFeed = new JournalFeed(
        world,
        source,
        this.counters,
        this.options.pollMs ?? FEED_POLL_MS,
        () => {
          release();
          if (this.feeds.get(world) === made) this.feeds.delete(world);
        },
      );
      this.feeds.set(world, (feed = made));
    }
    return feed.follow(follower);
  }

  /** Ends the followers of a dropped world. */
  drop(world: string): void {
    this.feeds.get(world)?.end({ reason: 'dropped', world });
  }

  /** Followers of each kind a world has in this process. */
  followers(world: string): { wait: number; stream: number } {
    return { ...(this.feeds.get(world)?.count ?? { wait: 0, stream: 0 }) };
  }
}

function tooManyFollowers(kind: Follower['kind'], max: number): ApiError {
  const { option, what, retryS } = LIMITS[kind];
  return new ApiError(
    429,
    `Too many ${what} in this world: at most ${max} (${option}) per simulator process; retry after ${retryS} s`,
    { type: 'rate_limited', retry_after_seconds: retryS },
    { 'Retry-After': String(retryS) },
  );
}

/** A follower's filter, compiled once: its content conditions, and the ids it takes (`after`, `before`). */
export function followerFilter(filter: JournalFilter): (entry: FeedEntry) => boolean {
  const matches = compileJournalFilter(filter);
  const { after, before } = filter;
  return (entry) =>
    (after === undefined || entry.id > after) &&
    (before === undefined || entry.id < before) &&
    entry.passes(matches);
}

/** The text of a follower ended because its world was dropped. */
export function droppedMessage(world: string): string {
  return `The tenant ${world} was dropped (DELETE /__mock/tenants/${world}, a global reset, or its idle time-out)`;
}

/** The answer to a follower whose world was dropped before it was answered (410). */
export function droppedError(why: FeedEnd): ApiError {
  return new ApiError(410, `${droppedMessage(why.world)} while this request was held`, { type: 'gone' });
}
