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
import { chaosVerdict } from '../../mock-server/src/qa/chaos.js';
import { ruleOf, type FaultRuleInput, type RuleRequest } from '../../mock-server/src/qa/fault-rules.js';
import {
  compileJournalFilter,
  materialise,
  searchableTexts,
  type JournalRecord,
} from '../../mock-server/src/qa/journal.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import type {
  AcceptRequest,
  AdmitRequest,
  ChaosOdds,
  JournalLimits,
  RetentionPolicy,
  Store,
  WorldSpec,
} from '../../mock-server/src/store/store.js';
import type { ObservationDraft } from '../../mock-server/src/verdict/observation.js';
import { DEFAULT_SETTINGS, type VerdictSettings } from '../../mock-server/src/verdict/settings.js';
import { WorldLimitError, type WorldCaps } from '../../mock-server/src/store/world-limits.js';
import { makeTask } from './task-fixture.js';

export const ALICE = ownerOf('sk-alice');
export const BOB = ownerOf('sk-bob');

export interface StoreOptions {
  retention?: RetentionPolicy;
  journal?: JournalLimits;
  spec?: WorldSpec;
  /** The verdict's settings; absent: the verdict is off. */
  verdict?: VerdictSettings;
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

const START = VIRTUAL_CLOCK_START;
/** The composite operations, whether the store answers at once (memory) or after a round trip. */
const admit = (store: Store, request: AdmitRequest) => Promise.resolve(store.admit(request));
const accept = (store: Store, request: AcceptRequest) => Promise.resolve(store.accept(request));
/** A status poll of an id nobody has, answered 404, as the request path observes it. */
function observation(overrides: Partial<ObservationDraft> = {}): ObservationDraft {
  return {
    afterSeq: null,
    at: VIRTUAL_CLOCK_START,
    answeredAt: VIRTUAL_CLOCK_START,
    operation: 'getTaskStatus',
    keyOwner: ALICE,
    keyLabel: 'sk-a…',
    status: 404,
    fault: null,
    injected: null,
    retryAfterSeconds: null,
    requestDigest: 'a'.repeat(64),
    bodyDigest: null,
    taskId: 'sd45_ffffffffffffffff',
    taskStatus: null,
    price: null,
    balance: null,
    plan: null,
    ...overrides,
  };
}

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

