import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import { ownerOf, type Owner } from '../../mock-server/src/domain/keys.js';
import { createRng } from '../../mock-server/src/domain/rng.js';
import { Simulator, type SimulatorOptions } from '../../mock-server/src/domain/simulator.js';
import {
  ABANDONED_MESSAGE,
  consumedCredits,
  type Task,
  type TaskScenario,
} from '../../mock-server/src/domain/tasks.js';
import { DEFAULT_FAILURE_MESSAGE, UPSTREAM_FAILURES } from '../../mock-server/src/domain/upstream-errors.js';
import type { GenerateRequest } from '../../mock-server/src/domain/wire-types.js';
import { DEFAULT_RETENTION, MemoryStore } from '../../mock-server/src/store/memory-store.js';

const KEY = 'sk-test-alice-0001';
const OTHER_KEY = 'sk-test-bob-000002';
const ALICE = ownerOf(KEY);
const BOB = ownerOf(OTHER_KEY);

const T2I: GenerateRequest = { prompt: 'a lighthouse at dawn', aspectRatio: '16:9', quality: 'basic' };
const REQUESTS: Record<string, [GenerateRequest, number]> = {
  'text-to-image-basic': [T2I, 12],
  'text-to-image-high': [{ ...T2I, quality: 'high' }, 18],
  'edit-basic': [{ ...T2I, imageUrls: ['https://example.com/ref.jpg'] }, 18],
  'edit-high': [{ ...T2I, quality: 'high', imageUrls: ['https://example.com/ref.jpg'] }, 24],
  burst: [{ ...T2I, quality: 'high', imageUrls: ['https://example.com/ref.jpg'], numImages: 4 }, 48],
};

async function setup(options: Partial<SimulatorOptions> = {}) {
  // The store moves and resets the world's clock: the simulator reads the same one.
  const clock = options.clock ?? new VirtualClock();
  const store = options.store ?? new MemoryStore({ clock });
  const simulator = new Simulator({
    store,
    clock,
    seed: 'simulator-test',
    createRng,
    latency: 'realistic',
    failureRate: 0,
    accounts: [
      { apiKey: KEY, balance: 100 },
      { apiKey: OTHER_KEY, balance: 100 },
    ],
    ...options,
  });
  await simulator.reset();
  const balance = async (owner: Owner = ALICE) => (await store.getAccount(owner))?.balance;
  const generate = async (request: GenerateRequest = T2I, scenario?: TaskScenario, owner: Owner = ALICE) => {
    const result = await simulator.generate(owner, request, scenario);
    if (!result.ok) throw new Error(`generate refused: ${result.reason}`);
    return result;
  };
  return { simulator, store, clock, balance, generate };
}

/** The readyAt of a time-driven task. */
const readyAt = (task: Task): number => {
  if (task.plan.readyAt === null) throw new Error('task ends by polls');
  return task.plan.readyAt;
};

describe('authenticate', () => {
  it('knows the configured keys and no other', async () => {
    const { simulator } = await setup();
    expect(await simulator.authenticate(KEY)).toBe(ALICE);
    expect(await simulator.authenticate(OTHER_KEY)).toBe(BOB);
    expect(await simulator.authenticate('sk-unknown-key')).toBeUndefined();
  });
});

