/**
 * GET /__mock/journal/stream: the journal followed live, as server-sent events (the console's live
 * view, and `curl -N` for a terminal).
 *
 * The store is the buffer: the stream keeps only a cursor (the newest entry id it has dealt with) and
 * reads what is newer in rounds, so a slow or stalled client never makes the simulator hold more
 * than one round (at most 1000 entries, waiting for the socket to drain before the next). A round is
 * started by the store's `watchJournal` when it has one (the memory store, a Redis store with
 * pub/sub), else by polling the store, because another process may be writing the same journal.
 */
import { once } from 'node:events';
import type { Request, Response } from 'express';
import type { JournalFilter } from '../../qa/journal.js';
import { journalEntryView, journalFilterOf, type JournalSource } from './journal-reading.js';

export interface JournalStreamOptions {
  /** A comment line this often, so that proxies and load balancers keep an idle stream open. */
  heartbeatMs?: number;
  /** How often a store without `watchJournal` is read. */
  pollMs?: number;
  /** Called when a stream opens and when it ends (the metrics' gauge of open streams). */
  onOpen?: () => void;
  onClose?: () => void;
}

export const STREAM_HEARTBEAT_MS = 15_000;
const POLL_MS = 250;
/** Even a store that notifies is read this often, in case a notification was lost (a dropped pub/sub). */
const SAFETY_POLL_MS = 5_000;
const PAGE = 500;
/** Pages read in one round: beyond them the oldest new entries are reported as a gap, not buffered. */
const PAGES_PER_ROUND = 2;
const EVENT_ID = /^[0-9]{1,15}$/;

async function newestId(store: JournalSource): Promise<number> {
  return (await store.queryJournal({ limit: 1 })).entries[0]?.id ?? 0;
}

/** Where to start: after the entry a reconnecting EventSource last saw, after `after`, or after the newest. */
async function startCursor(store: JournalSource, req: Request): Promise<number> {
  const lastEventId = req.headers['last-event-id'];
  if (typeof lastEventId === 'string' && EVENT_ID.test(lastEventId)) return Number(lastEventId);
  const after = req.query.after;
  if (typeof after === 'string' && EVENT_ID.test(after)) return Number(after);
  return newestId(store);
}

export async function streamJournal(
  store: JournalSource,
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
  let cursor = await startCursor(store, req);

  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    // nginx and similar proxies buffer responses unless told not to.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  options.onOpen?.();

  let closed = false;
  let dirty = true; // read once at the start: entries may have come between the page and the stream
  let wake: () => void = () => undefined;
  const poke = () => {
    dirty = true;
    wake();
  };
  const stopWatching = store.watchJournal?.(poke) ?? (() => undefined);
  res.once('close', () => {
    closed = true;
    wake();
  });
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, options.heartbeatMs ?? STREAM_HEARTBEAT_MS);

  const send = (event: string, data: unknown, id?: number) => {
    res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const round = async (from: number): Promise<number> => {
    // The newest id first, then the entries up to it: one appended meanwhile is left for the next round
    // rather than skipped, and the cursor moves past entries the filter does not match.
    const newest = await newestId(store);
    if (newest < from) {
      // LIMITATION: a reset followed by more requests than the stream had seen before it, all between
      // two rounds, is not noticed; the ids then simply continue.
      send('reset', {});
      from = 0;
    }
    if (newest === from) return from;
    const collected: Parameters<typeof journalEntryView>[0][] = [];
    let before = newest + 1;
    let unread: number | undefined;
    for (let page = 0; page < PAGES_PER_ROUND; page++) {
      const query: JournalFilter = { ...filter, after: from, before, limit: PAGE };
      const { entries, next } = await store.queryJournal(query);
      collected.push(...entries);
      unread = next;
      if (next === undefined) break;
      before = next;
    }
    if (unread !== undefined) send('gap', { after: from, before: unread });
    for (let i = collected.length - 1; i >= 0; i--) {
      const entry = collected[i]!;
      send('entry', journalEntryView(entry), entry.id);
    }
    return newest;
  };

  try {
    while (!closed) {
      if (dirty) {
        dirty = false;
        cursor = await round(cursor);
      }
      if (closed) break;
      if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (dirty || closed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            dirty = true;
            resolve();
          },
          store.watchJournal ? SAFETY_POLL_MS : (options.pollMs ?? POLL_MS),
        );
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => undefined;
    }
  } catch {
    // The store failed mid-stream: end the stream; an EventSource reconnects after `retry`.
  } finally {
    clearInterval(heartbeat);
    stopWatching();
    options.onClose?.();
    if (!res.writableEnded) res.end();
  }
}