    describe('admit: a public request in one operation, each step only if the ones before let it in', () => {
      const GENERATE: RuleRequest = {
        method: 'POST',
        path: '/api/generate',
        owner: ALICE,
        createsTask: true,
      };
      const BUCKET = { name: 'generate:alice', limit: 2, windowMs: 60_000 };
      const RESERVE = { kind: 'reserve', counter: 'tasks' } as const;
      const NO_CHAOS: ChaosOdds = { error500: 0, error429: 0 };
      // verdictSeq: the verdict's sequence when the request arrived (none observed here: 0).
      const view = (rules: number) => ({
        spec: CONFORMANCE_SPEC,
        clock: { kind: 'virtual', nowMs: START },
        rules,
        verdictSeq: 0,
      });
      const account = (owner: Owner, balance: number) => ({
        owner,
        label: `label-${owner.slice(0, 4)}`,
        balance,
      });
      const fired = (id: string, input: FaultRuleInput, timesLeft: number | null, hits: number) => ({
        id,
        ...ruleOf(input),
        timesLeft,
        hits,
      });
      /** Every step asked for: a rule, chaos (off unless given), a token, and a counter value. */
      const everything = (over: Partial<AdmitRequest> = {}): AdmitRequest => ({
        caller: ALICE,
        rule: GENERATE,
        chaos: NO_CHAOS,
        bucket: BUCKET,
        then: RESERVE,
        ...over,
      });
      /** The next value of each counter an admission may move (this moves them: read last). */
      const counters = async (store: Store) => ({
        chaos: await store.nextCounter('chaos'),
        rules: await store.nextCounter('fault-rules'),
        tasks: await store.nextCounter('tasks'),
      });
      /** Tokens left in BUCKET before this take (this takes one: read last). */
      const tokensLeft = async (store: Store) =>
        (await store.takeToken(BUCKET.name, START, BUCKET.limit, BUCKET.windowMs)).remaining + 1;

      it('an unknown key: the view and the time only; no rule fires, nothing is drawn, taken or polled', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const always: FaultRuleInput = { action: { status: 500 }, times: 2, probability: 0.5 };
        await store.addRule(always);
        const t = task({ createdAt: START - 1_000 }, { readyAt: START - 500 }); // due
        await store.acceptTask(t);
        const bob = { ...GENERATE, owner: BOB };
        for (const then of [RESERVE, { kind: 'poll', taskId: t.id } as const]) {
          const request = everything({ caller: BOB, rule: bob, chaos: { error500: 1, error429: 0 }, then });
          expect(await admit(store, request)).toEqual({ view: view(1), now: START, verdictSeq: 0 });
        }
        expect(await store.listRules()).toEqual([fired('rule_1', always, 2, 0)]);
        expect(await store.getTask(t.id)).toMatchObject({ status: 'IN_PROGRESS', polls: 0 });
        expect(await counters(store)).toEqual({ chaos: 0, rules: 0, tasks: 0 });
        expect(await tokensLeft(store)).toBe(2);
      });

      it('a rule that answers (a status, a network fault): no chaos draw, no token, no counter value', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const status: FaultRuleInput = {
          match: { path: '/api/generate' },
          action: { status: 503 },
          times: 1,
        };
        const reset: FaultRuleInput = { action: { fault: 'reset' }, times: 1 };
        await store.addRule(status);
        await store.addRule(reset);
        const request = everything({ chaos: { error500: 1, error429: 0 } });
        expect(await admit(store, request)).toEqual({
          view: view(2),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          rule: fired('rule_1', status, 0, 1),
        });
        expect(await admit(store, request)).toEqual({
          view: view(1),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          rule: fired('rule_2', reset, 0, 1),
        });
        expect(await store.listRules()).toEqual([]);
        expect(await counters(store)).toEqual({ chaos: 0, rules: 0, tasks: 0 });
        expect(await tokensLeft(store)).toBe(2);
      });

      it('a rule that only shapes the task, or holds the answer, lets the request go on', async () => {
        const store = await storeWith([[ALICE, 100]]);
        const shape: FaultRuleInput = { action: { task: { outcome: 'failed' } }, times: 1 };
        const hold: FaultRuleInput = { match: { path: '/api/status' }, action: { delayMs: 5 }, times: 1 };
        await store.addRule(shape);
        await store.addRule(hold);
        expect(await admit(store, everything())).toEqual({
          view: view(2),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          rule: fired('rule_1', shape, 1, 0), // spent once its task exists (accept), not here
          token: { allowed: true, limit: 2, remaining: 1, retryAfterSeconds: 0, resetSeconds: 30 },
          reserved: 0,
        });
        const poll: RuleRequest = { method: 'GET', path: '/api/status', owner: ALICE, createsTask: false };
        const unknown = 'sd45_ffffffffffffffff';
        expect(
          await admit(store, { caller: ALICE, rule: poll, then: { kind: 'poll', taskId: unknown } }),
        ).toEqual({
          view: view(2),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          rule: fired('rule_2', hold, 0, 1),
        });
        expect(await store.listRules()).toEqual([fired('rule_1', shape, 1, 0)]);
        expect(await counters(store)).toEqual({ chaos: 0, rules: 0, tasks: 1 });
      });

