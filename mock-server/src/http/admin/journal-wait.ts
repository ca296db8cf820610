/**
 * GET /__mock/journal/wait: waiting for an entry (wiremock#943). A test asks for the request it expects
 * and gets it as soon as it is journaled, instead of sleeping and reading.
 */
import type { Response } from 'express';
import { MAX_JOURNAL_PAGE, type JournalEntry, type JournalFilter } from '../../qa/journal.js';
import { droppedError, followerFilter, type FeedEnd, type FeedLease, type Follower } from './journal-feed.js';
import type { JournalSource } from './journal-reading.js';

/**
 * The first page of entries matching `filter`, as soon as there is one, or none after `timeoutMs`.
 * The journal is read once, when the wait starts (the entry may be there already); then the world's
 * feed (journal-feed.ts) hands over the new entries that match, without another read. Stops waiting
 * when the client goes away; a 410 when the world is dropped meanwhile.
 *
 * `follow` adds the waiter to its world's feed (and throws a 429 when the world has too many).
 */
export async function waitForJournal(
  source: JournalSource,
  follow: (follower: Follower) => FeedLease,
  filter: JournalFilter,
  timeoutMs: number,
  res: Response,
): Promise<{ entries: JournalEntry[]; timedOut: boolean }> {
  type Outcome = { entries: JournalEntry[]; timedOut: boolean } | { ended: FeedEnd };
  let settle: (outcome: Outcome) => void = () => undefined;
  const settled = new Promise<Outcome>((resolve) => (settle = resolve));
  const accepts = followerFilter(filter);
  const limit = Math.min(filter.limit ?? 100, MAX_JOURNAL_PAGE);
  const lease = follow({
    kind: 'wait',
    accepts,
    // Newest first, as a page: the entries of one read, the newest `limit`.
    deliver: (entries) =>
      settle({
        entries: entries
          .slice(-limit)
          .reverse()
          .map((e) => e.entry),
        timedOut: false,
      }),
    reset: () => undefined,
    gap: () => undefined,
    end: (why) => settle({ ended: why }),
  });
  let timer: NodeJS.Timeout | undefined;
  const giveUp = () => settle({ entries: [], timedOut: true });
  res.once('close', giveUp);
  try {
    await lease.from;
    const { entries } = await source.queryJournal(filter);
    if (entries.length > 0) return { entries, timedOut: false };
    if (res.closed) return { entries: [], timedOut: true };
    timer = setTimeout(giveUp, timeoutMs);
    const outcome = await settled;
    if ('ended' in outcome) throw droppedError(outcome.ended);
    return outcome;
  } finally {
    clearTimeout(timer);
    res.off('close', giveUp);
    lease.stop();
  }
}
