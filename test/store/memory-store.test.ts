import { describe, it, expect } from 'vitest';
import { makeTask } from '../support/task-fixture.js';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import type { Task, TaskPlan } from '../../mock-server/src/domain/tasks.js';
import { DEFAULT_RETENTION, MemoryStore } from '../../mock-server/src/store/memory-store.js';
import type { RetentionPolicy } from '../../mock-server/src/store/store.js';

const ALICE = ownerOf('sk-alice');
const BOB = ownerOf('sk-bob');

let counter = 0;
const nextId = (): string => `sd45_${(counter++).toString(16).padStart(16, '0')}`;

function task(overrides: Partial<Task> = {}, plan: Partial<TaskPlan> = {}): Task {
  return makeTask({ id: nextId(), owner: ALICE, ...overrides }, { readyAt: 10_000, ...plan });
}

async function storeWith(
  balances: Array<[typeof ALICE, number]>,
  retention?: RetentionPolicy,
): Promise<MemoryStore> {
  const store = new MemoryStore(retention);
  for (const [owner, balance] of balances)
    await store.setBalance(owner, `label-${owner.slice(0, 4)}`, balance, 0);
  return store;
}

async function balanceOf(store: MemoryStore, owner: typeof ALICE): Promise<number | undefined> {
  return (await store.getAccount(owner))?.balance;
}

describe('accounts', () => {
  it('creates an account on setBalance and returns copies', async () => {
    const store = new MemoryStore();
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
    expect(accounts.map((a) => [a.owner, a.balance])).toEqual([
      [ALICE, 1],
      [BOB, 2],
    ]);
  });
});