describe('generate', () => {
  it('debits the exact price and returns an sd45_ id', async () => {
    const { generate, balance, store } = await setup();
    const result = await generate();
    expect(result.task.id).toMatch(/^sd45_[0-9a-f]{16}$/);
    expect(result.balance).toBe(88);
    expect(await balance()).toBe(88);
    expect(result.task).toMatchObject({
      owner: ALICE,
      preset: 'text-to-image-basic',
      price: 12,
      imageCount: 1,
      status: 'IN_PROGRESS',
      settledAt: null,
      errorMessage: null,
      polls: 0,
      request: { prompt: T2I.prompt, aspectRatio: '16:9', quality: 'basic' },
    });
    expect(await store.getTask(result.task.id)).toEqual(result.task);
    expect((await store.ledger(ALICE)).at(-1)).toMatchObject({
      kind: 'debit',
      amount: -12,
      taskId: result.task.id,
    });
  });

  it.each(Object.entries(REQUESTS))('debits exactly the price of %s', async (preset, [request, price]) => {
    const { generate, balance } = await setup();
    const { task } = await generate(request);
    expect(task.preset).toBe(preset);
    expect(task.price).toBe(price);
    expect(await balance()).toBe(100 - price);
  });

  it('records the burst as four images and snapshots the request', async () => {
    const { generate } = await setup();
    const { task } = await generate(REQUESTS.burst![0]);
    expect(task.imageCount).toBe(4);
    expect(task.request).toEqual({
      prompt: T2I.prompt,
      aspectRatio: '16:9',
      quality: 'high',
      imageUrls: ['https://example.com/ref.jpg'],
      numImages: 4,
    });
    const { task: plain } = await generate({ ...T2I, imageUrls: [], numImages: 1 });
    expect(plain.request).toEqual({ prompt: T2I.prompt, aspectRatio: '16:9', quality: 'basic' });
  });

  it('stamps the task with the clock', async () => {
    const { generate, clock } = await setup();
    clock.advance(12_345);
    const { task } = await generate();
    expect(task.createdAt).toBe(VirtualClock.DEFAULT_START + 12_345);
    expect(readyAt(task)).toBeGreaterThan(task.createdAt);
  });

  it('gives every task a different id', async () => {
    const { generate } = await setup({ accounts: [{ apiKey: KEY, balance: 12 * 200 }] });
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await generate()).task.id);
    expect(ids.size).toBe(200);
  });

  it('refuses when the balance is short, leaving the balance and the tasks unchanged', async () => {
    const { simulator, store, balance } = await setup({ accounts: [{ apiKey: KEY, balance: 17 }] });
    const result = await simulator.generate(ALICE, REQUESTS['edit-basic']![0]);
    expect(result).toEqual({ ok: false, reason: 'insufficient_credits', balance: 17, required: 18 });
    expect(await balance()).toBe(17);
    expect(await store.countTasks()).toBe(0);
    expect((await store.ledger(ALICE)).map((e) => e.kind)).toEqual(['set']);
    // A cheaper task still fits.
    expect((await simulator.generate(ALICE, T2I)).ok).toBe(true);
    expect(await balance()).toBe(5);
  });

  it('refuses an owner without an account', async () => {
    const { simulator, store } = await setup();
    expect(await simulator.generate(ownerOf('sk-nobody-here'), T2I)).toEqual({
      ok: false,
      reason: 'unknown_account',
    });
    expect(await store.countTasks()).toBe(0);
  });
});

describe('task lifecycle by time', () => {
  it('stays IN_PROGRESS until its duration has elapsed on the clock, then becomes SUCCESS', async () => {
    const { simulator, generate, clock, balance } = await setup();
    const { task } = await generate();
    const duration = readyAt(task) - task.createdAt;
    expect(duration).toBeGreaterThanOrEqual(12_000); // realistic basic: at least 12 s

    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('IN_PROGRESS');
    clock.advance(duration - 1);
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('IN_PROGRESS');
    expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('IN_PROGRESS');
    clock.advance(1);
    const done = await simulator.readTask(ALICE, task.id, { poll: false });
    expect(done).toMatchObject({ status: 'SUCCESS', settledAt: readyAt(task), errorMessage: null });
    expect(consumedCredits(done!)).toBe(12);
    expect(await balance()).toBe(88);
  });

  it('settles at its planned time even when read much later', async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate();
    clock.advance(3_600_000);
    const done = await simulator.readTask(ALICE, task.id, { poll: true });
    expect(done?.status).toBe('SUCCESS');
    expect(done?.settledAt).toBe(readyAt(task));
  });

  it('honours a scenario duration', async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate(T2I, { durationMs: 500 });
    expect(readyAt(task)).toBe(task.createdAt + 500);
    clock.advance(499);
    expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('IN_PROGRESS');
    clock.advance(1);
    expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('SUCCESS');
  });

  it('is done at once with the instant profile', async () => {
    const { simulator, generate } = await setup({ latency: 'instant' });
    const { task } = await generate();
    expect(readyAt(task)).toBe(task.createdAt);
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('SUCCESS');
  });
});

