/** GET /__mock/journal, /__mock/journal/wait and /__mock/journal/stream: the world's journal. */
import type { RequestHandler } from 'express';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { JournalFeeds } from './journal-feed.js';
import { journalEntryView, journalFilterOf } from './journal-reading.js';
import { streamJournal, type JournalStreamOptions } from './journal-stream.js';
import { waitForJournal } from './journal-wait.js';

export function journalHandlers(deps: {
  /** Entries kept per world (the journal's `capacity` field). */
  capacity: number;
  stream?: JournalStreamOptions | undefined;
  /** A world with followers is active (hold); a dropped tenant's followers end (onDropped). */
  tenancy?: Pick<Tenancy, 'hold' | 'onDropped'>;
  /** Waits and streams at once per world, per process (default 64 each). */
  limits?: { maxWaits: number; maxStreams: number };
}): Record<'getJournal' | 'waitForJournal' | 'streamJournal', RequestHandler> {
  const { tenancy } = deps;
  // One feed per world followed, for every wait and stream of this app (journal-feed.ts).
  const feeds = new JournalFeeds({
    ...(deps.limits ?? {}),
    ...(tenancy ? { hold: (world: string) => tenancy.hold(world) } : {}),
  });
  tenancy?.onDropped((world) => feeds.drop(world));
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
      const world = worldOf(res);
      const { entries, timedOut } = await waitForJournal(
        world.qa,
        (follower) => feeds.follow(world.id, world.qa, follower),
        journalFilterOf(query),
        Math.min(Number(query.timeoutMs ?? 5_000), 60_000),
        res,
      );
      res.json(success({ timed_out: timedOut, entries: entries.map(journalEntryView) }));
    },

    streamJournal: (req, res) => {
      const world = worldOf(res);
      return streamJournal(world.qa, req, res, { ...deps.stream, feeds, world: world.id });
    },
  };
}