describe('acceptTask', () => {
  it('debits the price and stores the task', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task({ price: 18 });
    const result = await store.acceptTask(t);
    expect(result).toMatchObject({ accepted: true, balance: 82 });
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
});

describe('stored tasks are copy-on-write', () => {
  it('never changes a task object once handed out: updates replace it', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const result = await store.acceptTask(task());
    if (!result.accepted) throw new Error('not accepted');
    const before = (await store.getTask(result.task.id))!;
    const polled = (await store.recordPoll(before.id, ALICE))!;
    const settled = (await store.settleTask(before.id, {
      status: 'SUCCESS',
      at: 2_000,
      errorMessage: null,
    }))!;
    expect([before.polls, before.status]).toEqual([0, 'IN_PROGRESS']);
    expect([polled.polls, polled.status]).toEqual([1, 'IN_PROGRESS']);
    expect([settled.polls, settled.status]).toEqual([1, 'SUCCESS']);
    expect(new Set([before, polled, settled]).size).toBe(3);
    expect(await store.getTask(before.id)).toBe(settled);
  });

  it('declares every task field readonly, so a change is a type error', () => {
    // Never called: `npm run typecheck` fails if any of these assignments stops being an error.
    const attempt = (stored: Task) => {
      // @ts-expect-error status is readonly
      stored.status = 'SUCCESS';
      // @ts-expect-error price is readonly
      stored.price = 0;
      // @ts-expect-error plan is readonly
      stored.plan = { outcome: 'failed', errorMessage: null, readyAt: null, completeOnPoll: null };
    };
    expect(attempt).toBeTypeOf('function');
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

describe('recordPoll', () => {
  it('counts polls of an in-progress task by its owner', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task();
    await store.acceptTask(t);
    expect((await store.recordPoll(t.id, ALICE))?.polls).toBe(1);
    expect((await store.recordPoll(t.id, ALICE))?.polls).toBe(2);
    expect((await store.getTask(t.id))?.polls).toBe(2);
  });

  it("ignores another owner's poll and an unknown id", async () => {
    const store = await storeWith([
      [ALICE, 100],
      [BOB, 100],
    ]);
    const t = task();
    await store.acceptTask(t);
    expect(await store.recordPoll(t.id, BOB)).toBeUndefined();
    expect(await store.recordPoll('sd45_ffffffffffffffff', ALICE)).toBeUndefined();
    expect((await store.getTask(t.id))?.polls).toBe(0);
  });

  it('does not count polls of a terminal task', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task();
    await store.acceptTask(t);
    await store.settleTask(t.id, { status: 'SUCCESS', at: 2_000, errorMessage: null });
    expect((await store.recordPoll(t.id, ALICE))?.polls).toBe(0);
  });
});

describe('settleTask', () => {
  it('a success keeps the debit', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task();
    await store.acceptTask(t);
    const settled = await store.settleTask(t.id, { status: 'SUCCESS', at: 2_000, errorMessage: 'ignored' });
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
    for (const r of results)
      expect(r).toMatchObject({ status: 'FAILED', settledAt: 2_000, errorMessage: 'boom 0' });
  });

  it('never changes a terminal task', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task();
    await store.acceptTask(t);
    const success = await store.settleTask(t.id, { status: 'SUCCESS', at: 2_000, errorMessage: null });
    const after = await store.settleTask(t.id, { status: 'FAILED', at: 3_000, errorMessage: 'late' });
    expect(after).toBe(success);
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

describe('dueTaskIds', () => {
  it('lists in-progress tasks due by time, earliest first', async () => {
    const store = await storeWith([[ALICE, 1_000]]);
    const late = task({}, { readyAt: 300 });
    const early = task({}, { readyAt: 100 });
    const middle = task({}, { readyAt: 200 });
    for (const t of [late, early, middle]) await store.acceptTask(t);
    expect(await store.dueTaskIds(99)).toEqual([]);
    expect(await store.dueTaskIds(100)).toEqual([early.id]);
    expect(await store.dueTaskIds(250)).toEqual([early.id, middle.id]);
    expect(await store.dueTaskIds(10_000)).toEqual([early.id, middle.id, late.id]);
  });

  it('keeps a due task listed until it is settled', async () => {
    const store = await storeWith([[ALICE, 1_000]]);
    const a = task({}, { readyAt: 100 });
    const b = task({}, { readyAt: 200 });
    await store.acceptTask(a);
    await store.acceptTask(b);
    expect(await store.dueTaskIds(500)).toEqual([a.id, b.id]);
    expect(await store.dueTaskIds(500)).toEqual([a.id, b.id]);
    await store.settleTask(a.id, { status: 'SUCCESS', at: 100, errorMessage: null });
    expect(await store.dueTaskIds(500)).toEqual([b.id]);
  });

  it('filters by owner without losing the other owners’ tasks', async () => {
    const store = await storeWith([
      [ALICE, 1_000],
      [BOB, 1_000],
    ]);
    const a1 = task({}, { readyAt: 100 });
    const b1 = task({ owner: BOB }, { readyAt: 150 });
    const a2 = task({}, { readyAt: 200 });
    const b2 = task({ owner: BOB }, { readyAt: 50 });
    for (const t of [a1, b1, a2, b2]) await store.acceptTask(t);
    expect(await store.dueTaskIds(1_000, ALICE)).toEqual([a1.id, a2.id]);
    expect(await store.dueTaskIds(1_000, BOB)).toEqual([b2.id, b1.id]);
    expect(await store.dueTaskIds(1_000)).toEqual([b2.id, a1.id, b1.id, a2.id]);
  });

  it('never lists poll-driven or terminal tasks', async () => {
    const store = await storeWith([[ALICE, 1_000]]);
    const byPoll = task({}, { readyAt: null, completeOnPoll: 2 });
    const settled = task({}, { readyAt: 100 });
    await store.acceptTask(byPoll);
    await store.acceptTask(settled);
    await store.settleTask(settled.id, { status: 'FAILED', at: 50, errorMessage: 'x' });
    expect(await store.dueTaskIds(Number.MAX_SAFE_INTEGER)).toEqual([]);
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
    const ids = (tasks: Task[]) => tasks.map((t) => t.id);
    expect(ids(await store.listTasks())).toEqual([a3.id, a2.id, b1.id, a1.id]);
    expect(ids(await store.listTasks({ owner: ALICE }))).toEqual([a3.id, a2.id, a1.id]);
    expect(ids(await store.listTasks({ owner: ALICE, status: 'IN_PROGRESS' }))).toEqual([a3.id, a1.id]);
    expect(ids(await store.listTasks({ status: 'SUCCESS' }))).toEqual([a2.id]);
    expect(ids(await store.listTasks({ limit: 2 }))).toEqual([a3.id, a2.id]);
    expect(ids(await store.listTasks({ owner: BOB, limit: 5 }))).toEqual([b1.id]);
  });
});

describe('prune', () => {
  const retention = (over: Partial<RetentionPolicy>): RetentionPolicy => ({ ...DEFAULT_RETENTION, ...over });

  async function settle(store: MemoryStore, t: Task): Promise<void> {
    await store.settleTask(t.id, { status: 'SUCCESS', at: t.createdAt, errorMessage: null });
  }

  it('drops the oldest terminal tasks beyond maxTasks', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxTasks: 3 }));
    const tasks = Array.from({ length: 5 }, (_, i) => task({ createdAt: 1_000 + i }));
    for (const t of tasks) {
      await store.acceptTask(t);
      await settle(store, t);
    }
    expect(await store.prune(2_000)).toEqual({ tasksDropped: 2 });
    expect(await store.countTasks()).toBe(3);
    expect(await store.getTask(tasks[0]!.id)).toBeUndefined();
    expect(await store.getTask(tasks[1]!.id)).toBeUndefined();
    expect(await store.getTask(tasks[2]!.id)).toBeDefined();
    expect(await store.getTask(tasks[4]!.id)).toBeDefined();
  });

  it('bounds finished tasks only: maxTasks never counts or drops an in-progress task', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxTasks: 1 }));
    const tasks = Array.from({ length: 5 }, (_, i) => task({ createdAt: 1_000 + i }));
    for (const t of tasks) await store.acceptTask(t);
    await settle(store, tasks[1]!);
    expect(await store.prune(2_000)).toEqual({ tasksDropped: 0 }); // one finished task: within the bound
    await settle(store, tasks[3]!);
    expect(await store.prune(2_000)).toEqual({ tasksDropped: 1 }); // two finished: the oldest goes
    expect(await store.getTask(tasks[1]!.id)).toBeUndefined();
    expect((await store.getTask(tasks[3]!.id))?.status).toBe('SUCCESS');
    for (const t of [tasks[0]!, tasks[2]!, tasks[4]!])
      expect((await store.getTask(t.id))?.status).toBe('IN_PROGRESS');
  });

  it('drops terminal tasks older than maxAgeMs, and keeps younger ones', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxAgeMs: 1_000 }));
    const old = task({ createdAt: 1_000 });
    const edge = task({ createdAt: 4_000 });
    const young = task({ createdAt: 4_500 });
    for (const t of [old, edge, young]) {
      await store.acceptTask(t);
      await settle(store, t);
    }
    expect(await store.prune(5_000)).toEqual({ tasksDropped: 1 });
    expect(await store.getTask(old.id)).toBeUndefined();
    expect(await store.getTask(edge.id)).toBeDefined(); // exactly maxAgeMs old is still kept
    expect(await store.getTask(young.id)).toBeDefined();
  });

  it('never drops an old in-progress task, and still drops old terminal tasks behind it', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxAgeMs: 1_000 }));
    const running = task({ createdAt: 1_000 });
    const done = task({ createdAt: 1_100 });
    const fresh = task({ createdAt: 9_500 });
    for (const t of [running, done, fresh]) await store.acceptTask(t);
    await settle(store, done);
    await settle(store, fresh);
    expect(await store.prune(10_000)).toEqual({ tasksDropped: 1 });
    expect((await store.getTask(running.id))?.status).toBe('IN_PROGRESS');
    expect(await store.getTask(done.id)).toBeUndefined();
    expect(await store.getTask(fresh.id)).toBeDefined();
  });

  it('drops nothing within the policy', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxTasks: 5, maxAgeMs: 10_000 }));
    for (let i = 0; i < 5; i++) {
      const t = task({ createdAt: 1_000 + i });
      await store.acceptTask(t);
      await settle(store, t);
    }
    expect(await store.prune(2_000)).toEqual({ tasksDropped: 0 });
    expect(await store.countTasks()).toBe(5);
  });

  it('a dropped task no longer shows as due', async () => {
    const store = await storeWith([[ALICE, 1_000]], retention({ maxTasks: 1 }));
    const a = task({ createdAt: 1 }, { readyAt: 100 });
    const b = task({ createdAt: 2 }, { readyAt: 200 });
    await store.acceptTask(a);
    await store.acceptTask(b);
    await store.settleTask(a.id, { status: 'FAILED', at: 50, errorMessage: 'x' });
    await store.prune(10);
    expect(await store.dueTaskIds(1_000)).toEqual([b.id]);
  });
});

