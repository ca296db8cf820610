/**
 * The verdict kept by the Redis store: the same judgement as the memory store's for any day, folded
 * lazily from a checkpoint by whichever replica asks (under a lock, or privately when another holds
 * it), its backlog folded past a threshold and bounded by a cap whose drops the report admits.
 * Against a redis-server of this file's own.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import { MemoryStore, DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { RedisStore } from '../../mock-server/src/store/redis/redis-store.js';
import {
  DEFAULT_BACKLOG,
  RedisVerdict,
  VERDICT_SCRIPTS,
  type BacklogLimits,
  type RunScript,
} from '../../mock-server/src/store/redis/verdict-scripts.js';
import type { Store, WorldSpec } from '../../mock-server/src/store/store.js';
import type { ControlEvent, Observation } from '../../mock-server/src/verdict/observation.js';
import { reportOf } from '../../mock-server/src/verdict/report.js';
import { resolveSettings, type VerdictSettings } from '../../mock-server/src/verdict/settings.js';
import { toJSON, type VerdictState } from '../../mock-server/src/verdict/state.js';
import { fcParams } from '../properties/support.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { NO_SPEND, World, play, realCatalogue, step } from './support.js';

const SPEC: WorldSpec = {
  seed: 'verdict-stores',
  idSalt: '',
  latency: 'fast',
  failureRate: 0,
  clock: 'virtual',
  accounts: [],
};

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

/** A Redis world of its own (a prefix per store); `replica` is another handle on the same world. */
async function redisWorld(
  settings: VerdictSettings,
  backlog?: BacklogLimits,
): Promise<{ store: RedisStore; replica: () => RedisStore; key: (name: string) => string }> {
  const prefix = `v${n++}`;
  const make = () =>
    new RedisStore({
      connection,
      prefix,
      world: 'default',
      retention: DEFAULT_RETENTION,
      journal: { maxEntries: 0, maxBytes: 0 },
      systemNow: Date.now,
      verdict: settings,
      ...(backlog ? { verdictBacklog: backlog } : {}),
    });
  const store = make();
  await store.writeStart(SPEC);
  return { store, replica: make, key: (name) => `${prefix}:{w:default}:${name}` };
}

async function memoryWorld(settings: VerdictSettings): Promise<MemoryStore> {
  const store = new MemoryStore({
    spec: SPEC,
    clock: new VirtualClock(),
    verdict: settings,
    journal: DEFAULT_JOURNAL,
  });
  await store.reset();
  return store;
}

/** Records a day's observations and control events as the request path and the services would. */
async function record(store: Store, items: readonly (Observation | ControlEvent)[]): Promise<void> {
  for (const item of items) {
    if ('kind' in item) {
      if (item.kind === 'reset') await store.reset();
      else {
        const { seq: _seq, ...event } = item;
        await store.recordControl(event);
      }
    } else {
      const { seq: _seq, journalId: _journalId, ...draft } = item;
      await store.appendJournal(null, draft);
    }
  }
}

/** The state without what only the journal decides (the examples' journal ids: none kept here). */
function comparable(state: VerdictState): unknown {
  return toJSON(state);
}

const SETTINGS = resolveSettings();