      it("chaos answers 500 or 429, drawn from the world's chaos stream: then no token, no counter value", async () => {
        const store = await storeWith([[ALICE, 100]]);
        expect(await admit(store, everything({ chaos: { error500: 1, error429: 0 } }))).toEqual({
          view: view(0),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          chaos: 500,
        });
        const only429 = await admit(store, everything({ chaos: { error500: 0, error429: 1 } }));
        expect([only429.chaos, only429.token, only429.reserved]).toEqual([429, undefined, undefined]);
        expect(await tokensLeft(store)).toBe(2);
        // Draw n decides the n-th request that gets as far as chaos: the store and counterDraw agree.
        const odds: ChaosOdds = { error500: 0.3, error429: 0.2 };
        const verdicts: Array<500 | 429 | number | undefined> = [];
        for (let i = 0; i < 40; i++) {
          const a = await admit(store, { caller: ALICE, chaos: odds, then: RESERVE });
          verdicts.push(a.chaos ?? a.reserved);
        }
        let reserved = 0;
        expect(verdicts).toEqual(
          Array.from(
            { length: 40 },
            (_, i) => chaosVerdict(odds, counterDraw(CONFORMANCE_SPEC.seed, 'chaos', i + 2)) ?? reserved++,
          ),
        );
        expect(await counters(store)).toEqual({ chaos: 42, rules: 0, tasks: reserved });
      });