describe('ledger', () => {
  it('records set, debit and refund entries with the balance after each', async () => {
    const store = new MemoryStore();
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

  it('keeps the ledgers of owners apart and returns the last entries up to a limit', async () => {
    const store = await storeWith([
      [ALICE, 100],
      [BOB, 50],
    ]);
    await store.acceptTask(task());
    await store.acceptTask(task());
    expect((await store.ledger(BOB)).map((e) => e.kind)).toEqual(['set']);
    expect((await store.ledger(ALICE, 2)).map((e) => e.balanceAfter)).toEqual([88, 76]);
    expect(await store.ledger(ALICE, 0)).toEqual([]);
    expect(await store.ledger(ownerOf('sk-nobody'))).toEqual([]);
  });

  it('returns copies of the entries', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const [entry] = await store.ledger(ALICE);
    entry!.balanceAfter = -1;
    expect((await store.ledger(ALICE))[0]!.balanceAfter).toBe(100);
  });

  it('keeps at most maxLedgerEntries per account, dropping the oldest', async () => {
    const store = await storeWith([[ALICE, 1_000]], { ...DEFAULT_RETENTION, maxLedgerEntries: 3 });
    for (let i = 0; i < 5; i++) await store.acceptTask(task({ price: 10 }));
    const ledger = await store.ledger(ALICE);
    expect(ledger).toHaveLength(3);
    expect(ledger.map((e) => e.balanceAfter)).toEqual([970, 960, 950]);
    expect(await balanceOf(store, ALICE)).toBe(950);
  });
});

describe('clear', () => {
  it('forgets accounts, ledgers, tasks and pending tasks', async () => {
    const store = await storeWith([[ALICE, 100]]);
    const t = task({}, { readyAt: 100 });
    await store.acceptTask(t);
    await store.clear();
    expect(await store.getAccount(ALICE)).toBeUndefined();
    expect(await store.listAccounts()).toEqual([]);
    expect(await store.ledger(ALICE)).toEqual([]);
    expect(await store.getTask(t.id)).toBeUndefined();
    expect(await store.countTasks()).toBe(0);
    expect(await store.dueTaskIds(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