describe('failure and refund', () => {
  it('a failing task (failureRate 1) refunds exactly once, however often it is read', async () => {
    const { simulator, store, generate, clock, balance } = await setup({ failureRate: 1 });
    const { task } = await generate(REQUESTS['edit-high']![0]);
    expect(task.plan.outcome).toBe('failed');
    expect(await balance()).toBe(76);
    clock.advance(readyAt(task) - task.createdAt);
    for (let i = 0; i < 10; i++) {
      const read = await simulator.readTask(ALICE, task.id, { poll: i % 2 === 0 });
      expect(read?.status).toBe('FAILED');
      expect(consumedCredits(read!)).toBe(0);
      expect(
        UPSTREAM_FAILURES.map((f) => f.message.replace('{url}', 'https://example.com/ref.jpg')),
      ).toContain(read?.errorMessage);
    }
    await simulator.settleDue();
    await simulator.listTasks();
    await simulator.inspectTask(task.id);
    await simulator.account(KEY);
    expect(await balance()).toBe(100);
    const refunds = (await store.ledger(ALICE)).filter((e) => e.kind === 'refund');
    expect(refunds).toEqual([
      { at: readyAt(task), kind: 'refund', amount: 24, balanceAfter: 100, taskId: task.id },
    ]);
  });

  it('a drawn failure of a text-to-image task never names an image problem', async () => {
    const { simulator, generate, clock } = await setup({
      failureRate: 1,
      accounts: [{ apiKey: KEY, balance: 12 * 100 }],
    });
    const imageOnly = UPSTREAM_FAILURES.filter((f) => f.editOnly).map((f) => f.message);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await generate()).task.id);
    clock.advance(10 * 60_000);
    for (const id of ids) {
      const task = await simulator.readTask(ALICE, id, { poll: false });
      expect(task?.status).toBe('FAILED');
      expect(imageOnly).not.toContain(task?.errorMessage);
    }
  });

  it("a scenario outcome 'failed' fails with its message and refunds", async () => {
    const { simulator, generate, clock, balance } = await setup();
    const { task } = await generate(T2I, {
      outcome: 'failed',
      errorMessage: 'custom failure',
      durationMs: 1_000,
    });
    clock.advance(1_000);
    const read = await simulator.readTask(ALICE, task.id, { poll: true });
    expect(read).toMatchObject({
      status: 'FAILED',
      errorMessage: 'custom failure',
      settledAt: task.createdAt + 1_000,
    });
    expect(await balance()).toBe(100);
  });

  it("a scenario outcome 'failed' without a message draws an upstream one", async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate(T2I, { outcome: 'failed', durationMs: 0 });
    clock.advance(0);
    const read = await simulator.readTask(ALICE, task.id, { poll: true });
    expect(UPSTREAM_FAILURES.filter((f) => !f.editOnly).map((f) => f.message)).toContain(read?.errorMessage);
  });

  it("a scenario outcome 'success' wins over failureRate 1", async () => {
    const { simulator, generate, clock, balance } = await setup({ failureRate: 1 });
    const { task } = await generate(T2I, { outcome: 'success', errorMessage: 'ignored' });
    expect(task.plan).toMatchObject({ outcome: 'success', errorMessage: null });
    clock.advance(readyAt(task) - task.createdAt);
    expect(await simulator.readTask(ALICE, task.id, { poll: true })).toMatchObject({
      status: 'SUCCESS',
      errorMessage: null,
    });
    expect(await balance()).toBe(88);
  });

  it('fails about failureRate of the tasks', async () => {
    const { generate } = await setup({ failureRate: 0.25, accounts: [{ apiKey: KEY, balance: 12 * 1_000 }] });
    let failed = 0;
    for (let i = 0; i < 1_000; i++) if ((await generate()).task.plan.outcome === 'failed') failed++;
    expect(failed).toBeGreaterThan(200);
    expect(failed).toBeLessThan(300);
  });
});

