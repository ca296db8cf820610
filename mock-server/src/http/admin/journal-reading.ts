/**
 * The journal's wire form, its filters, and waiting for an entry (wiremock#943): a test asks for the
 * request it expects and gets it as soon as it is journaled, instead of sleeping and reading.
 */
import type { Response } from 'express';
import { ownerOf } from '../../domain/keys.js';
import type { JournalEntry, JournalFilter } from '../../qa/journal.js';
import type { JournalPage } from '../../store/store.js';
import { journalDriftView } from './drift-handlers.js';

/** What a journal is read from: a world's QA state (or, in tests, a Store). */
export interface JournalSource {
  queryJournal(filter?: JournalFilter): Promise<JournalPage>;
  /** Calls `listener` after each append; returns the function that stops it. Absent: polled. */
  watchJournal?: ((listener: () => void) => () => void) | undefined;
}

/** How often a store that cannot notify is read while a waiter waits. */
const POLL_MS = 50;
/** And one that can, in case a notification is lost (a shared store's pub/sub reconnecting). */
const WATCHED_POLL_MS = 250;

export function journalFilterOf(q: Record<string, string | undefined>): JournalFilter {
  return {
    ...(q.method ? { method: q.method } : {}),
    ...(q.path ? { path: q.path } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.apiKey ? { keyOwner: ownerOf(q.apiKey) } : {}),
    ...(q.taskId ? { taskId: q.taskId } : {}),
    ...(q.injected
      ? { injected: q.injected === 'true' ? true : q.injected === 'false' ? false : q.injected }
      : {}),
    ...(q.operation ? { operation: q.operation } : {}),
    ...(q.q ? { text: q.q } : {}),
    ...(q.before ? { before: Number(q.before) } : {}),
    ...(q.after ? { after: Number(q.after) } : {}),
    limit: q.limit === undefined ? 100 : Math.min(Number(q.limit), 10_000),
  };
}

export function journalEntryView(e: JournalEntry) {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    method: e.method,
    path: e.path,
    query: e.query,
    status: e.status,
    duration_ms: e.durationMs,
    api_key: e.keyLabel,
    task_id: e.taskId,
    injected: e.injected,
    operation: e.operation,
    request_headers: e.requestHeaders,
    ...(e.requestBody === undefined ? {} : { request_body: e.requestBody }),
    ...(e.responseBody === undefined ? {} : { response_body: e.responseBody }),
    ...journalDriftView(e.drift),
  };
}

/**
 * The first page of entries matching `filter`, as soon as there is one, or none after `timeoutMs`.
 * Stops waiting (and listening) when the client goes away.
 */
export async function waitForJournal(
  store: JournalSource,
  filter: JournalFilter,
  timeoutMs: number,
  res: Response,
): Promise<{ entries: JournalEntry[]; timedOut: boolean }> {
  const deadline = performance.now() + timeoutMs;
  let wake: () => void = () => undefined;
  const stopWatching = store.watchJournal?.(() => wake()) ?? (() => undefined);
  const gone = new Promise<void>((resolve) => res.once('close', resolve));
  let closed = false;
  void gone.then(() => (closed = true));
  try {
    for (;;) {
      const { entries } = await store.queryJournal(filter);
      if (entries.length > 0) return { entries, timedOut: false };
      const left = deadline - performance.now();
      if (left <= 0 || closed) return { entries: [], timedOut: true };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, store.watchJournal ? WATCHED_POLL_MS : POLL_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        void gone.then(wake);
      });
    }
  } finally {
    stopWatching();
  }
}