      it('a token refused: the verdict, and no counter value; no bucket: no token asked', async () => {
        const store = await storeWith([[ALICE, 100]]);
        expect((await admit(store, everything())).reserved).toBe(0);
        expect((await admit(store, everything())).reserved).toBe(1);
        expect(await admit(store, everything())).toEqual({
          view: view(0),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          token: { allowed: false, limit: 2, remaining: 0, retryAfterSeconds: 30, resetSeconds: 60 },
        });
        expect(await admit(store, { caller: ALICE, then: RESERVE })).toEqual({
          view: view(0),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
          reserved: 2,
        });
        // An invalid request (no `then`) is admitted and takes nothing.
        expect(await admit(store, { caller: ALICE })).toEqual({
          view: view(0),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 100),
        });
        expect(await counters(store)).toEqual({ chaos: 0, rules: 0, tasks: 3 });
      });

      it("a poll: an unknown id or another owner's task is no task (not counted); a due one is settled", async () => {
        const store = await storeWith([
          [ALICE, 100],
          [BOB, 100],
        ]);
        const due = task(
          { createdAt: START - 1_000 },
          { readyAt: START - 500, outcome: 'failed', errorMessage: 'boom' },
        );
        const running = task({ createdAt: START }, { readyAt: START + 10_000 });
        await store.acceptTask(due);
        await store.acceptTask(running);
        const poll = (caller: Owner, taskId: string) =>
          admit(store, { caller, then: { kind: 'poll', taskId } });
        expect(await poll(ALICE, 'sd45_ffffffffffffffff')).toEqual({
          view: view(0),
          now: START,
          verdictSeq: 0,
          account: account(ALICE, 76),
        });
        expect((await poll(BOB, due.id)).task).toBeUndefined();
        expect(await store.getTask(due.id)).toMatchObject({ status: 'IN_PROGRESS', polls: 0 });
        expect((await poll(ALICE, running.id)).task).toEqual({ ...running, polls: 1 });
        expect((await poll(ALICE, due.id)).task).toEqual({
          ...due,
          status: 'FAILED',
          settledAt: START - 500,
          errorMessage: 'boom',
          polls: 1,
        });
        expect(await balanceOf(store, ALICE)).toBe(88);
      });

      it('the world as it is: its rule count, its clock and time, after they change', async () => {
        const store = await storeWith([[ALICE, 100]]);
        await store.addRule({ match: { path: '/elsewhere' }, action: { status: 500 } });
        await store.advanceClock(60_000);
        expect(await admit(store, everything())).toMatchObject({
          view: { ...view(1), clock: { kind: 'virtual', nowMs: START + 60_000 } },
          now: START + 60_000,
          reserved: 0,
        });
      });
    });

    describe("accept: a generate's task in one operation", () => {
      /** A task created now, whose end is well ahead. */
      const fresh = (overrides: Partial<Task> = {}) =>
        task({ createdAt: START, ...overrides }, { readyAt: START + 10_000 });
      /** A task that failed (its end has come) before now: settling it refunds its price. */
      const failedBefore = (price = 12) =>
        task(
          { createdAt: START - 2_000, price },
          { readyAt: START - 1_000, outcome: 'failed', errorMessage: 'boom' },
        );

      it("settles the owner's due tasks first: a refund counts for this debit", async () => {
        const store = await storeWith([[ALICE, 12]]);
        const failing = failedBefore();
        await store.acceptTask(failing);
        const next = fresh();
        expect(await accept(store, { task: next })).toEqual({ accepted: true, task: next, balance: 0 });
        expect(await store.getTask(failing.id)).toMatchObject({ status: 'FAILED', settledAt: START - 1_000 });
        expect((await store.ledger(ALICE)).map((e) => [e.kind, e.amount, e.balanceAfter, e.taskId])).toEqual([
          ['set', 12, 12, null],
          ['debit', -12, 0, failing.id],
          ['refund', 12, 12, failing.id],
          ['debit', -12, 0, next.id],
        ]);
        expect(await store.stats()).toMatchObject({
          tasksCreated: 2,
          creditsDebited: 24,
          creditsRefunded: 12,
        });
      });

      it('the debit and the task, or neither: insufficient credits, an unknown account, a duplicate id', async () => {
        const store = await storeWith([[ALICE, 10]]);
        const first = fresh({ price: 5 });
        expect(await accept(store, { task: first })).toMatchObject({ accepted: true, balance: 5 });
        const rule = (await store.addRule({ action: { task: { outcome: 'failed' } } })).id;
        expect(await accept(store, { task: fresh({ price: 12 }), consumeRule: rule, prune: true })).toEqual({
          accepted: false,
          reason: 'insufficient_credits',
          balance: 5,
          required: 12,
        });
        expect(await accept(store, { task: fresh({ owner: BOB }), consumeRule: rule })).toEqual({
          accepted: false,
          reason: 'unknown_account',
        });
        expect(await accept(store, { task: { ...first, price: 1 }, consumeRule: rule })).toEqual({
          accepted: false,
          reason: 'duplicate_id',
        });
        expect(await balanceOf(store, ALICE)).toBe(5);
        expect(await store.getTask(first.id)).toEqual(first);
        expect(await store.ledger(ALICE)).toHaveLength(2);
        expect(await store.stats()).toMatchObject({ tasksCreated: 1, tasks: 1, creditsDebited: 5 });
        expect((await store.listRules())[0]).toMatchObject({ hits: 0, timesLeft: null });
      });

      it('spends the pending task-shaping rule only when the task is accepted; the last time retires it', async () => {
        const store = await storeWith([[ALICE, 24]]);
        const shape: FaultRuleInput = { action: { task: { outcome: 'failed' } }, times: 2 };
        await store.addRule(shape);
        const rules = async () => (await store.listRules()).map((r) => [r.id, r.hits, r.timesLeft]);
        expect((await accept(store, { task: fresh({ price: 25 }), consumeRule: 'rule_1' })).accepted).toBe(
          false,
        );
        expect(await rules()).toEqual([['rule_1', 0, 2]]);
        expect((await accept(store, { task: fresh(), consumeRule: 'rule_1' })).accepted).toBe(true);
        expect(await rules()).toEqual([['rule_1', 1, 1]]);
        expect((await accept(store, { task: fresh(), consumeRule: 'rule_1' })).accepted).toBe(true);
        expect(await rules()).toEqual([]);
        // A rule gone since (removed, or spent by another request): the task is accepted all the same.
        await store.setBalance(ALICE, 'a', 12, START);
        expect(await accept(store, { task: fresh(), consumeRule: 'rule_1' })).toMatchObject({
          accepted: true,
        });
      });

      it('works through a backlog larger than one step takes: every refund first, then all of retention', async () => {
        const backlog = 1_005; // more than a Redis script settles or prunes in one call
        const store = await storeWith([[ALICE, backlog]], { retention: retention({ maxAgeMs: 1_000 }) });
        const failing = Array.from({ length: backlog }, () =>
          task({ createdAt: START - 2_000, price: 1 }, { readyAt: START - 1_500, outcome: 'failed' }),
        );
        await Promise.all(failing.map((t) => store.acceptTask(t)));
        expect(await balanceOf(store, ALICE)).toBe(0);
        const big = fresh({ price: backlog });
        expect(await accept(store, { task: big, prune: true })).toEqual({
          accepted: true,
          task: big,
          balance: 0,
        });
        expect(await store.stats()).toMatchObject({
          creditsRefunded: backlog,
          tasksDropped: backlog,
          tasks: 1,
        });
      });

      it('applies retention after the task is stored, only when asked', async () => {
        const store = await storeWith([[ALICE, 100]], { retention: retention({ maxAgeMs: 1_000 }) });
        const old = task({ createdAt: START - 5_000 }, { readyAt: START - 4_000 });
        await store.acceptTask(old);
        await succeed(store, old, START - 4_000);
        expect((await accept(store, { task: fresh() })).accepted).toBe(true);
        expect(await store.getTask(old.id)).toBeDefined();
        const last = fresh();
        expect(await accept(store, { task: last, prune: true })).toMatchObject({
          accepted: true,
          task: last,
        });
        expect(await store.getTask(old.id)).toBeUndefined();
        expect(await store.stats()).toMatchObject({ tasksDropped: 1, tasks: 2 });
      });

      it("refuses a task drawn with an id salt that is not the world's (stale_world) before anything else", async () => {
        const store = await storeWith([[ALICE, 12]]);
        const failing = failedBefore();
        await store.acceptTask(failing);
        await store.addRule({ action: { task: { outcome: 'failed' } }, times: 1 });
        const next = fresh();
        expect(
          await accept(store, { task: next, idSalt: 'another-world', consumeRule: 'rule_1', prune: true }),
        ).toEqual({
          accepted: false,
          reason: 'stale_world',
        });
        expect(await store.getTask(failing.id)).toMatchObject({ status: 'IN_PROGRESS' }); // not even settled
        expect(await balanceOf(store, ALICE)).toBe(0);
        expect((await store.listRules())[0]).toMatchObject({ hits: 0, timesLeft: 1 });
        expect(await store.countTasks()).toBe(1);
        expect(
          await accept(store, { task: next, idSalt: CONFORMANCE_SPEC.idSalt, consumeRule: 'rule_1' }),
        ).toEqual({
          accepted: true,
          task: next,
          balance: 0,
        });
        expect(await store.listRules()).toEqual([]);
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

      it('journalTail: the entries after a cursor as stored, oldest first, paged forward, and the newest id', async () => {
        const store = await factory({});
        for (let i = 1; i <= 9; i++)
          await store.appendJournal(
            journalRecord({
              at: i,
              rawQuery: `n=${i}`,
              rawRequestBody: Buffer.from(`{"prompt":"fox ${i}"}`),
              responseText: `{"code":${200 + i}}`,
            }),
          );
        const ids = async (after: number, limit: number) => {
          const tail = await store.journalTail(after, limit);
          return [tail.entries.map((e) => e.id), tail.newest];
        };
        expect(await ids(0, 0)).toEqual([[], 9]);
        expect(await ids(4, 3)).toEqual([[5, 6, 7], 9]);
        expect(await ids(7, 10)).toEqual([[8, 9], 9]);
        expect(await ids(9, 10)).toEqual([[], 9]);
        expect(await ids(20, 10)).toEqual([[], 9]); // a cursor beyond the newest: cleared since
        // As stored: what a read shows, once materialised.
        const tail = await store.journalTail(0, 10);
        expect(tail.entries.map(materialise).reverse()).toEqual((await store.queryJournal()).entries);
      });

      it('journalTail skips entries already evicted, and says when the journal was cleared', async () => {
        const store = await factory({
          spec: CONFORMANCE_SPEC,
          journal: { ...DEFAULT_JOURNAL, maxEntries: 3 },
        });
        for (let i = 1; i <= 5; i++) await store.appendJournal(journalRecord({ at: i }));
        expect((await store.journalTail(0, 10)).entries.map((e) => e.id)).toEqual([3, 4, 5]);
        expect((await store.journalTail(1, 2)).entries.map((e) => e.id)).toEqual([3, 4]);
        await store.reset();
        await store.appendJournal(journalRecord({ at: 6 }));
        expect(await store.journalTail(5, 10)).toEqual({ entries: [], newest: 1 });
        expect((await store.journalTail(0, 10)).entries.map((e) => e.at)).toEqual([6]);
      });

      it("a filter compiled once finds, among a tail's entries, what the store's own query finds", async () => {
        const store = await factory({});
        const add = (over: Partial<JournalRecord>) => store.appendJournal(journalRecord(over));
        await add({ at: 1, rawRequestBody: Buffer.from('{"prompt":"A Red Fox in the snow"}') });
        await add({ at: 2, status: 402, responseText: '{"code":402,"message":"Insufficient credits"}' });
        await add({ at: 3, method: 'GET', rawQuery: 'task_id=sd45_00000000000000ab&note=a%20blue%20whale' });
        await add({
          at: 4,
          requestHeaders: { 'x-mock-error-message': 'Upstream Exploded' },
          injected: 'header',
        });
        await add({ at: 5, taskId: 'sd45_00000000deadbeef', keyLabel: 'sk-q…poor', keyOwner: 'b' });
        await add({ at: 6, rawQuery: 'prompt=caf%C3%A9+au+lait&x=100%&y=%zz', operation: 'getTaskStatus' });
        await add({ at: 7, status: 500, injected: 'rule_2', rawRequestBody: Buffer.from('x'.repeat(9_000)) });
        const filters: Array<Parameters<Store['queryJournal']>[0]> = [
          {},
          { text: 'red fox' },
          { text: 'INSUFFICIENT' },
          { text: 'blue whale' },
          { text: 'exploded' },
          { text: 'deadbeef' },
          { text: 'q…poor' },
          { text: 'café au lait' },
          { text: 'x=100%&y=%zz' },
          { text: 'xxxx' },
          { text: 'e', status: '2xx' },
          { status: '4xx' },
          { method: 'GET' },
          { keyOwner: 'b' },
          { injected: true },
          { injected: false },
          { injected: 'rule_2' },
          { operation: 'getTaskStatus' },
          { text: 'nowhere to be found' },
        ];
        const { entries } = await store.journalTail(0, 100);
        for (const filter of filters) {
          const matches = compileJournalFilter(filter!);
          const found = entries
            .filter((e) => {
              const texts = searchableTexts(e);
              return matches(e, () => texts);
            })
            .map((e) => e.at)
            .reverse();
          expect(found, JSON.stringify(filter)).toEqual(
            (await store.queryJournal(filter)).entries.map((e) => e.at),
          );
        }
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

    describe('the verdict', () => {
      it('draws a seq per observation and control event, which admit reports, and folds them in order', async () => {
        const store = await storeWith([[ALICE, 100]], { verdict: DEFAULT_SETTINGS });
        expect((await store.admit({ caller: ALICE })).verdictSeq).toBe(0);
        await store.appendJournal(journalRecord(), observation());
        await store.appendJournal(null, observation({ afterSeq: 1 })); // the journal skips it, the verdict does not
        await store.appendJournal(journalRecord(), observation({ afterSeq: 2 }));
        await store.recordControl({
          kind: 'balance-set',
          at: VIRTUAL_CLOCK_START,
          keyOwner: ALICE,
          balance: 5,
        });
        expect((await store.admit({ caller: ALICE })).verdictSeq).toBe(4);
        expect((await store.view()).verdictSeq ?? 0).toBe(4);
        const { state, unseen } = await store.readVerdict();
        expect([state.lastSeq, state.requests.getTaskStatus, unseen]).toEqual([4, 3, 0]);
        expect([...state.coverage]).toEqual([['status:404', 3]]);
        // The same 404 asked again twice; the examples name the journal's entries (1 and 2), or none.
        const repeats = state.findings.get('retry-unchanged-4xx')!;
        expect(repeats.occurrences).toBe(2);
        expect(repeats.examples.map((e) => e.journalId)).toEqual([null, 2]);
        // Read again, nothing new: the same state.
        expect((await store.readVerdict()).state.lastSeq).toBe(4);

        await store.reset();
        expect((await store.admit({ caller: ALICE })).verdictSeq).toBe(0);
        const after = (await store.readVerdict()).state;
        expect([after.lastSeq, after.requests.getTaskStatus, after.findings.size]).toEqual([null, 0, 0]);
        expect(after.since).toBe(VIRTUAL_CLOCK_START);
        await store.appendJournal(null, observation());
        expect((await store.readVerdict()).state.lastSeq).toBe(1);
      });

      it('observes nothing when the verdict is off', async () => {
        const store = await storeWith([[ALICE, 100]]);
        await store.appendJournal(journalRecord(), observation());
        await store.recordControl({ kind: 'balance-set', at: 0, keyOwner: ALICE, balance: 5 });
        expect((await store.admit({ caller: ALICE })).verdictSeq).toBe(0);
        expect((await store.readVerdict()).state.requests.getTaskStatus).toBe(0);
        expect((await store.queryJournal()).entries).toHaveLength(1);
      });

      it("counts the credits debited and refunded per account since the reset: the ledger's, exactly", async () => {
        const store = await storeWith([
          [ALICE, 100],
          [BOB, 50],
        ]);
        const a1 = task({ price: 12, createdAt: 10 }, { outcome: 'failed', readyAt: 1_000 });
        const a2 = task({ price: 18, createdAt: 20 });
        const a3 = task(
          { price: 12, createdAt: 30 },
          { readyAt: null, completeOnPoll: 1, outcome: 'failed' },
        );
        const b1 = task({ owner: BOB, price: 30, createdAt: 40 });
        for (const t of [a1, a2, a3, b1]) expect((await store.acceptTask(t)).accepted).toBe(true);
        expect((await store.acceptTask(task({ owner: BOB, price: 30 }))).accepted).toBe(false); // 20 left
        await store.settleTask(a2.id, { status: 'FAILED', at: 50, errorMessage: 'x' }); // refunded
        await store.settleTask(a2.id, { status: 'FAILED', at: 60, errorMessage: 'x' }); // once
        await store.pollTask(a3.id, ALICE, 70); // fails on its first poll: refunded
        await store.settleDue(2_000); // a1 planned to fail by then: refunded
        await store.settleTask(b1.id, { status: 'SUCCESS', at: 80, errorMessage: null });

        const fromLedger = async (owner: Owner) => {
          const ledger = await store.ledger(owner);
          const sum = (kind: string) =>
            ledger.filter((e) => e.kind === kind).reduce((n, e) => n + Math.abs(e.amount), 0);
          return { debited: sum('debit'), refunded: sum('refund') };
        };
        const [alice, bob] = [await fromLedger(ALICE), await fromLedger(BOB)];
        expect(alice).toEqual({ debited: 42, refunded: 42 });
        expect(bob).toEqual({ debited: 30, refunded: 0 });
        const { spend } = await store.readVerdict();
        expect(spend.debited).toBe(alice.debited + bob.debited);
        expect(spend.refunded).toBe(alice.refunded + bob.refunded);
        expect([...spend.byKey].sort((x, y) => x.key.localeCompare(y.key))).toEqual(
          [
            { key: `label-${ALICE.slice(0, 4)}`, ...alice },
            { key: `label-${BOB.slice(0, 4)}`, ...bob },
          ].sort((x, y) => x.key.localeCompare(y.key)),
        );

        await store.reset();
        expect((await store.readVerdict()).spend).toEqual({ debited: 0, refunded: 0, byKey: [] });
      });
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