describe('completeOnPoll', () => {
  it('completes on the third poll and not before; non-poll reads and time do not count', async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate(T2I, { completeOnPoll: 3 });
    expect(task.plan).toMatchObject({ readyAt: null, completeOnPoll: 3 });

    for (let i = 0; i < 5; i++)
      expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('IN_PROGRESS');
    clock.advance(24 * 3_600_000);
    await simulator.settleDue();
    expect((await simulator.inspectTask(task.id))?.status).toBe('IN_PROGRESS');

    expect(await simulator.readTask(ALICE, task.id, { poll: true })).toMatchObject({
      status: 'IN_PROGRESS',
      polls: 1,
    });
    expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('IN_PROGRESS');
    expect(await simulator.readTask(ALICE, task.id, { poll: true })).toMatchObject({
      status: 'IN_PROGRESS',
      polls: 2,
    });
    const third = await simulator.readTask(ALICE, task.id, { poll: true });
    expect(third).toMatchObject({ status: 'SUCCESS', polls: 3, settledAt: clock.now() });
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('SUCCESS');
  });

  it("another owner's polls do not count", async () => {
    const { simulator, generate } = await setup();
    const { task } = await generate(T2I, { completeOnPoll: 2 });
    for (let i = 0; i < 5; i++)
      expect(await simulator.readTask(BOB, task.id, { poll: true })).toBeUndefined();
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('IN_PROGRESS');
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('SUCCESS');
  });

  it('a poll-driven failure refunds on its last poll', async () => {
    const { simulator, generate, balance } = await setup();
    const { task } = await generate(T2I, { completeOnPoll: 1, outcome: 'failed', errorMessage: 'nope' });
    expect(await balance()).toBe(88);
    expect(await simulator.readTask(ALICE, task.id, { poll: true })).toMatchObject({
      status: 'FAILED',
      errorMessage: 'nope',
    });
    expect(await balance()).toBe(100);
  });
});

describe('ownership', () => {
  it("reads another owner's task, or an unknown one, as undefined", async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate();
    expect(await simulator.readTask(BOB, task.id, { poll: false })).toBeUndefined();
    expect(await simulator.readTask(BOB, task.id, { poll: true })).toBeUndefined();
    expect(await simulator.readTask(ALICE, 'sd45_0000000000000000', { poll: true })).toBeUndefined();
    clock.advance(readyAt(task) - task.createdAt);
    expect(await simulator.readTask(BOB, task.id, { poll: false })).toBeUndefined();
    expect((await simulator.readTask(ALICE, task.id, { poll: false }))?.status).toBe('SUCCESS');
  });

  it('the control plane sees any task and settles it when due', async () => {
    const { simulator, generate, clock } = await setup();
    const { task } = await generate(T2I, {}, BOB);
    expect((await simulator.inspectTask(task.id))?.owner).toBe(BOB);
    clock.advance(readyAt(task) - task.createdAt);
    expect((await simulator.inspectTask(task.id))?.status).toBe('SUCCESS');
    expect(await simulator.inspectTask('sd45_0000000000000000')).toBeUndefined();
  });
});

