/**
 * The Redis store passes the conformance suite every store passes (test/support/store-conformance.ts),
 * against a redis-server of this file's own. Each test gets a world under a prefix of its own. And a
 * script's protocol (script.ts) is what its definition says, on both sides; and a world lost and made
 * again (FLUSHALL) never lets a request in flight store a task under an id drawn before the loss.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClockSnapshot } from '../../mock-server/src/domain/clock.js';
import { createRng } from '../../mock-server/src/domain/rng.js';
import { Simulator } from '../../mock-server/src/domain/simulator.js';
import type { GenerateRequest } from '../../mock-server/src/domain/wire-types.js';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { RedisStore } from '../../mock-server/src/store/redis/redis-store.js';
import { defineScript } from '../../mock-server/src/store/redis/script.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import {
  StoreUnavailableError,
  WorldMissingError,
  type WorldSpec,
} from '../../mock-server/src/store/store.js';
import { makeTask } from '../support/task-fixture.js';
import { ALICE, CONFORMANCE_SPEC, describeStore } from '../support/store-conformance.js';
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

function newStore(): RedisStore {
  return new RedisStore({
    connection,
    prefix: `c${n++}`,
    world: 'default',
    retention: DEFAULT_RETENTION,
    journal: DEFAULT_JOURNAL,
    systemNow: Date.now,
  });
}

describeStore('redis', async ({ retention, journal, spec, verdict, caps }) => {
  const store = new RedisStore({
    connection,
    prefix: `c${n++}`,
    world: 'default',
    retention: retention ?? DEFAULT_RETENTION,
    journal: journal ?? DEFAULT_JOURNAL,
    ...(caps ? { caps } : {}),
    systemNow: Date.now,
    verdict,
  });
  await store.writeStart(spec ?? CONFORMANCE_SPEC);
  return store;
});

/**
 * The race of a loss (docs/guides/fleet-failure-modes.md): a request reads its world (the id salt its
 * task's id is drawn with), the store loses its data, another replica makes the world again (a new
 * salt, counters from 0), and the request goes on. Played here step by step, by calling the store
 * between the steps. These tests run one at a time, so a FLUSHALL takes nothing from another.
 */
describe('a world lost and made again while a generate is in flight', () => {
  const BEFORE: WorldSpec = {
    ...CONFORMANCE_SPEC,
    idSalt: 'salt-before-the-loss',
    accounts: [{ owner: ALICE, label: 'alice', balance: 100 }],
  };
  const AFTER: WorldSpec = { ...BEFORE, idSalt: 'salt-after-the-loss' };
  const REQUEST: GenerateRequest = { prompt: 'a lighthouse', aspectRatio: '1:1', quality: 'basic' };

  /** The domain service of a request, as Tenancy builds it from the view its admission read. */
  function simulatorOf(store: RedisStore, view: Awaited<ReturnType<RedisStore['view']>>): Simulator {
    const { seed, idSalt, latency, failureRate } = view.spec;
    const clock = new ClockSnapshot(view.clock, Date.now);
    return new Simulator({ store, clock, seed, idSalt, createRng, latency, failureRate });
  }

  it('the store refuses a task drawn with the old salt (stale_world), the world missing or made again', async () => {
    const store = newStore();
    await store.writeStart(BEFORE);
    const admission = await store.admit({ caller: ALICE, then: { kind: 'reserve', counter: 'tasks' } });
    expect([admission.view.spec.idSalt, admission.reserved]).toEqual([BEFORE.idSalt, 0]);
    const task = makeTask({ id: 'sd45_00000000000000a1', owner: ALICE, createdAt: admission.now });
    await connection.command(['FLUSHALL']);
    await expect(store.admit({ caller: ALICE })).rejects.toBeInstanceOf(WorldMissingError);
    expect(await store.accept({ task, idSalt: BEFORE.idSalt })).toEqual({
      accepted: false,
      reason: 'stale_world',
    });
    await store.writeStart(AFTER); // another replica makes the world again
    expect(await store.accept({ task, idSalt: BEFORE.idSalt })).toEqual({
      accepted: false,
      reason: 'stale_world',
    });
    expect(await store.countTasks()).toBe(0);
    expect((await store.getAccount(ALICE))?.balance).toBe(100);
    expect(await store.accept({ task, idSalt: AFTER.idSalt })).toMatchObject({ accepted: true, balance: 88 });
  });

  it('a request that read its world before the loss and draws its counter after: answered 503, never a pre-loss id', async () => {
    const store = newStore();
    await store.writeStart(BEFORE);
    // Before the loss: task 0 of the world is handed out.
    const first = await store.admit({ caller: ALICE, then: { kind: 'reserve', counter: 'tasks' } });
    const before = simulatorOf(store, first.view);
    const handedOut = await before.accept(ALICE, REQUEST, {}, first.reserved!, first.now);
    expect(handedOut).toMatchObject({ ok: true });
    const preLossId = handedOut.ok ? handedOut.task.id : '';
    // A request reads the world (its salt), then the store loses everything and the world is made
    // again; the request's counter value is drawn after that: 0 again.
    const late = simulatorOf(store, await store.view(ALICE));
    await connection.command(['FLUSHALL']);
    await store.writeStart(AFTER);
    const n = await store.nextCounter('tasks');
    expect(n).toBe(0);
    // Without the check, the task would take the id handed out before the loss.
    expect(late.planTask(ALICE, REQUEST, {}, n, first.now).id).toBe(preLossId);
    await expect(Promise.resolve(late.accept(ALICE, REQUEST, {}, n, first.now))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(await store.getTask(preLossId)).toBeUndefined();
    expect((await store.getAccount(ALICE))?.balance).toBe(100);
    // The client's retry is admitted afresh: a new id, from the new salt.
    const retry = await store.admit({ caller: ALICE, then: { kind: 'reserve', counter: 'tasks' } });
    const accepted = await simulatorOf(store, retry.view).accept(
      ALICE,
      REQUEST,
      {},
      retry.reserved!,
      retry.now,
    );
    expect(accepted).toMatchObject({ ok: true, balance: 88 });
    expect(accepted.ok && accepted.task.id).not.toBe(preLossId);
  });
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