describe('the verdict on Redis', () => {
  it('judges any day as the memory store does, whichever replica reads it, in whatever pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 80 }),
        fc.integer({ min: 1, max: 5 }),
        async (steps, pieces) => {
          const w = new World();
          play(w, steps);
          const items = w.observations;
          const memory = await memoryWorld(SETTINGS);
          const { store, replica } = await redisWorld(SETTINGS);
          // Two replicas append; reads in between fold what waits, each from the other's checkpoint.
          const size = Math.ceil(items.length / pieces);
          for (let i = 0; i < items.length; i += size) {
            const piece = items.slice(i, i + size);
            await record(memory, piece);
            await record(i % 2 === 0 ? store : replica(), piece);
            await replica().readVerdict();
          }
          const [m, r] = [await memory.readVerdict(), await store.readVerdict()];
          expect(comparable(r.state)).toEqual(comparable(m.state));
          expect(r.unseen).toBe(0);
          const catalogue = await realCatalogue();
          const input = { now: w.now, world: 'default', catalogue, settings: SETTINGS, spend: NO_SPEND };
          expect(reportOf(r.state, input)).toEqual(reportOf(m.state, input));
        },
      ),
      fcParams(25),
    );
  }, 120_000);

  it('folds its backlog past the threshold, in the background, into a checkpoint', async () => {
    const { store, key } = await redisWorld(SETTINGS, { foldAt: 5, cap: 1_000, lockMs: 10_000 });
    const w = new World();
    for (let i = 0; i < 12; i++) w.advance(2_000).poll('sd45_ffffffffffffffff', { status: 404 });
    await record(store, w.observations);
    const length = async () => Number(await connection.command(['LLEN', key('vobs')]));
    await expect.poll(length, { timeout: 5_000 }).toBeLessThan(12);
    expect(Number(await connection.command(['EXISTS', key('vstate')]))).toBe(1);
    const { state } = await store.readVerdict();
    expect(state.requests.getTaskStatus).toBe(12);
    expect(state.findings.get('retry-unchanged-4xx')?.occurrences).toBe(11);
    // A report folds what was left, and leaves nothing waiting.
    expect(await length()).toBe(0);
  });

  it('bounds its backlog: beyond the cap the oldest go, and the report says how many it never saw', async () => {
    const { store } = await redisWorld(SETTINGS, { foldAt: 1_000, cap: 5, lockMs: 10_000 });
    const w = new World();
    for (let i = 0; i < 12; i++) w.advance(2_000).poll('sd45_ffffffffffffffff', { status: 404 });
    await record(store, w.observations);
    const { state, unseen } = await store.readVerdict();
    expect([state.requests.getTaskStatus, unseen]).toEqual([5, 7]);
    const report = reportOf(state, {
      now: w.now,
      world: 'default',
      catalogue: await realCatalogue(),
      settings: SETTINGS,
      spend: NO_SPEND,
      unseen,
    });
    expect(report.blind_spots).toMatchObject({ complete: false, unseen: 7 });
    expect(report.blind_spots.notes.join(' ')).toMatch(
      /^7 requests \(or control events\) were recorded but dropped/,
    );
    await store.reset();
    expect((await store.readVerdict()).unseen).toBe(0);
  });

  it('reads a true report while another replica holds the fold, and writes nothing then', async () => {
    const { store, key } = await redisWorld(SETTINGS);
    const w = new World();
    w.poll('sd45_ffffffffffffffff', { status: 404 });
    w.advance(10).poll('sd45_ffffffffffffffff', { status: 404 });
    await record(store, w.observations);
    await connection.command(['SET', key('vlock'), 'another-replica', 'PX', '60000']);
    const held = await store.readVerdict();
    expect(held.state.findings.get('retry-unchanged-4xx')?.occurrences).toBe(1);
    expect(Number(await connection.command(['EXISTS', key('vstate')]))).toBe(0);
    expect(Number(await connection.command(['LLEN', key('vobs')]))).toBe(2);
    // Its lock gone (done, or expired), the next read folds and writes.
    await connection.command(['DEL', key('vlock')]);
    expect(comparable((await store.readVerdict()).state)).toEqual(comparable(held.state));
    expect(Number(await connection.command(['LLEN', key('vobs')]))).toBe(0);
    expect(comparable((await store.readVerdict()).state)).toEqual(comparable(held.state));
  });

  it('writes nothing of a fold whose world was reset meanwhile (its lock gone with the rest)', async () => {
    const { store, key } = await redisWorld(SETTINGS);
    const w = new World();
    w.poll('sd45_ffffffffffffffff', { status: 404 });
    w.advance(10).poll('sd45_ffffffffffffffff', { status: 404 });
    await record(store, w.observations);
    // The store's own runner (private: this test reaches in to slip a reset between read and commit).
    const own = (
      store as unknown as { run: (s: unknown, now: undefined, a: unknown) => Promise<unknown> }
    ).run.bind(store);
    const run: RunScript = async (script, args) => {
      const result = (await own(script, undefined, args)) as never;
      if (script === VERDICT_SCRIPTS.read) await store.reset();
      return result;
    };
    const stale = await new RedisVerdict(run, SETTINGS, DEFAULT_BACKLOG).fold();
    expect(stale.state.requests.getTaskStatus).toBe(2);
    expect(Number(await connection.command(['EXISTS', key('vstate')]))).toBe(0);
    expect((await store.readVerdict()).state.requests.getTaskStatus).toBe(0);
  });
});