describe('settleDue', () => {
  it('applies the refunds of due failed tasks before a debit', async () => {
    const { simulator, generate, clock, balance } = await setup({
      failureRate: 1,
      accounts: [{ apiKey: KEY, balance: 12 }],
    });
    const { task } = await generate();
    expect(await balance()).toBe(0);

    // Not due yet: nothing to refund, so the key cannot afford a second task.
    clock.advance(readyAt(task) - task.createdAt - 1);
    expect(await simulator.generate(ALICE, T2I)).toMatchObject({
      ok: false,
      reason: 'insufficient_credits',
      balance: 0,
    });

    // Due (though nobody has read it): its refund counts for the next debit.
    clock.advance(1);
    const second = await simulator.generate(ALICE, T2I);
    expect(second).toMatchObject({ ok: true, balance: 0 });
    expect((await simulator.inspectTask(task.id))?.status).toBe('FAILED');
  });

  it("settles only the given owner's tasks, or everyone's", async () => {
    const { simulator, store, generate, clock } = await setup();
    const a = (await generate(T2I, { durationMs: 100 })).task;
    const b = (await generate(T2I, { durationMs: 100 }, BOB)).task;
    clock.advance(100);
    expect(await simulator.settleDue(ALICE)).toBe(1);
    expect((await store.getTask(a.id))?.status).toBe('SUCCESS');
    expect((await store.getTask(b.id))?.status).toBe('IN_PROGRESS');
    expect(await simulator.settleDue()).toBe(1);
    expect((await store.getTask(b.id))?.status).toBe('SUCCESS');
    expect(await simulator.settleDue()).toBe(0);
  });

  it('listTasks and account() include the settlements that are due', async () => {
    const { simulator, generate, clock } = await setup();
    await generate(T2I, { durationMs: 10, outcome: 'failed' });
    clock.advance(10);
    const tasks = await simulator.listTasks({ owner: ALICE });
    expect(tasks.map((t) => t.status)).toEqual(['FAILED']);
    const account = await simulator.account(KEY);
    expect(account?.account.balance).toBe(100);
    expect(account?.ledger.map((e) => e.kind)).toEqual(['set', 'debit', 'refund']);
    expect(await simulator.account('sk-unknown-key')).toBeUndefined();
  });
});

describe('terminal states and forceSettle', () => {
  it('terminal states never change: forceSettle on a finished task changes nothing', async () => {
    const { simulator, store, generate, clock, balance } = await setup();
    const ok = (await generate(T2I, { durationMs: 10 })).task;
    const ko = (await generate(T2I, { durationMs: 10, outcome: 'failed', errorMessage: 'first' })).task;
    clock.advance(10);
    const success = await simulator.readTask(ALICE, ok.id, { poll: true });
    const failure = await simulator.readTask(ALICE, ko.id, { poll: true });
    expect(await balance()).toBe(88);
    const ledgerBefore = await store.ledger(ALICE);

    clock.advance(1_000);
    expect(await simulator.forceSettle(ok.id, 'failed', 'late')).toEqual(success);
    expect(await simulator.forceSettle(ko.id, 'success')).toEqual(failure);
    expect(await simulator.forceSettle(ko.id, 'failed', 'again')).toEqual(failure);
    expect(await simulator.readTask(ALICE, ok.id, { poll: true })).toMatchObject({
      status: 'SUCCESS',
      errorMessage: null,
    });
    expect(await simulator.readTask(ALICE, ko.id, { poll: true })).toMatchObject({
      status: 'FAILED',
      errorMessage: 'first',
    });
    expect(await balance()).toBe(88);
    expect(await store.ledger(ALICE)).toEqual(ledgerBefore);
  });

  it("forceSettle('failed') ends an in-progress task now and refunds it", async () => {
    const { simulator, generate, clock, balance } = await setup();
    const { task } = await generate(REQUESTS['text-to-image-high']![0]);
    clock.advance(1_000);
    const settled = await simulator.forceSettle(task.id, 'failed');
    expect(settled).toMatchObject({
      status: 'FAILED',
      settledAt: clock.now(),
      errorMessage: DEFAULT_FAILURE_MESSAGE,
    });
    expect(consumedCredits(settled!)).toBe(0);
    expect(await balance()).toBe(100);
    // Its planned end later changes nothing.
    clock.advance(3_600_000);
    expect((await simulator.readTask(ALICE, task.id, { poll: true }))?.status).toBe('FAILED');
    expect(await balance()).toBe(100);
  });

  it("forceSettle('failed') takes a given message, forceSettle('success') keeps the debit", async () => {
    const { simulator, generate, balance } = await setup({ failureRate: 1 });
    const a = (await generate()).task;
    const b = (await generate()).task;
    expect(await simulator.forceSettle(a.id, 'failed', 'by hand')).toMatchObject({
      status: 'FAILED',
      errorMessage: 'by hand',
    });
    expect(await simulator.forceSettle(b.id, 'success')).toMatchObject({
      status: 'SUCCESS',
      errorMessage: null,
    });
    expect(await balance()).toBe(88);
  });

  it('forceSettle of an unknown task is undefined', async () => {
    const { simulator } = await setup();
    expect(await simulator.forceSettle('sd45_0000000000000000', 'failed')).toBeUndefined();
  });
});

