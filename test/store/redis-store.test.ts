/**
 * The Redis store passes the conformance suite every store passes (test/support/store-conformance.ts),
 * against a redis-server of this file's own. Each test gets a world under a prefix of its own.
 */
import { afterAll, beforeAll } from 'vitest';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { RedisStore } from '../../mock-server/src/store/redis/redis-store.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import { CONFORMANCE_SPEC, describeStore } from '../support/store-conformance.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;
let connection: RedisConnection;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
  connection = await RedisConnection.open({ url: redis.url });
}, 30_000);

afterAll(async () => {
  await connection?.close();
  await redis?.stop({ cleanup: true });
});

describeStore('redis', async ({ retention, journal, spec }) => {
  const store = new RedisStore({
    connection,
    prefix: `c${n++}`,
    world: 'default',
    retention: retention ?? DEFAULT_RETENTION,
    journal: journal ?? DEFAULT_JOURNAL,
    systemNow: Date.now,
  });
  await store.writeStart(spec ?? CONFORMANCE_SPEC);
  return store;
});
