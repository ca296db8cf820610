/**
 * The Redis store passes the conformance suite every store passes (test/support/store-conformance.ts),
 * against a redis-server of this file's own. Each test gets a world under a prefix of its own. And a
 * script's protocol (script.ts) is what its definition says, on both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { RedisStore } from '../../mock-server/src/store/redis/redis-store.js';
import { defineScript } from '../../mock-server/src/store/redis/script.js';
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

describeStore('redis', async ({ retention, journal, spec, caps }) => {
  const store = new RedisStore({
    connection,
    prefix: `c${n++}`,
    world: 'default',
    retention: retention ?? DEFAULT_RETENTION,
    journal: journal ?? DEFAULT_JOURNAL,
    ...(caps ? { caps } : {}),
    systemNow: Date.now,
  });
  await store.writeStart(spec ?? CONFORMANCE_SPEC);
  return store;
});

describe('a script defined once (script.ts)', () => {
  it('passes named arguments of every kind and reads its reply by name', async () => {
    const script = defineScript({
      keys: ['base'],
      args: ['text', 'count:num', 'flag:bool', 'absentText?', 'absentNumber:num?'],
      rest: 'items',
      reply: ['text', 'next', 'flag', 'absentText', 'absentNumber', 'items', 'key'],
      body: `
return REPLY{ text = text, next = count + 1, flag = flag and 'yes' or 'no', absentText = absentText,
  absentNumber = absentNumber, items = #items .. ':' .. table.concat(items, ','), key = base }
`,
      decode: (r, args) => ({ ...r, sent: args }),
    });
    const args = { text: 'a b', count: 41, flag: true, items: ['x', 2] };
    expect(await connection.run(script, ['k1'], args)).toEqual({
      text: 'a b',
      next: 42,
      flag: 'yes',
      absentText: '', // an optional text left out arrives as ''
      absentNumber: null, // an optional number as nil
      items: '2:x,2',
      key: 'k1',
      sent: args,
    });
  });

  it('refuses, when defined, a name that would hide a Lua global or a library name, or a name twice', () => {
    const library = 'local function helper() return 1 end\nlocal LIMIT, OTHER = 1, 2\n';
    for (const args of [['type'], ['helper'], ['OTHER'], ['a', 'a'], ['not-a-name']])
      expect(() => defineScript({ args, library, body: 'return 1' })).toThrow();
    expect(() => defineScript({ args: ['fine'], library, body: 'return 1' })).not.toThrow();
  });
});