describe('balances', () => {
  it('setBalance sets a key balance, creating the account if needed', async () => {
    const { simulator, balance } = await setup();
    expect(await simulator.setBalance(KEY, 7)).toMatchObject({ owner: ALICE, balance: 7 });
    expect(await balance()).toBe(7);
    const created = await simulator.setBalance('sk-new-key-12345', 30);
    expect(created).toEqual({ owner: ownerOf('sk-new-key-12345'), label: 'sk-n…2345#62e26c', balance: 30 });
    expect(await simulator.authenticate('sk-new-key-12345')).toBe(ownerOf('sk-new-key-12345'));
  });

  it('labels accounts with the redacted key only', async () => {
    const { store } = await setup();
    const accounts = await store.listAccounts();
    expect(accounts.map((a) => a.label).sort()).toEqual(['sk-t…0001#81e71d', 'sk-t…0002#de4a13']);
    expect(JSON.stringify(accounts)).not.toContain(KEY);
  });
});

describe('reset', () => {
  it('restores start balances, removes tasks, rewinds the clock and replays the same ids', async () => {
    const { simulator, store, generate, clock, balance } = await setup();
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await generate()).task);
    await simulator.setBalance(OTHER_KEY, 3);
    await simulator.setBalance('sk-extra-key-000', 9);
    clock.advance(99_999);

    await simulator.reset();
    expect(await balance()).toBe(100);
    expect(await balance(BOB)).toBe(100);
    expect(await simulator.authenticate('sk-extra-key-000')).toBeUndefined();
    expect(await store.countTasks()).toBe(0);
    expect(clock.now()).toBe(VirtualClock.DEFAULT_START);
    for (const t of first) expect(await simulator.inspectTask(t.id)).toBeUndefined();
    expect((await store.ledger(ALICE)).map((e) => e.kind)).toEqual(['set']);

    const second = [];
    for (let i = 0; i < 5; i++) second.push((await generate()).task);
    expect(second).toEqual(first);
  });

  it('two simulators with the same seed make the same tasks; another seed makes others', async () => {
    const run = async (seed: string) => {
      const { generate } = await setup({ seed, failureRate: 0.5 });
      const tasks = [];
      for (let i = 0; i < 5; i++) tasks.push((await generate()).task);
      return tasks;
    };
    const a = await run('seed-1');
    expect(await run('seed-1')).toEqual(a);
    const b = await run('seed-2');
    expect(b.map((t) => t.id)).not.toEqual(a.map((t) => t.id));
  });
});

