/**
 * The memory store: the conformance suite every store passes, and what is particular to keeping the
 * state in this process (objects handed out without copies, costs that depend on one owner's tasks).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import type { Task } from '../../mock-server/src/domain/tasks.js';
import { DEFAULT_RETENTION, MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { makeTask } from '../support/task-fixture.js';
import { ALICE, BOB, CONFORMANCE_SPEC, describeStore } from '../support/store-conformance.js';

describeStore('memory', async ({ retention, journal, spec, verdict, caps }) => {
  const store = new MemoryStore({
    ...(retention ? { retention } : {}),
    ...(journal ? { journal } : {}),
    ...(caps ? { caps } : {}),
    spec: spec ?? CONFORMANCE_SPEC,
    clock: new VirtualClock(),
    ...(verdict ? { verdict } : {}),
  });
  await store.reset();
  return store;
});

let counter = 0;
const task = (overrides: Partial<Task> = {}) =>
  makeTask({ id: `sd45_${(counter++).toString(16).padStart(16, '0')}`, owner: ALICE, ...overrides });

describe('stored tasks are copy-on-write', () => {
  it('never changes a task object once handed out: updates replace it', async () => {
    const store = new MemoryStore();
    await store.setBalance(ALICE, 'a', 100, 0);
    const result = await store.acceptTask(task());
    if (!result.accepted) throw new Error('not accepted');
    const before = (await store.getTask(result.task.id))!;
    const polled = (await store.pollTask(before.id, ALICE, 0))!;
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
});

// Issue 11, item 5: tasks of other keys that fell due while nobody polled them were walked by every
// generate and account read of every other key. The time it took is the benchmark's business
// (`npm run bench`, "hostile neighbour"); what a test can hold is that the work is not done.
describe("one owner's requests leave other owners' due tasks alone", () => {
  it("settling an owner's due tasks does not touch 5,000 due tasks of another owner", async () => {
    const store = new MemoryStore({ retention: DEFAULT_RETENTION });
    await store.setBalance(ALICE, 'a', 1_000_000, 0);
    await store.setBalance(BOB, 'b', 100, 0);
    for (let i = 0; i < 5_000; i++) await store.acceptTask(task({ createdAt: 0 }));
    await store.acceptTask(task({ owner: BOB }));
    const touched = new Set<string>();
    const get = Map.prototype.get;
    const tasks = (store as unknown as { tasks: Map<string, Task> }).tasks;
    tasks.get = function (this: Map<string, Task>, id: string) {
      touched.add(id);
      return get.call(this, id) as Task | undefined;
    };
    expect(await store.settleDue(1_000_000, BOB)).toBe(1);
    expect(touched.size).toBe(1);
    expect((await store.listTasks({ owner: ALICE, status: 'IN_PROGRESS' })).length).toBe(5_000);
  });

  it("an owner's heap of stale entries is rebuilt by prune, so it is bounded by the owner's open tasks", async () => {
    const store = new MemoryStore({ retention: { ...DEFAULT_RETENTION, maxTasks: 10 } });
    await store.setBalance(ALICE, 'a', 1_000_000, 0);
    for (let i = 0; i < 500; i++) {
      const t = task();
      await store.acceptTask(t);
      await store.settleTask(t.id, { status: 'SUCCESS', at: 1_000, errorMessage: null });
    }
    await store.prune(1_000);
    const heaps = (store as unknown as { pending: Map<string, { size: number }> }).pending;
    expect(heaps.get(ALICE)?.size ?? 0).toBeLessThanOrEqual(64);
  });
});
