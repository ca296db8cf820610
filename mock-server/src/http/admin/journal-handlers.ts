/** GET /__mock/journal, /__mock/journal/wait and /__mock/journal/stream: the world's journal. */
import type { RequestHandler } from 'express';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { journalEntryView, journalFilterOf, waitForJournal } from './journal-reading.js';
import { streamJournal, type JournalStreamOptions } from './journal-stream.js';

export function journalHandlers(deps: {
  /** Entries kept per world (the journal's `capacity` field). */
  capacity: number;
  stream?: JournalStreamOptions | undefined;
}): Record<'getJournal' | 'waitForJournal' | 'streamJournal', RequestHandler> {
  return {
    getJournal: async (req, res) => {
      const { entries, next } = await worldOf(res).qa.queryJournal(
        journalFilterOf(req.query as Record<string, string | undefined>),
      );
      res.json(
        success({
          capacity: deps.capacity,
          ...(next === undefined ? {} : { next }),
          entries: entries.map(journalEntryView),
        }),
      );
    },

    waitForJournal: async (req, res) => {
      const query = req.query as Record<string, string | undefined>;
      const { entries, timedOut } = await waitForJournal(
        worldOf(res).qa,
        journalFilterOf(query),
        Math.min(Number(query.timeoutMs ?? 5_000), 60_000),
        res,
      );
      res.json(success({ timed_out: timedOut, entries: entries.map(journalEntryView) }));
    },

    streamJournal: (req, res) => streamJournal(worldOf(res).qa, req, res, deps.stream),
  };
}