describe('scenarios do not shift a seeded run', () => {
  const fate = (task: Task) => ({
    id: task.id,
    outcome: task.plan.outcome,
    errorMessage: task.plan.errorMessage,
    duration: task.plan.readyAt === null ? null : task.plan.readyAt - task.createdAt,
  });

  async function run(firstScenario: TaskScenario | undefined) {
    const { generate } = await setup({ failureRate: 0.5, accounts: [{ apiKey: KEY, balance: 1_000 }] });
    const requests = [
      REQUESTS['edit-basic']![0],
      T2I,
      REQUESTS.burst![0],
      REQUESTS['edit-high']![0],
      T2I,
      T2I,
      T2I,
      T2I,
    ];
    const tasks: Task[] = [];
    for (const [i, request] of requests.entries())
      tasks.push((await generate(request, i === 0 ? firstScenario : undefined)).task);
    return tasks;
  }

  it.each<[string, TaskScenario]>([
    [
      'a forced failure with a message and duration',
      { outcome: 'failed', errorMessage: 'forced', durationMs: 1 },
    ],
    ['a forced success', { outcome: 'success' }],
    ['a poll count', { completeOnPoll: 3 }],
    ['a duration', { durationMs: 5 }],
  ])('%s on the first task leaves every later task as it was', async (_name, scenario) => {
    const plain = await run(undefined);
    const withScenario = await run(scenario);
    expect(withScenario[0]!.id).toBe(plain[0]!.id);
    expect(withScenario.slice(1).map(fate)).toEqual(plain.slice(1).map(fate));
    // The outcomes vary in this run, so the comparison is not vacuous.
    expect(new Set(plain.map((t) => t.plan.outcome))).toEqual(new Set(['success', 'failed']));
  });

  it('the scenario did apply to the first task', async () => {
    const withScenario = await run({ outcome: 'failed', errorMessage: 'forced', durationMs: 1 });
    expect(fate(withScenario[0]!)).toMatchObject({ outcome: 'failed', errorMessage: 'forced', duration: 1 });
  });
});

describe('retention', () => {
  // Issue 11, item 6: tasks that never finish (a poll-driven task nobody polls, a key that went away)
  // were never pruned, so `--retain-tasks 100` kept 20,000 of them. Every task is bounded now.
  it('bounds every task: beyond maxTasks the oldest finished go first, then the oldest in progress, refunded', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore({ retention: { ...DEFAULT_RETENTION, maxTasks: 3 }, clock });
    const { simulator, generate, balance } = await setup({
      store,
      clock,
      accounts: [{ apiKey: KEY, balance: 1_000 }],
    });
    const a = (await generate(T2I, { durationMs: 1 })).task;
    const b = (await generate(T2I, { completeOnPoll: 5 })).task;
    const c = (await generate(T2I, { completeOnPoll: 5 })).task;
    clock.advance(1);
    await simulator.settleDue(); // a has finished
    const d = (await generate(T2I, { completeOnPoll: 5 })).task; // a goes: the oldest finished
    expect(await store.getTask(a.id)).toBeUndefined();
    expect(await store.countTasks()).toBe(3);
    expect(await balance()).toBe(1_000 - 4 * 12);
    const e = (await generate(T2I, { completeOnPoll: 5 })).task; // all in progress: b is abandoned
    expect(await store.getTask(b.id)).toBeUndefined();
    expect(await store.countTasks()).toBe(3);
    expect(await balance()).toBe(1_000 - 4 * 12); // b's 12 credits came back, e's were taken
    const refund = (await store.ledger(ALICE)).find((entry) => entry.kind === 'refund');
    expect(refund).toMatchObject({ taskId: b.id, amount: 12 });
    for (const t of [c, d, e]) expect((await store.getTask(t.id))?.status).toBe('IN_PROGRESS');
  });

  it('abandons a task still in progress at the retention age: FAILED, refunded, and then dropped in time', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore({ retention: { ...DEFAULT_RETENTION, maxAgeMs: 60_000 }, clock });
    const { simulator, generate, balance } = await setup({ store, clock });
    const polled = (await generate(T2I, { completeOnPoll: 3 })).task;
    clock.advance(60_000);
    const seen = await simulator.inspectTask(polled.id);
    expect(seen).toMatchObject({ status: 'FAILED', errorMessage: ABANDONED_MESSAGE });
    expect(seen?.settledAt).toBe(polled.createdAt + 60_000);
    expect(await balance()).toBe(100);
    clock.advance(60_001); // kept for the retention age after it ended, then dropped
    await store.prune(clock.now());
    expect(await store.getTask(polled.id)).toBeUndefined();
  });
});
