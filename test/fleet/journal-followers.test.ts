/**
 * Waits and streams on a fleet: two replicas on a Redis of this file's own, entries written through
 * replica A and followed on replica B (the suite test/qa/journal-followers.test.ts runs on the memory
 * store), and the journal feed over Redis stores, one connection following and another appending, as
 * two replicas would (test/qa/journal-feed.test.ts on the memory store).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { RedisStore } from '../../mock-server/src/store/redis/redis-store.js';
import { JournalFeeds } from '../../mock-server/src/http/admin/journal-feed.js';
import { describeFeed, Recorder, until, type FeedWorld } from '../qa/journal-feed-suite.js';
import { describeFollowers } from '../qa/journal-follow-support.js';
import { startFleet } from '../support/fleet.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { CONFORMANCE_SPEC } from '../support/store-conformance.js';

let redis: RedisServer | undefined;
const connections: RedisConnection[] = [];
afterAll(async () => {
  for (const c of connections) await c.close();
  await redis?.stop({ cleanup: true });
});

describeFollowers('two replicas on Redis', async (args) => {
  redis ??= await startRedis();
  const fleet = await startFleet(redis, { replicas: 2, args });
  return { a: fleet.replicas[0]!.url, b: fleet.replicas[1]!.url, stop: () => fleet.stop() };
});

let prefixes = 0;

/** One world, as a replica following it sees it and as another replica appending to it does. */
async function redisWorld(): Promise<FeedWorld & { writer: RedisStore }> {
  redis ??= await startRedis();
  const prefix = `feed${prefixes++}`;
  const open = async () => {
    const connection = await RedisConnection.open({ url: redis!.url });
    connections.push(connection);
    return new RedisStore({
      connection,
      prefix,
      world: 'w',
      retention: DEFAULT_RETENTION,
      journal: { ...DEFAULT_JOURNAL, maxEntries: 10_000 },
      systemNow: Date.now,
    });
  };
  const writer = await open();
  await writer.writeStart(CONFORMANCE_SPEC);
  return { follower: await open(), writer };
}

describeFeed('Redis, followed and written through two connections', redisWorld);

describe('the journal feed of a Redis world dropped through another replica', () => {
  it('ends its followers when its own read finds the world gone', async () => {
    const world = await redisWorld();
    const feeds = new JournalFeeds();
    const follower = new Recorder('stream');
    const lease = feeds.follow('w', world.follower, follower);
    await lease.from;
    await world.writer.destroy();
    // No append will come: the feed's own reads (now and then) find it gone.
    await until(() => follower.told.length > 0, 'the followers are told');
    expect(follower.told).toEqual(['end:dropped:w']);
    lease.stop();
  });
});
