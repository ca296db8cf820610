/**
 * The Store conformance suite: one set of tests that every Store implementation must pass, as every
 * store of the level ecosystem passes abstract-level's. `describeStore(name, factory)` runs them
 * against a fresh store per test; the memory store and the Redis store both call it, unchanged.
 */
import { describe, expect, it } from 'vitest';
import { CLOCK_LIMIT_MS, VIRTUAL_CLOCK_START } from '../../mock-server/src/domain/clock.js';
import { ownerOf, type Owner } from '../../mock-server/src/domain/keys.js';
import { counterDraw } from '../../mock-server/src/domain/rng.js';
import { ABANDONED_MESSAGE, type Task, type TaskPlan } from '../../mock-server/src/domain/tasks.js';
import type { FaultRuleInput } from '../../mock-server/src/qa/fault-rules.js';
import type { JournalRecord } from '../../mock-server/src/qa/journal.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import type { JournalLimits, RetentionPolicy, Store, WorldSpec } from '../../mock-server/src/store/store.js';
import { WorldLimitError, type WorldCaps } from '../../mock-server/src/store/world-limits.js';
import { makeTask } from './task-fixture.js';

export const ALICE = ownerOf('sk-alice');
export const BOB = ownerOf('sk-bob');

export interface StoreOptions {
  retention?: RetentionPolicy;
  journal?: JournalLimits;
  spec?: WorldSpec;
  caps?: WorldCaps;
}

/** Makes a fresh, empty store (a world reset to its spec). */
export type StoreFactory = (options: StoreOptions) => Promise<Store>;

export const CONFORMANCE_SPEC: WorldSpec = {
  seed: 'conformance',
  idSalt: '',
  latency: 'fast',
  failureRate: 0,
  clock: 'virtual',
  accounts: [],
};

let counter = 0;
const nextId = (): string => `sd45_${(counter++).toString(16).padStart(16, '0')}`;

function task(overrides: Partial<Task> = {}, plan: Partial<TaskPlan> = {}): Task {
  return makeTask({ id: nextId(), owner: ALICE, ...overrides }, { readyAt: 10_000, ...plan });
}

function journalRecord(overrides: Partial<JournalRecord> = {}): JournalRecord {
  return {
    at: 0,
    method: 'POST',
    path: '/api/generate',
    rawQuery: '',
    status: 200,
    durationMs: 1,
    keyLabel: 'sk-d…-dev',
    keyOwner: 'owner',
    taskId: null,
    injected: null,
    operation: 'createGenerationTask',
    requestHeaders: {},
    rawRequestBody: undefined,
    responseText: undefined,
    ...overrides,
  };
}

const ids = (tasks: Task[]) => tasks.map((t) => t.id);

