/**
 * Follows GET /__mock/journal/stream. EventSource cannot send headers, and the token must never be
 * put in a URL, so the stream is read with fetch and parsed with eventsource-parser; a dropped stream
 * is resumed with Last-Event-ID, as EventSource would.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Api, JournalEntry, Query } from './api.js';
import { queryString } from './api.js';

export interface FollowHandlers {
  entry(entry: JournalEntry): void;
  /** Entries in (after, before) were not sent: read them with GET /__mock/journal if wanted. */
  gap(range: { after: number; before: number }): void;
  /** The journal was cleared (a reset). */
  reset(): void;
  state(connected: boolean): void;
}

/** Starts following after entry `after`; returns the function that stops. */
export function followJournal(api: Api, filter: Query, after: number, on: FollowHandlers): () => void {
  const controller = new AbortController();
  let lastId = after;
  let retryMs = 2_000;
  let stopped = false;

  const dispatch = (message: EventSourceMessage) => {
    if (message.id && /^[0-9]+$/.test(message.id)) lastId = Number(message.id);
    if (message.event === 'entry') on.entry(JSON.parse(message.data) as JournalEntry);
    else if (message.event === 'gap') on.gap(JSON.parse(message.data) as { after: number; before: number });
    else if (message.event === 'reset') {
      lastId = 0;
      on.reset();
    }
  };

  const run = async () => {
    while (!stopped) {
      try {
        const res = await fetch(`/__mock/journal/stream${queryString({ ...filter, after: lastId })}`, {
          headers: api.headers({ Accept: 'text/event-stream', 'Last-Event-ID': String(lastId) }),
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        on.state(true);
        const parser = createParser({
          onEvent: dispatch,
          onRetry: (ms) => (retryMs = ms),
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch {
        // dropped, refused or stopped: retried below unless stopped
      }
      if (stopped) break;
      on.state(false);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
