/**
 * The journal's wire form, its filters, and what it is read from (GET /__mock/journal, and the
 * followers: journal-wait.ts, journal-stream.ts).
 */
import { ownerOf } from '../../domain/keys.js';
import type { JournalEntry, JournalFilter } from '../../qa/journal.js';
import type { JournalPage, JournalTail } from '../../store/store.js';
import { journalDriftView } from './drift-handlers.js';

/** What a journal is read from: a world's QA state (or, in tests, a Store). */
export interface JournalSource {
  queryJournal(filter?: JournalFilter): Promise<JournalPage>;
  /** The entries after a cursor, as stored (Store.journalTail): what a feed reads. */
  journalTail(after: number, limit: number): Promise<JournalTail>;
  /** Calls `listener` after appends; returns the function that stops it. Absent: polled. */
  watchJournal?: ((listener: () => void) => () => void) | undefined;
}

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