export function describeStore(name: string, factory: StoreFactory): void {
  async function storeWith(balances: Array<[Owner, number]>, options: StoreOptions = {}): Promise<Store> {
    const store = await factory(options);
    for (const [owner, balance] of balances)
      await store.setBalance(owner, `label-${owner.slice(0, 4)}`, balance, 0);
    return store;
  }
  const balanceOf = async (store: Store, owner: Owner) => (await store.getAccount(owner))?.balance;
  const retention = (over: Partial<RetentionPolicy>): RetentionPolicy => ({ ...DEFAULT_RETENTION, ...over });
  const succeed = (store: Store, t: Task, at = t.createdAt) =>
    store.settleTask(t.id, { status: 'SUCCESS', at, errorMessage: null });

  describe(`Store conformance: ${name}`, () => {
    describe('accounts', () => {
      it('creates an account on setBalance and returns copies', async () => {
        const store = await factory({});
        expect(await store.getAccount(ALICE)).toBeUndefined();
        const account = await store.setBalance(ALICE, 'sk-a…lice', 50, 0);
        expect(account).toEqual({ owner: ALICE, label: 'sk-a…lice', balance: 50 });
        account.balance = 1_000_000;
        const read = await store.getAccount(ALICE);
        expect(read?.balance).toBe(50);
        read!.balance = 1_000_000;
        expect(await balanceOf(store, ALICE)).toBe(50);
        const [listed] = await store.listAccounts();
        listed!.balance = 1_000_000;
        expect(await balanceOf(store, ALICE)).toBe(50);
      });

      it('lists every account', async () => {
        const store = await storeWith([
          [ALICE, 1],
          [BOB, 2],
        ]);
        const accounts = await store.listAccounts();
        expect(accounts.map((a) => [a.owner, a.balance]).sort()).toEqual(
          [
            [ALICE, 1],
            [BOB, 2],
          ].sort(),
        );
      });
    });

    it("reads a caller's account with the view, and says when there is none", async () => {
      const store = await storeWith([[ALICE, 7]]);
      const withAlice = await store.view(ALICE);
      expect(withAlice.caller).toEqual({
        owner: ALICE,
        account: { owner: ALICE, label: `label-${ALICE.slice(0, 4)}`, balance: 7 },
      });
      expect(withAlice.clock).toEqual((await store.view()).clock);
      expect((await store.view(BOB)).caller).toEqual({ owner: BOB });
      expect((await store.view()).caller).toBeUndefined();
    });

    describe('acceptTask', () => {
      it('debits the price and stores the task', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({ price: 18 });
        expect(await store.acceptTask(t)).toMatchObject({ accepted: true, balance: 82 });
        expect(await balanceOf(store, ALICE)).toBe(82);
        expect(await store.getTask(t.id)).toEqual(t);
        expect(await store.countTasks()).toBe(1);
      });

      it('accepts a task that takes the balance to exactly 0', async () => {
        const store = await storeWith([[ALICE, 12]]);
        expect(await store.acceptTask(task())).toMatchObject({ accepted: true, balance: 0 });
      });

      it('refuses a task the balance cannot cover, and changes nothing', async () => {
        const store = await storeWith([[ALICE, 11]]);
        const t = task();
        expect(await store.acceptTask(t)).toEqual({
          accepted: false,
          reason: 'insufficient_credits',
          balance: 11,
          required: 12,
        });
        expect(await balanceOf(store, ALICE)).toBe(11);
        expect(await store.getTask(t.id)).toBeUndefined();
        expect(await store.countTasks()).toBe(0);
        expect((await store.ledger(ALICE)).map((e) => e.kind)).toEqual(['set']);
      });

      it('refuses an unknown account', async () => {
        const store = await storeWith([[ALICE, 100]]);
        expect(await store.acceptTask(task({ owner: BOB }))).toEqual({
          accepted: false,
          reason: 'unknown_account',
        });
        expect(await store.countTasks()).toBe(0);
      });

      it('refuses a duplicate id without debiting or overwriting', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const first = task();
        await store.acceptTask(first);
        const again = task({
          id: first.id,
          price: 48,
          request: { prompt: 'other', aspectRatio: '1:1', quality: 'high' },
        });
        expect(await store.acceptTask(again)).toEqual({ accepted: false, reason: 'duplicate_id' });
        expect(await balanceOf(store, ALICE)).toBe(88);
        expect((await store.getTask(first.id))?.request.prompt).toBe('a cat');
      });

      it('is atomic under concurrency: 200 concurrent accepts on a balance for exactly 100', async () => {
        const store = await storeWith([[ALICE, 100 * 12]]);
        const results = await Promise.all(Array.from({ length: 200 }, () => store.acceptTask(task())));
        expect(results.filter((r) => r.accepted)).toHaveLength(100);
        expect(results.filter((r) => !r.accepted && r.reason === 'insufficient_credits')).toHaveLength(100);
        expect(await balanceOf(store, ALICE)).toBe(0);
        expect(await store.countTasks()).toBe(100);
        const ledger = await store.ledger(ALICE);
        expect(ledger.filter((e) => e.kind === 'debit')).toHaveLength(100);
        expect(ledger.at(-1)?.balanceAfter).toBe(0);
      });

      it('is atomic under concurrency with mixed prices: never below zero', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const prices = [12, 18, 24, 48];
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => store.acceptTask(task({ price: prices[i % prices.length]! }))),
        );
        const spent = results.reduce((sum, r, i) => sum + (r.accepted ? prices[i % prices.length]! : 0), 0);
        expect(spent).toBeLessThanOrEqual(100);
        expect(await balanceOf(store, ALICE)).toBe(100 - spent);
        for (const r of results) if (r.accepted) expect(r.balance).toBeGreaterThanOrEqual(0);
      });

      it('stores a copy: changing the object given to acceptTask changes nothing stored', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({
          request: { prompt: 'p', aspectRatio: '1:1', quality: 'basic', imageUrls: ['https://e.com/a.jpg'] },
        });
        await store.acceptTask(t);
        (t as { status: string }).status = 'FAILED';
        t.plan.outcome = 'failed';
        t.request.prompt = 'changed';
        t.request.imageUrls!.push('https://e.com/b.jpg');
        const stored = (await store.getTask(t.id))!;
        expect(stored.status).toBe('IN_PROGRESS');
        expect(stored.plan.outcome).toBe('success');
        expect(stored.request.prompt).toBe('p');
        expect(stored.request.imageUrls).toEqual(['https://e.com/a.jpg']);
      });
    });

    describe('pollTask', () => {
      it('counts polls of an in-progress task by its owner', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task();
        await store.acceptTask(t);
        expect((await store.pollTask(t.id, ALICE, 0))?.polls).toBe(1);
        expect((await store.pollTask(t.id, ALICE, 0))?.polls).toBe(2);
        expect((await store.getTask(t.id))?.polls).toBe(2);
      });

      it("ignores another owner's poll and an unknown id", async () => {
        const store = await storeWith([
          [ALICE, 100],
          [BOB, 100],
        ]);
        const t = task();
        await store.acceptTask(t);
        expect(await store.pollTask(t.id, BOB, 0)).toBeUndefined();
        expect(await store.pollTask('sd45_ffffffffffffffff', ALICE, 0)).toBeUndefined();
        expect((await store.getTask(t.id))?.polls).toBe(0);
      });

      it('does not count polls of a terminal task', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task();
        await store.acceptTask(t);
        await succeed(store, t, 2_000);
        expect((await store.pollTask(t.id, ALICE, 0))?.polls).toBe(0);
      });

      it('settles the task on its last poll, refunding a failure once', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({}, { readyAt: null, completeOnPoll: 2, outcome: 'failed', errorMessage: 'no' });
        await store.acceptTask(t);
        expect((await store.pollTask(t.id, ALICE, 5))?.status).toBe('IN_PROGRESS');
        expect(await store.pollTask(t.id, ALICE, 6)).toMatchObject({
          status: 'FAILED',
          polls: 2,
          settledAt: 6,
        });
        expect(await store.pollTask(t.id, ALICE, 7)).toMatchObject({ status: 'FAILED', polls: 2 });
        expect(await balanceOf(store, ALICE)).toBe(100);
      });

      it('settles a task whose time has come, at its planned time', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({}, { readyAt: 100 });
        await store.acceptTask(t);
        expect(await store.pollTask(t.id, ALICE, 5_000)).toMatchObject({ status: 'SUCCESS', settledAt: 100 });
      });
    });

    describe('readTask', () => {
      it('settles a due task when read, and leaves one that is not due', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({}, { readyAt: 100, outcome: 'failed', errorMessage: 'boom' });
        await store.acceptTask(t);
        expect((await store.readTask(t.id, 99))?.status).toBe('IN_PROGRESS');
        expect(await store.readTask(t.id, 100)).toMatchObject({ status: 'FAILED', errorMessage: 'boom' });
        expect(await balanceOf(store, ALICE)).toBe(100);
        expect(await store.readTask('sd45_ffffffffffffffff', 100)).toBeUndefined();
      });
    });

    describe('settleTask', () => {
      it('a success keeps the debit', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task();
        await store.acceptTask(t);
        const settled = await store.settleTask(t.id, {
          status: 'SUCCESS',
          at: 2_000,
          errorMessage: 'ignored',
        });
        expect(settled).toMatchObject({ status: 'SUCCESS', settledAt: 2_000, errorMessage: null });
        expect(await balanceOf(store, ALICE)).toBe(88);
      });

      it('a failure refunds the price exactly', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task({ price: 24 });
        await store.acceptTask(t);
        const settled = await store.settleTask(t.id, { status: 'FAILED', at: 2_000, errorMessage: 'boom' });
        expect(settled).toMatchObject({ status: 'FAILED', settledAt: 2_000, errorMessage: 'boom' });
        expect(await balanceOf(store, ALICE)).toBe(100);
      });

      it('refunds only once when settled concurrently', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task();
        await store.acceptTask(t);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.settleTask(t.id, { status: 'FAILED', at: 2_000 + i, errorMessage: `boom ${i}` }),
          ),
        );
        expect(await balanceOf(store, ALICE)).toBe(100);
        expect((await store.ledger(ALICE)).filter((e) => e.kind === 'refund')).toHaveLength(1);
        // Every caller sees the one settlement that won.
        const [won] = results;
        for (const r of results) expect(r).toEqual(won);
        expect(won).toMatchObject({ status: 'FAILED' });
      });

      it('never changes a terminal task', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const t = task();
        await store.acceptTask(t);
        const success = await succeed(store, t, 2_000);
        const after = await store.settleTask(t.id, { status: 'FAILED', at: 3_000, errorMessage: 'late' });
        expect(after).toEqual(success);
        expect(after).toMatchObject({ status: 'SUCCESS', settledAt: 2_000 });
        expect(await balanceOf(store, ALICE)).toBe(88);
      });

      it('returns undefined for an unknown task', async () => {
        const store = await storeWith([[ALICE, 100]]);
        expect(
          await store.settleTask('sd45_0000000000000bad', { status: 'FAILED', at: 1, errorMessage: 'x' }),
        ).toBeUndefined();
        expect(await balanceOf(store, ALICE)).toBe(100);
      });
    });

    describe('settleDue', () => {
      it('settles in-progress tasks due by time, at their planned time, refunding failures', async () => {
        const store = await storeWith([[ALICE, 1_000]]);
        const late = task({}, { readyAt: 300 });
        const early = task({}, { readyAt: 100, outcome: 'failed', errorMessage: 'e' });
        const middle = task({}, { readyAt: 200 });
        for (const t of [late, early, middle]) await store.acceptTask(t);
        expect(await store.settleDue(99)).toBe(0);
        expect(await store.settleDue(250)).toBe(2);
        expect(await store.getTask(early.id)).toMatchObject({ status: 'FAILED', settledAt: 100 });
        expect(await store.getTask(middle.id)).toMatchObject({ status: 'SUCCESS', settledAt: 200 });
        expect((await store.getTask(late.id))?.status).toBe('IN_PROGRESS');
        expect(await balanceOf(store, ALICE)).toBe(1_000 - 24);
        expect(await store.settleDue(250)).toBe(0);
      });

      it("settles one owner's tasks only, leaving the other owners' due tasks for later", async () => {
        const store = await storeWith([
          [ALICE, 1_000],
          [BOB, 1_000],
        ]);
        const a = task({}, { readyAt: 100 });
        const b = task({ owner: BOB }, { readyAt: 50, outcome: 'failed', errorMessage: 'x' });
        await store.acceptTask(a);
        await store.acceptTask(b);
        expect(await store.settleDue(1_000, ALICE)).toBe(1);
        expect((await store.getTask(b.id))?.status).toBe('IN_PROGRESS');
        expect(await balanceOf(store, BOB)).toBe(988);
        expect(await store.settleDue(1_000)).toBe(1);
        expect(await store.getTask(b.id)).toMatchObject({ status: 'FAILED', settledAt: 50 });
        expect(await balanceOf(store, BOB)).toBe(1_000);
      });

      it('leaves poll-driven tasks (until abandoned) and terminal tasks alone', async () => {
        const store = await storeWith([[ALICE, 1_000]]);
        const byPoll = task({}, { readyAt: null, completeOnPoll: 2 });
        const settled = task({}, { readyAt: 100 });
        await store.acceptTask(byPoll);
        await store.acceptTask(settled);
        await store.settleTask(settled.id, { status: 'FAILED', at: 50, errorMessage: 'x' });
        expect(await store.settleDue(byPoll.createdAt + DEFAULT_RETENTION.maxAgeMs - 1)).toBe(0);
        expect(await store.getTask(settled.id)).toMatchObject({ status: 'FAILED', settledAt: 50 });
      });
    });

    describe('listTasks', () => {
      it('lists newest first, filtered by owner and status, up to a limit', async () => {
        const store = await storeWith([
          [ALICE, 1_000],
          [BOB, 1_000],
        ]);
        const a1 = task({ createdAt: 1 });
        const b1 = task({ owner: BOB, createdAt: 2 });
        const a2 = task({ createdAt: 3 });
        const a3 = task({ createdAt: 4 });
        for (const t of [a1, b1, a2, a3]) await store.acceptTask(t);
        await store.settleTask(a2.id, { status: 'SUCCESS', at: 5, errorMessage: null });
        expect(ids(await store.listTasks())).toEqual([a3.id, a2.id, b1.id, a1.id]);
        expect(ids(await store.listTasks({ owner: ALICE }))).toEqual([a3.id, a2.id, a1.id]);
        expect(ids(await store.listTasks({ owner: ALICE, status: 'IN_PROGRESS' }))).toEqual([a3.id, a1.id]);
        expect(ids(await store.listTasks({ status: 'SUCCESS' }))).toEqual([a2.id]);
        expect(ids(await store.listTasks({ limit: 2 }))).toEqual([a3.id, a2.id]);
        expect(ids(await store.listTasks({ owner: BOB, limit: 5 }))).toEqual([b1.id]);
      });
    });

    // Issue 11, item 6: retention bounds every task, in progress or not.
    describe('retention', () => {
      it('drops the oldest finished tasks beyond maxTasks, at once', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxTasks: 3 }) });
        const tasks = Array.from({ length: 5 }, (_, i) => task({ createdAt: 1_000 + i }));
        for (const t of tasks) {
          await store.acceptTask(t);
          await succeed(store, t);
        }
        expect(await store.countTasks()).toBe(3);
        expect((await store.stats()).tasksDropped).toBe(2);
        expect(await store.getTask(tasks[0]!.id)).toBeUndefined();
        expect(await store.getTask(tasks[1]!.id)).toBeUndefined();
        expect(await store.getTask(tasks[2]!.id)).toBeDefined();
        expect(await store.getTask(tasks[4]!.id)).toBeDefined();
      });

      it('bounds in-progress tasks too: the oldest is abandoned (failed, refunded) and dropped', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxTasks: 2 }) });
        const tasks = Array.from({ length: 5 }, (_, i) =>
          task({ createdAt: 1_000 + i }, { readyAt: null, completeOnPoll: 3 }),
        );
        for (const t of tasks) await store.acceptTask(t);
        expect(await store.countTasks()).toBe(2);
        expect(ids(await store.listTasks())).toEqual([tasks[4]!.id, tasks[3]!.id]);
        expect(await balanceOf(store, ALICE)).toBe(1_000 - 2 * 12); // the three abandoned came back
        const refunds = (await store.ledger(ALICE)).filter((e) => e.kind === 'refund');
        expect(refunds.map((e) => e.taskId)).toEqual(ids(tasks.slice(0, 3)));
      });

      it('prefers dropping finished tasks to abandoning running ones', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxTasks: 2 }) });
        const running = task({ createdAt: 1 }, { readyAt: null, completeOnPoll: 3 });
        const done = task({ createdAt: 2 });
        await store.acceptTask(running);
        await store.acceptTask(done);
        await succeed(store, done);
        await store.acceptTask(task({ createdAt: 3 }));
        expect((await store.getTask(running.id))?.status).toBe('IN_PROGRESS');
        expect(await store.getTask(done.id)).toBeUndefined();
      });

      it('drops finished tasks maxAgeMs after they ended, and keeps younger ones', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxAgeMs: 1_000 }) });
        const old = task({ createdAt: 1_000 });
        const edge = task({ createdAt: 4_000 });
        const young = task({ createdAt: 4_500 });
        for (const t of [old, edge, young]) {
          await store.acceptTask(t);
          await succeed(store, t);
        }
        expect(await store.prune(5_000)).toEqual({ tasksDropped: 1 });
        expect(await store.getTask(old.id)).toBeUndefined();
        expect(await store.getTask(edge.id)).toBeDefined(); // exactly maxAgeMs old is still kept
        expect(await store.getTask(young.id)).toBeDefined();
      });

      it('abandons a task still in progress at maxAgeMs: FAILED with the message, refunded, later dropped', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxAgeMs: 1_000 }) });
        const running = task({ createdAt: 1_000 }, { readyAt: null, completeOnPoll: 5 });
        const fresh = task({ createdAt: 1_900 }, { readyAt: null, completeOnPoll: 5 });
        await store.acceptTask(running);
        await store.acceptTask(fresh);
        await store.prune(2_000);
        expect(await store.getTask(running.id)).toMatchObject({
          status: 'FAILED',
          settledAt: 2_000,
          errorMessage: ABANDONED_MESSAGE,
        });
        expect((await store.getTask(fresh.id))?.status).toBe('IN_PROGRESS');
        expect(await balanceOf(store, ALICE)).toBe(1_000 - 12);
        await store.prune(3_001); // just over a thousand ms after it ended
        expect(await store.getTask(running.id)).toBeUndefined();
      });

      it('abandons on read and in settleDue too, not only when pruning', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxAgeMs: 1_000 }) });
        const polled = task({ createdAt: 0 }, { readyAt: null, completeOnPoll: 5 });
        const slow = task({ createdAt: 0 }, { readyAt: 5_000 });
        await store.acceptTask(polled);
        await store.acceptTask(slow);
        expect(await store.readTask(polled.id, 1_000)).toMatchObject({ status: 'FAILED', settledAt: 1_000 });
        expect(await store.settleDue(1_000, ALICE)).toBe(1);
        expect(await store.getTask(slow.id)).toMatchObject({
          status: 'FAILED',
          errorMessage: ABANDONED_MESSAGE,
        });
        expect(await balanceOf(store, ALICE)).toBe(1_000);
      });

      it('drops nothing within the policy', async () => {
        const store = await storeWith([[ALICE, 1_000]], {
          retention: retention({ maxTasks: 5, maxAgeMs: 10_000 }),
        });
        for (let i = 0; i < 5; i++) {
          const t = task({ createdAt: 1_000 + i });
          await store.acceptTask(t);
          await succeed(store, t);
        }
        expect(await store.prune(2_000)).toEqual({ tasksDropped: 0 });
        expect(await store.countTasks()).toBe(5);
      });

      it('a dropped task is no longer settled by settleDue', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxTasks: 1 }) });
        const a = task({ createdAt: 1 }, { readyAt: 100 });
        await store.acceptTask(a);
        await store.settleTask(a.id, { status: 'FAILED', at: 50, errorMessage: 'x' });
        const b = task({ createdAt: 2 }, { readyAt: 200 });
        await store.acceptTask(b);
        expect(await store.getTask(a.id)).toBeUndefined();
        expect(await store.settleDue(1_000)).toBe(1);
        expect(await balanceOf(store, ALICE)).toBe(1_000 - 12);
      });
    });

    describe('ledger', () => {
      it('records set, debit and refund entries with the balance after each', async () => {
        const store = await factory({});
        await store.setBalance(ALICE, 'a', 100, 10);
        const t1 = task({ price: 18, createdAt: 20 });
        const t2 = task({ price: 12, createdAt: 30 });
        await store.acceptTask(t1);
        await store.acceptTask(t2);
        await store.settleTask(t1.id, { status: 'FAILED', at: 40, errorMessage: 'x' });
        await store.settleTask(t2.id, { status: 'SUCCESS', at: 50, errorMessage: null });
        await store.setBalance(ALICE, 'a', 30, 60);
        expect(await store.ledger(ALICE)).toEqual([
          { at: 10, kind: 'set', amount: 100, balanceAfter: 100, taskId: null },
          { at: 20, kind: 'debit', amount: -18, balanceAfter: 82, taskId: t1.id },
          { at: 30, kind: 'debit', amount: -12, balanceAfter: 70, taskId: t2.id },
          { at: 40, kind: 'refund', amount: 18, balanceAfter: 88, taskId: t1.id },
          { at: 60, kind: 'set', amount: -58, balanceAfter: 30, taskId: null },
        ]);
        expect(await balanceOf(store, ALICE)).toBe(30);
      });

      it('keeps the ledgers of owners apart; a limit folds older entries into one carried forward', async () => {
        const store = await storeWith([
          [ALICE, 100],
          [BOB, 50],
        ]);
        await store.acceptTask(task());
        await store.acceptTask(task());
        expect((await store.ledger(BOB)).map((e) => e.kind)).toEqual(['set']);
        const last2 = await store.ledger(ALICE, 2);
        expect(last2.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
          ['carried_forward', 88, 88],
          ['debit', -12, 76],
        ]);
        expect(await store.ledger(ownerOf('sk-nobody'))).toEqual([]);
      });

      it('returns copies of the entries', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const [entry] = await store.ledger(ALICE);
        entry!.balanceAfter = -1;
        expect((await store.ledger(ALICE))[0]!.balanceAfter).toBe(100);
      });

      // Issue 11, item 8: past the cap the books no longer added up.
      it('keeps at most maxLedgerEntries, and the balance is always the sum of the entries kept', async () => {
        const store = await storeWith([[ALICE, 1_000]], { retention: retention({ maxLedgerEntries: 3 }) });
        for (let i = 0; i < 25; i++) {
          const t = task({ price: 10 });
          await store.acceptTask(t);
          if (i % 3 === 0) await store.settleTask(t.id, { status: 'FAILED', at: 2, errorMessage: 'x' });
          const ledger = await store.ledger(ALICE);
          expect(ledger.length).toBeLessThanOrEqual(3);
          expect(ledger.reduce((sum, e) => sum + e.amount, 0)).toBe(await balanceOf(store, ALICE));
          expect(ledger.at(-1)!.balanceAfter).toBe(await balanceOf(store, ALICE));
        }
        const ledger = await store.ledger(ALICE);
        expect(ledger[0]!.kind).toBe('carried_forward');
      });
    });

    describe('counters', () => {
      it('counts each name from 0, apart', async () => {
        const store = await factory({});
        expect(await store.nextCounter('tasks')).toBe(0);
        expect(await store.nextCounter('tasks')).toBe(1);
        expect(await store.nextCounter('chaos')).toBe(0);
        const many = await Promise.all(Array.from({ length: 50 }, () => store.nextCounter('tasks')));
        expect(new Set(many).size).toBe(50);
        expect(Math.min(...many)).toBe(2);
      });
    });

    describe('the clock', () => {
      it('starts where the spec says, moves forward on advance, and refuses to pass the limit', async () => {
        const store = await factory({});
        expect((await store.view()).clock).toEqual({ kind: 'virtual', nowMs: VIRTUAL_CLOCK_START });
        expect(await store.advanceClock(60_000)).toEqual({
          ok: true,
          clock: { kind: 'virtual', nowMs: VIRTUAL_CLOCK_START + 60_000 },
        });
        const tooFar = await store.advanceClock(CLOCK_LIMIT_MS);
        expect(tooFar.ok).toBe(false);
        expect((await store.view()).clock).toEqual({ kind: 'virtual', nowMs: VIRTUAL_CLOCK_START + 60_000 });
        const toTheLimit = CLOCK_LIMIT_MS - VIRTUAL_CLOCK_START - 60_000;
        expect(await store.advanceClock(toTheLimit)).toMatchObject({ ok: true });
        expect((await store.advanceClock(1)).ok).toBe(false);
        expect((await store.view()).clock).toEqual({ kind: 'virtual', nowMs: CLOCK_LIMIT_MS });
      });
    });

    describe('fault rules', () => {
      const generate500: FaultRuleInput = {
        match: { path: '/api/generate' },
        action: { status: 500 },
        times: 2,
      };
      const request = { method: 'POST', path: '/api/generate', owner: ALICE, createsTask: true };

      it('adds rules with ids from rule_1, lists them in order, removes and clears them', async () => {
        const store = await factory({});
        const a = await store.addRule(generate500);
        const b = await store.addRule({ action: { fault: 'reset' } });
        expect([a.id, b.id]).toEqual(['rule_1', 'rule_2']);
        expect((await store.view()).rules).toBe(2);
        expect((await store.listRules()).map((r) => r.id)).toEqual(['rule_1', 'rule_2']);
        expect(await store.removeRule('rule_1')).toBe(true);
        expect(await store.removeRule('rule_1')).toBe(false);
        expect(await store.clearRules()).toBe(1);
        expect(await store.listRules()).toEqual([]);
      });

      it('keeps a key as its digest and its redacted label only', async () => {
        const store = await factory({});
        const rule = await store.addRule({
          match: { apiKey: 'sk-alice-secret-key' },
          action: { status: 500 },
        });
        expect(JSON.stringify(rule)).not.toContain('sk-alice-secret-key');
        expect(JSON.stringify(await store.listRules())).not.toContain('sk-alice-secret-key');
        expect(rule.match).toMatchObject({ owner: ownerOf('sk-alice-secret-key') });
      });

      it('fires the first matching rule; `times: 2` fires twice in all, even concurrently, then retires', async () => {
        const store = await factory({});
        await store.addRule(generate500);
        const fired = await Promise.all(Array.from({ length: 10 }, () => store.fireRule(request)));
        expect(fired.filter(Boolean)).toHaveLength(2);
        expect(await store.listRules()).toEqual([]);
      });

      it('matches on method, path and key', async () => {
        const store = await factory({});
        await store.addRule({
          match: { method: 'GET', path: '/api/status', apiKey: 'sk-bob' },
          action: { status: 500 },
        });
        expect(await store.fireRule({ ...request })).toBeUndefined();
        const poll = { method: 'GET', path: '/api/status', owner: BOB, createsTask: false };
        expect((await store.fireRule(poll))?.id).toBe('rule_1');
        expect(await store.fireRule({ ...poll, owner: ALICE })).toBeUndefined();
        expect((await store.listRules())[0]!.hits).toBe(1);
      });

      it('spends a task-shaping rule only when its task exists, and never on a request that cannot create one', async () => {
        const store = await factory({});
        await store.addRule({ action: { task: { outcome: 'failed' } }, times: 1 });
        expect(
          await store.fireRule({ method: 'GET', path: '/api/status', owner: ALICE, createsTask: false }),
        ).toBeUndefined();
        expect((await store.fireRule(request))?.id).toBe('rule_1');
        expect((await store.fireRule(request))?.id).toBe('rule_1'); // not spent yet
        await store.consumeRule('rule_1');
        expect(await store.listRules()).toEqual([]);
        await store.consumeRule('rule_1'); // gone: nothing to do
      });

      it('draws `probability` from the world seed: the same seed fires the same requests', async () => {
        const fires = async (seed: string) => {
          const store = await factory({ spec: { ...CONFORMANCE_SPEC, seed } });
          await store.addRule({ action: { status: 500 }, probability: 0.5 });
          const out: boolean[] = [];
          for (let i = 0; i < 40; i++) out.push((await store.fireRule(request)) !== undefined);
          return out;
        };
        const a = await fires('seed-a');
        expect(await fires('seed-a')).toEqual(a);
        expect(await fires('seed-b')).not.toEqual(a);
        // Draw n of the stream decides the n-th evaluation: the store and counterDraw agree.
        expect(a).toEqual(
          Array.from({ length: 40 }, (_, n) => counterDraw('seed-a', 'fault-rules', n) < 0.5),
        );
      });
    });

    describe('token buckets', () => {
      it('allows `limit` per window, refills continuously, and refuses without taking a token', async () => {
        const store = await factory({});
        const take = (now: number) => store.takeToken('generate:alice', now, 3, 3_000);
        expect((await take(0)).allowed).toBe(true);
        expect((await take(0)).allowed).toBe(true);
        expect(await take(0)).toMatchObject({ allowed: true, remaining: 0, limit: 3 });
        expect(await take(0)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
        expect((await take(999)).allowed).toBe(false);
        expect((await take(1_000)).allowed).toBe(true);
        expect((await store.takeToken('generate:bob', 1_000, 3, 3_000)).remaining).toBe(2);
      });

      it('is atomic: 50 concurrent takes on a bucket of 10 allow exactly 10', async () => {
        const store = await factory({});
        const verdicts = await Promise.all(
          Array.from({ length: 50 }, () => store.takeToken('b', 0, 10, 10_000)),
        );
        expect(verdicts.filter((v) => v.allowed)).toHaveLength(10);
      });
    });

    describe('budgets (the proxy credit guard)', () => {
      it('reserves up to the limit, exactly, and refuses (changing nothing) what would pass it', async () => {
        const store = await factory({});
        expect(await store.readBudget('credits')).toBe(0);
        expect(await store.reserveBudget('credits', 18, 40)).toEqual({ reserved: true, total: 18 });
        expect(await store.reserveBudget('credits', 18, 40)).toEqual({ reserved: true, total: 36 });
        expect(await store.reserveBudget('credits', 12, 40)).toEqual({
          reserved: false,
          total: 36,
          limit: 40,
        });
        expect(await store.reserveBudget('credits', 4, 40)).toEqual({ reserved: true, total: 40 });
        expect(await store.reserveBudget('credits', 1, 40)).toEqual({
          reserved: false,
          total: 40,
          limit: 40,
        });
        expect(await store.reserveBudget('other', 40, 40)).toEqual({ reserved: true, total: 40 });
        expect(await store.readBudget('credits')).toBe(40);
      });

      it('releases what a refused request reserved, never below 0, and the freed room can be reserved again', async () => {
        const store = await factory({});
        await store.reserveBudget('credits', 24, 30);
        expect(await store.releaseBudget('credits', 24)).toBe(0);
        expect(await store.reserveBudget('credits', 30, 30)).toEqual({ reserved: true, total: 30 });
        expect(await store.releaseBudget('credits', 12)).toBe(18);
        expect(await store.releaseBudget('credits', 100)).toBe(0);
        expect(await store.releaseBudget('never-used', 5)).toBe(0);
        expect(await store.readBudget('credits')).toBe(0);
      });

      it('is atomic: 100 concurrent reservations of 18 against 500 take exactly 27 of them (486)', async () => {
        const store = await factory({});
        const results = await Promise.all(
          Array.from({ length: 100 }, () => store.reserveBudget('credits', 18, 500)),
        );
        expect(results.filter((r) => r.reserved)).toHaveLength(27);
        expect(await store.readBudget('credits')).toBe(486);
        const totals = results.filter((r) => r.reserved).map((r) => r.total);
        expect(new Set(totals).size).toBe(27); // each reservation saw its own total
        expect(Math.max(...totals)).toBe(486);
      });

      it('is atomic with releases interleaved: the total never passes the limit and ends where the arithmetic says', async () => {
        const store = await factory({});
        const work = Array.from({ length: 60 }, async (_, i) => {
          const r = await store.reserveBudget('credits', 12, 120);
          if (r.reserved) {
            expect(r.total).toBeLessThanOrEqual(120);
            // Every third accepted reservation is given back, as a refused generate's is.
            if (i % 3 === 0) await store.releaseBudget('credits', 12);
            return r.total;
          }
          return undefined;
        });
        await Promise.all(work);
        const total = await store.readBudget('credits');
        expect(total).toBeLessThanOrEqual(120);
        expect(total % 12).toBe(0);
      });

      it('survives a reset: what was spent outside the simulator is not given back', async () => {
        const store = await factory({});
        await store.reserveBudget('credits', 48, 100);
        await store.reset();
        expect(await store.readBudget('credits')).toBe(48);
        expect(await store.reserveBudget('credits', 60, 100)).toEqual({
          reserved: false,
          total: 48,
          limit: 100,
        });
      });
    });

    describe('the journal', () => {
      it('reads back entries newest first, with their query, request and response', async () => {
        const store = await factory({});
        await store.appendJournal(
          journalRecord({
            rawQuery: 'task_id=sd45_0000000000000001',
            rawRequestBody: Buffer.from('{"prompt":"fox"}'),
            responseText: '{"code":200}',
          }),
        );
        await store.appendJournal(journalRecord({ status: 402, at: 5 }));
        const { entries, next } = await store.queryJournal();
        expect(next).toBeUndefined();
        expect(entries.map((e) => [e.id, e.status])).toEqual([
          [2, 402],
          [1, 200],
        ]);
        expect(entries[1]).toMatchObject({
          query: { task_id: 'sd45_0000000000000001' },
          requestBody: { prompt: 'fox' },
          responseBody: { code: 200 },
        });
      });

      it('filters by method, path, status (or class), key and task', async () => {
        const store = await factory({});
        await store.appendJournal(
          journalRecord({ status: 200, keyOwner: 'a', taskId: 'sd45_0000000000000001' }),
        );
        await store.appendJournal(
          journalRecord({ status: 429, method: 'GET', path: '/api/status', keyOwner: 'b' }),
        );
        await store.appendJournal(journalRecord({ status: 500, keyOwner: 'a' }));
        const statuses = async (filter: Parameters<Store['queryJournal']>[0]) =>
          (await store.queryJournal(filter)).entries.map((e) => e.status);
        expect(await statuses({ status: '4xx' })).toEqual([429]);
        expect(await statuses({ status: '500' })).toEqual([500]);
        expect(await statuses({ method: 'GET' })).toEqual([429]);
        expect(await statuses({ path: '/api/generate' })).toEqual([500, 200]);
        expect(await statuses({ keyOwner: 'a' })).toEqual([500, 200]);
        expect(await statuses({ taskId: 'sd45_0000000000000001' })).toEqual([200]);
      });

      it('keeps the operation and the recorded request headers, and reads them back', async () => {
        const store = await factory({});
        const requestHeaders = { 'content-type': 'application/json', 'x-mock-status': '500' };
        await store.appendJournal(journalRecord({ requestHeaders, operation: 'getTaskStatus' }));
        const [entry] = (await store.queryJournal()).entries;
        expect(entry).toMatchObject({ operation: 'getTaskStatus', requestHeaders });
      });

      it('filters by injected or not, and by what injected it', async () => {
        const store = await factory({});
        await store.appendJournal(journalRecord({ status: 200 }));
        await store.appendJournal(journalRecord({ status: 500, injected: 'header' }));
        await store.appendJournal(journalRecord({ status: 500, injected: 'rule_2' }));
        await store.appendJournal(journalRecord({ status: 429, injected: 'rate-limit' }));
        const injected = async (value: boolean | string) =>
          (await store.queryJournal({ injected: value })).entries.map((e) => e.injected);
        expect(await injected(true)).toEqual(['rate-limit', 'rule_2', 'header']);
        expect(await injected(false)).toEqual([null]);
        expect(await injected('rule_2')).toEqual(['rule_2']);
        expect(await injected('rule_')).toEqual([]);
      });

      it('filters by operation', async () => {
        const store = await factory({});
        await store.appendJournal(journalRecord({ operation: 'createGenerationTask', at: 1 }));
        await store.appendJournal(journalRecord({ operation: 'getTaskStatus', at: 2 }));
        await store.appendJournal(journalRecord({ operation: null, at: 3 }));
        const ats = async (operation: string) =>
          (await store.queryJournal({ operation })).entries.map((e) => e.at);
        expect(await ats('getTaskStatus')).toEqual([2]);
        expect(await ats('createGenerationTask')).toEqual([1]);
      });

      it('filters by free text in the path, query, bodies, headers, task, key label and injected, ignoring ASCII case', async () => {
        const store = await factory({});
        const add = (over: Partial<JournalRecord>) => store.appendJournal(journalRecord(over));
        await add({ at: 1, rawRequestBody: Buffer.from('{"prompt":"A Red Fox in the snow"}') });
        await add({ at: 2, responseText: '{"code":402,"message":"Insufficient credits"}' });
        await add({ at: 3, rawQuery: 'task_id=sd45_00000000000000ab&note=a%20blue%20whale' });
        await add({ at: 4, requestHeaders: { 'x-mock-error-message': 'Upstream Exploded' } });
        await add({ at: 5, taskId: 'sd45_00000000deadbeef', keyLabel: 'sk-q…poor' });
        await add({ at: 6, injected: 'chaos', method: 'GET', path: '/files/sd45_0000000000000007/0.jpg' });
        const ats = async (text: string) => (await store.queryJournal({ text })).entries.map((e) => e.at);
        expect(await ats('red fox')).toEqual([1]);
        expect(await ats('INSUFFICIENT')).toEqual([2]);
        expect(await ats('blue whale')).toEqual([3]);
        expect(await ats('exploded')).toEqual([4]);
        expect(await ats('DEADBEEF')).toEqual([5]);
        expect(await ats('q…poor')).toEqual([5]);
        expect(await ats('chaos')).toEqual([6]);
        expect(await ats('/files/')).toEqual([6]);
        expect(await ats('nowhere to be found')).toEqual([]);
        // Combined with the other filters, and paged like them.
        expect((await store.queryJournal({ text: 'e', status: '2xx', limit: 2 })).entries).toHaveLength(2);
      });

      it('reads the query string decoded the same lenient way: + a space, %XX its byte, a bad escape as it is', async () => {
        const store = await factory({});
        await store.appendJournal(
          journalRecord({ at: 1, rawQuery: 'prompt=caf%C3%A9+au+lait&x=100%&y=%zz' }),
        );
        const ats = async (text: string) => (await store.queryJournal({ text })).entries.map((e) => e.at);
        expect(await ats('café au lait')).toEqual([1]);
        expect(await ats('CAFÉ')).toEqual([]); // only ASCII letters fold
        expect(await ats('x=100%&y=%zz')).toEqual([1]);
        expect(await ats('caf%c3')).toEqual([]);
      });

      it('with `after`, reads only newer entries, newest first, and pages back down to `after`', async () => {
        const store = await factory({});
        for (let i = 1; i <= 9; i++) await store.appendJournal(journalRecord({ at: i }));
        const first = await store.queryJournal({ after: 4, limit: 3 });
        expect(first.entries.map((e) => e.id)).toEqual([9, 8, 7]);
        const second = await store.queryJournal({ after: 4, limit: 3, before: first.next! });
        expect(second.entries.map((e) => e.id)).toEqual([6, 5]);
        expect(second.next).toBeUndefined();
        expect((await store.queryJournal({ after: 9 })).entries).toEqual([]);
      });

      it('pages: `next` reads on from where a page stopped, to the oldest entry', async () => {
        const store = await factory({});
        for (let i = 1; i <= 7; i++) await store.appendJournal(journalRecord({ at: i }));
        const first = await store.queryJournal({ limit: 3 });
        expect(first.entries.map((e) => e.at)).toEqual([7, 6, 5]);
        const second = await store.queryJournal({ limit: 3, before: first.next! });
        expect(second.entries.map((e) => e.at)).toEqual([4, 3, 2]);
        const third = await store.queryJournal({ limit: 3, before: second.next! });
        expect(third.entries.map((e) => e.at)).toEqual([1]);
        expect(third.next).toBeUndefined();
      });

      it('keeps the newest entries up to its count', async () => {
        const store = await factory({ journal: { ...DEFAULT_JOURNAL, maxEntries: 3 } });
        for (let i = 1; i <= 5; i++) await store.appendJournal(journalRecord({ at: i }));
        expect((await store.queryJournal()).entries.map((e) => e.at)).toEqual([5, 4, 3]);
        expect((await store.stats()).journalEntries).toBe(3);
      });

      // Issue 11, item 7: 50,000 entries with 8 KB bodies took 600 MB.
      it('keeps the newest entries up to its bytes, whatever the count allows', async () => {
        const store = await factory({ journal: { maxEntries: 1_000_000, maxBytes: 200_000 } });
        const body = Buffer.from(JSON.stringify({ prompt: 'x'.repeat(8_000) }));
        for (let i = 1; i <= 200; i++)
          await store.appendJournal(journalRecord({ at: i, rawRequestBody: body }));
        const stats = await store.stats();
        expect(stats.journalBytes).toBeLessThanOrEqual(200_000);
        expect(stats.journalEntries).toBeGreaterThan(5);
        expect(stats.journalEntries).toBeLessThan(200);
        const { entries } = await store.queryJournal({ limit: 500 });
        expect(entries[0]!.at).toBe(200);
        expect(entries).toHaveLength(stats.journalEntries);
      });

      it('caps a page at 500 entries', async () => {
        const store = await factory({ journal: { ...DEFAULT_JOURNAL, maxEntries: 2_000 } });
        for (let i = 1; i <= 600; i++) await store.appendJournal(journalRecord({ at: i }));
        const page = await store.queryJournal({ limit: 10_000 });
        expect(page.entries).toHaveLength(500);
        expect(page.next).toBeDefined();
      });

      it('is off with a count of 0', async () => {
        const store = await factory({ journal: { ...DEFAULT_JOURNAL, maxEntries: 0 } });
        await store.appendJournal(journalRecord());
        expect(await store.queryJournal()).toEqual({ entries: [] });
      });
    });

    describe('stats', () => {
      it('counts tasks created and settled, credits debited and refunded', async () => {
        const store = await storeWith([[ALICE, 1_000]]);
        const a = task({ price: 18 });
        const b = task({ price: 24 });
        const c = task({ price: 12 });
        for (const t of [a, b, c]) await store.acceptTask(t);
        await succeed(store, a);
        await store.settleTask(b.id, { status: 'FAILED', at: 2, errorMessage: 'x' });
        expect(await store.stats()).toMatchObject({
          tasksCreated: 3,
          tasksSucceeded: 1,
          tasksFailed: 1,
          creditsDebited: 54,
          creditsRefunded: 24,
          tasksInProgress: 1,
          tasks: 3,
        });
      });
    });

    describe('reset', () => {
      it('puts back the spec accounts and forgets tasks, rules, buckets, journal, counters and clock', async () => {
        const spec: WorldSpec = {
          ...CONFORMANCE_SPEC,
          accounts: [{ owner: ALICE, label: 'a', balance: 70 }],
        };
        const store = await factory({ spec });
        await store.setBalance(BOB, 'b', 5, 0);
        const t = task({}, { readyAt: 100 });
        await store.acceptTask(t);
        await store.addRule(generate500());
        await store.takeToken('x', 0, 1, 1_000);
        await store.appendJournal(journalRecord());
        await store.nextCounter('tasks');
        await store.advanceClock(5_000);
        await store.reset();
        expect(await store.listAccounts()).toEqual([{ owner: ALICE, label: 'a', balance: 70 }]);
        expect((await store.ledger(ALICE)).map((e) => [e.kind, e.amount, e.at])).toEqual([
          ['set', 70, VIRTUAL_CLOCK_START],
        ]);
        expect(await store.getTask(t.id)).toBeUndefined();
        expect(await store.countTasks()).toBe(0);
        expect(await store.settleDue(Number.MAX_SAFE_INTEGER)).toBe(0);
        expect(await store.listRules()).toEqual([]);
        expect((await store.addRule(generate500())).id).toBe('rule_1');
        expect((await store.takeToken('x', 0, 1, 1_000)).allowed).toBe(true);
        expect((await store.queryJournal()).entries).toEqual([]);
        expect(await store.nextCounter('tasks')).toBe(0);
        expect((await store.view()).clock).toEqual({ kind: 'virtual', nowMs: VIRTUAL_CLOCK_START });
        expect(await store.stats()).toMatchObject({ tasksCreated: 0, tasks: 0, journalEntries: 0 });
      });

      it("puts back the spec's rules, in order, with ids from rule_1 (a scenario loaded at start)", async () => {
        const rules: FaultRuleInput[] = [
          {
            match: { method: 'POST', path: '/api/generate' },
            action: { status: 500, message: 'down' },
            times: 1,
          },
          { match: { path: '/api/status' }, action: { delayMs: 5 }, times: 2 },
        ];
        const store = await factory({ spec: { ...CONFORMANCE_SPEC, rules } });
        const listed = async () =>
          (await store.listRules()).map((r) => [r.id, r.match.method, r.match.path, r.action, r.timesLeft]);
        const start = [
          ['rule_1', 'POST', '/api/generate', { status: 500, message: 'down' }, 1],
          ['rule_2', undefined, '/api/status', { delayMs: 5 }, 2],
        ];
        expect(await listed()).toEqual(start);
        expect((await store.view()).rules).toBe(2);
        const fired = await store.fireRule({
          method: 'POST',
          path: '/api/generate',
          owner: undefined,
          createsTask: true,
        });
        expect(fired?.id).toBe('rule_1');
        await store.addRule(generate500());
        await store.reset();
        expect(await listed()).toEqual(start);
      });

      function generate500(): FaultRuleInput {
        return { match: { path: '/api/generate' }, action: { status: 500 } };
      }
    });

    describe('the caps of a world (--max-rules, --max-accounts)', () => {
      const refusal = async (attempt: Promise<unknown>) => {
        const err = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorldLimitError);
        return err as WorldLimitError;
      };

      it('refuses the rule past the cap with 429 naming it, having added nothing; one removed makes room', async () => {
        const store = await factory({ caps: { maxRules: 2, maxAccounts: 10 } });
        const rule = { match: { path: '/api/generate' }, action: { status: 500 } } as const;
        const first = await store.addRule(rule);
        await store.addRule(rule);
        const err = await refusal(store.addRule(rule));
        expect([err.status, err.limit]).toEqual([429, 'maxRules']);
        expect(err.message).toContain('holds 2 fault rules, the most --max-rules allows');
        expect((await store.listRules()).map((r) => r.id)).toEqual(['rule_1', 'rule_2']);
        expect((await store.view()).rules).toBe(2);
        await store.removeRule(first.id);
        expect((await store.addRule(rule)).id).toBe('rule_3');
      });

      it("refuses a new account past the cap, having written nothing; an existing key's balance can still be set", async () => {
        const store = await factory({ caps: { maxRules: 10, maxAccounts: 2 } });
        await store.setBalance(ALICE, 'alice', 10, 0);
        await store.setBalance(BOB, 'bob', 10, 0);
        const carol = ownerOf('sk-carol');
        const err = await refusal(store.setBalance(carol, 'carol', 10, 0));
        expect([err.status, err.limit]).toEqual([429, 'maxAccounts']);
        expect(err.message).toContain('holds 2 accounts, the most --max-accounts allows');
        expect(await store.getAccount(carol)).toBeUndefined();
        expect(await store.ledger(carol)).toEqual([]);
        expect((await store.setBalance(ALICE, 'alice', 99, 1)).balance).toBe(99);
        expect((await store.listAccounts()).length).toBe(2);
      });

      it("puts back the world's start whatever its caps: the spec's accounts and rules are its own", async () => {
        const rules: FaultRuleInput[] = [generate500Rule(), generate500Rule()];
        const spec: WorldSpec = {
          ...CONFORMANCE_SPEC,
          accounts: [ALICE, BOB].map((owner) => ({ owner, label: owner.slice(0, 6), balance: 5 })),
          rules,
        };
        const store = await factory({ spec, caps: { maxRules: 1, maxAccounts: 1 } });
        await store.reset();
        expect((await store.listAccounts()).length).toBe(2);
        expect((await store.listRules()).length).toBe(2);
      });

      function generate500Rule(): FaultRuleInput {
        return { match: { path: '/api/generate' }, action: { status: 500 } };
      }
    });
  });
}
