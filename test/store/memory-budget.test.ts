/**
 * The memory budget (store/memory-budget.ts): one budget for the process, a share per tenant, the
 * journal giving way before anything is refused, and refusals that change nothing. Then the memory
 * store's charges, counted as they come and go, held to a walk of the world (the oracle the store
 * itself never runs).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import type { Task } from '../../mock-server/src/domain/tasks.js';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import type { JournalRecord } from '../../mock-server/src/qa/journal.js';
import { journalEntryBytes, storedEntry } from '../../mock-server/src/qa/journal.js';
import { ruleOf } from '../../mock-server/src/qa/fault-rules.js';
import { MemoryBackend } from '../../mock-server/src/store/memory-backend.js';
import { defaultBudgetBytes, MemoryBudget } from '../../mock-server/src/store/memory-budget.js';
import {
  ACCOUNT_BYTES,
  LEDGER_ENTRY_BYTES,
  ruleBytes,
  taskBytes,
  WORLD_BYTES,
} from '../../mock-server/src/store/memory-costs.js';
import { DEFAULT_RETENTION, MemoryStore } from '../../mock-server/src/store/memory-store.js';
import type { TenantRecord } from '../../mock-server/src/store/store.js';
import { WorldLimitError } from '../../mock-server/src/store/world-limits.js';
import { makeTask } from '../support/task-fixture.js';

const MiB = 1024 * 1024;
const ALICE = ownerOf('sk-alice');

function refusalOf(attempt: () => unknown): WorldLimitError {
  try {
    attempt();
  } catch (err) {
    expect(err).toBeInstanceOf(WorldLimitError);
    return err as WorldLimitError;
  }
  throw new Error('not refused');
}

/** A meter whose journal is a list of sizes, shed oldest first, never the last. */
function withJournal(budget: MemoryBudget, world: string, scope: 'tenant' | 'whole', createdBy?: string) {
  const meter = budget.meter(world, scope, createdBy);
  const entries: number[] = [];
  meter.setShedder((bytes) => {
    let freed = 0;
    while (freed < bytes && entries.length > 1) {
      const cost = entries.shift()!;
      meter.release('journal', cost);
      freed += cost;
    }
    return freed;
  });
  const record = (bytes: number) => {
    entries.push(bytes);
    meter.charge('journal', bytes);
  };
  return { meter, entries, record };
}

describe('the default budget: half the V8 heap’s old generation', () => {
  it('is half of --max-old-space-size when node is given it, not half of heap_size_limit (which counts the young generation)', () => {
    // node --max-old-space-size=96 on Node 24: heap_size_limit 288 MiB, of which 192 young.
    expect(defaultBudgetBytes(288 * MiB, ['--max-old-space-size=96'], '')).toBe(48 * MiB);
    expect(defaultBudgetBytes(288 * MiB, [], '--max-old-space-size=96')).toBe(48 * MiB);
    expect(defaultBudgetBytes(288 * MiB, ['--max_old_space_size', '96'], '')).toBe(48 * MiB);
    // The command line wins over NODE_OPTIONS, as node has it.
    expect(defaultBudgetBytes(544 * MiB, ['--max-old-space-size=352'], '--max-old-space-size=96')).toBe(
      176 * MiB,
    );
  });

  it('without the flag: the heap limit less 3 semi-spaces (64 MiB each unless --max-semi-space-size says)', () => {
    expect(defaultBudgetBytes(4288 * MiB, [], '')).toBe(2048 * MiB);
    expect(defaultBudgetBytes(4144 * MiB, ['--max-semi-space-size=16'], '')).toBe(2048 * MiB);
    // A heap so small that the assumed young generation would leave nothing: a quarter of it, halved.
    expect(defaultBudgetBytes(200 * MiB, [], '')).toBe(25 * MiB);
  });
});

describe('a caller’s share: the tenants one caller created, together', () => {
  const budget = () => new MemoryBudget({ limitBytes: 8 * MiB, tenantShare: 0.125, callerShare: 0.25 });

  it('refuses what would take a caller’s tenants past its share with 429, though each tenant has room; nothing is charged', () => {
    const b = budget();
    const [one, two, three] = ['t-1', 't-2', 't-3'].map((id) => b.meter(id, 'tenant', '10.0.0.9'));
    one!.reserve('rules', 900 * 1024);
    two!.reserve('rules', 900 * 1024);
    const err = refusalOf(() => three!.reserve('rules', 300 * 1024));
    expect([err.status, err.limit, err.retryAfterSeconds]).toEqual([429, 'callerMemoryShare', 60]);
    expect(err.message).toMatch(
      /hold 1\.8 MiB together besides their journals \(3 tenants\).*may hold 2\.0 MiB together \(--caller-memory-share 0\.25 of --memory-budget-mb 8\.0 MiB\)/,
    );
    expect([three!.used, b.heldByCaller('10.0.0.9'), b.used]).toEqual([0, 1800 * 1024, 1800 * 1024]);
  });

  it('leaves other callers, the operator’s tenants and the default world their room', () => {
    const b = budget();
    for (const id of ['t-1', 't-2']) b.meter(id, 'tenant', '10.0.0.9').reserve('rules', 1000 * 1024);
    expect(() => b.meter('t-3', 'tenant', '10.0.0.9').reserve('rules', 100 * 1024)).toThrow(WorldLimitError);
    b.meter('t-4', 'tenant', '10.0.0.10').reserve('rules', 1000 * 1024);
    b.meter('t-5', 'tenant').reserve('rules', 1000 * 1024);
    b.meter('default', 'whole').reserve('rules', 3 * MiB);
    expect(b.heldByCaller('10.0.0.10')).toBe(1000 * 1024);
  });

  it('counts no journal (it gives way), and gives room back when a tenant is dropped', () => {
    const b = budget();
    const { record } = withJournal(b, 't-1', 'tenant', '10.0.0.9');
    for (let i = 0; i < 8; i++) record(100 * 1024);
    expect(b.heldByCaller('10.0.0.9')).toBe(0);
    b.meter('t-2', 'tenant', '10.0.0.9').reserve('rules', 1000 * 1024);
    b.meter('t-3', 'tenant', '10.0.0.9').reserve('rules', 1000 * 1024);
    expect(() => b.meter('t-4', 'tenant', '10.0.0.9').reserve('rules', 100 * 1024)).toThrow(WorldLimitError);
    b.drop('t-2');
    b.meter('t-4', 'tenant', '10.0.0.9').reserve('rules', 100 * 1024);
    expect(b.heldByCaller('10.0.0.9')).toBe(1100 * 1024);
    for (const id of ['t-1', 't-3', 't-4']) b.drop(id);
    expect(b.heldByCaller('10.0.0.9')).toBe(0);
  });
});

describe('a tenant’s share', () => {
  it('refuses what would take the tenant past its share with 429, naming the option and its value; nothing is charged', () => {
    const budget = new MemoryBudget({ limitBytes: 8 * MiB, tenantShare: 0.125 });
    const meter = budget.meter('t-1', 'tenant');
    meter.reserve('rules', 900 * 1024);
    const err = refusalOf(() => meter.reserve('rules', 200 * 1024));
    expect([err.status, err.limit, err.retryAfterSeconds]).toEqual([429, 'tenantMemoryShare', 60]);
    expect(err.message).toMatch(
      /a tenant may hold 1\.0 MiB \(--tenant-memory-share 0\.125 of --memory-budget-mb 8\.0 MiB\)/,
    );
    expect(err.message).toContain('rules 900.0 KiB');
    expect(meter.used).toBe(900 * 1024);
    expect(budget.used).toBe(900 * 1024);
  });

  it('is made of the journal first: a full journal gives way to a rule, oldest entries first, and keeps its newest', () => {
    const budget = new MemoryBudget({ limitBytes: 8 * MiB, tenantShare: 0.125 });
    const { meter, entries, record } = withJournal(budget, 't-1', 'tenant');
    for (let i = 0; i < 20; i++) record(100 * 1024); // 2 MB of journal into a 1 MiB share
    expect(meter.used).toBeLessThanOrEqual(MiB);
    expect(entries.length).toBe(10);
    meter.reserve('rules', 500 * 1024);
    expect(entries.length).toBe(5);
    expect(meter.used).toBeLessThanOrEqual(MiB);
    // A share held by rules leaves the journal its newest entry only.
    meter.reserve('rules', 400 * 1024);
    record(100 * 1024);
    expect(entries.length).toBe(1);
  });

  it('does not count against the default world, which may use what the tenants do not', () => {
    const budget = new MemoryBudget({ limitBytes: 8 * MiB, tenantShare: 0.125 });
    const main = budget.meter('default', 'whole');
    main.reserve('tasks', 6 * MiB);
    const tenant = budget.meter('t-1', 'tenant');
    tenant.reserve('tasks', MiB);
    const err = refusalOf(() => main.reserve('tasks', 2 * MiB));
    expect([err.status, err.limit]).toEqual([503, 'memoryBudgetMb']);
  });
});

describe('the whole budget', () => {
  it('full: 503 with Retry-After naming the budget and the worlds holding the most, after the journals gave way', () => {
    const budget = new MemoryBudget({ limitBytes: 4 * MiB, tenantShare: 0.5 });
    const big = withJournal(budget, 't-big', 'tenant');
    const small = withJournal(budget, 't-small', 'tenant');
    for (let i = 0; i < 18; i++) big.record(100 * 1024);
    for (let i = 0; i < 5; i++) small.record(100 * 1024);
    const main = budget.meter('default', 'whole');
    main.reserve('tasks', 2 * MiB);
    // The largest journal went first.
    expect(big.entries.length).toBeLessThan(18);
    expect(small.entries.length).toBe(5);
    expect(budget.used).toBeLessThanOrEqual(4 * MiB);
    const err = refusalOf(() => main.reserve('tasks', 2 * MiB));
    expect([err.status, err.limit, err.retryAfterSeconds]).toEqual([503, 'memoryBudgetMb', 60]);
    expect(err.message).toMatch(/memory budget is full: its worlds hold .* of --memory-budget-mb 4\.0 MiB/);
    expect(err.message).toContain('default 2.0 MiB');
  });

  it('a refusal for a full budget leaves every journal as it was', () => {
    const budget = new MemoryBudget({ limitBytes: 2 * MiB, tenantShare: 1 });
    const j = withJournal(budget, 't-1', 'tenant');
    for (let i = 0; i < 5; i++) j.record(100 * 1024);
    budget.meter('default', 'whole').reserve('tasks', 1.5 * MiB);
    const before = j.entries.length;
    refusalOf(() => budget.meter('t-2', 'tenant').reserve('rules', 600 * 1024));
    expect(j.entries.length).toBe(before);
  });

  it('a charge that must be kept is never refused: the journals give way, down to their newest entries', () => {
    const budget = new MemoryBudget({ limitBytes: MiB, tenantShare: 1 });
    const j = withJournal(budget, 't-1', 'tenant');
    for (let i = 0; i < 10; i++) j.record(100 * 1024);
    budget.charge('default', 'tasks', 0); // no such meter yet: nothing happens
    budget.meter('default', 'whole').charge('accounts', 2 * MiB);
    expect(j.entries.length).toBe(1);
    expect(budget.usage().byKind.accounts).toBe(2 * MiB);
  });

  it('drops a world with everything it was charged, and reads usage by kind and by world', () => {
    const budget = new MemoryBudget({ limitBytes: 8 * MiB, tenantShare: 0.5 });
    budget.meter('default', 'whole').reserve('tasks', 1000);
    budget.meter('t-1', 'tenant').reserve('rules', 3000);
    budget.reserve('t-1', 'accounts', 500);
    const usage = budget.usage();
    expect(usage).toMatchObject({
      usedBytes: 4500,
      worlds: 2,
      limitBytes: 8 * MiB,
      tenantLimitBytes: 4 * MiB,
    });
    expect(usage.top.map((w) => [w.world, w.usedBytes])).toEqual([
      ['t-1', 3500],
      ['default', 1000],
    ]);
    budget.drop('t-1');
    expect(budget.usage()).toMatchObject({ usedBytes: 1000, worlds: 1 });
    expect(budget.usage().byKind).toEqual({
      world: 0,
      journal: 0,
      rules: 0,
      accounts: 0,
      tasks: 1000,
      verdict: 0,
    });
  });
});

// ---- the memory store's charges -----------------------------------------------------------------

const record = (i: number, body = 'x'.repeat(100)): JournalRecord => ({
  at: i,
  method: 'POST',
  path: '/api/generate',
  rawQuery: '',
  status: 400,
  durationMs: 1,
  keyLabel: 'sk-d…-dev#d88b21',
  keyOwner: ALICE,
  taskId: null,
  injected: null,
  operation: 'createGenerationTask',
  requestHeaders: { 'content-type': 'application/json' },
  rawRequestBody: Buffer.from(JSON.stringify({ prompt: `${i} ${body}` })),
  responseText: '{"code":400}',
});

/** What the store holds, walked: the oracle for its incremental charges. */
async function walked(store: MemoryStore): Promise<number> {
  const rules = (await store.listRules()).reduce((n, r) => n + ruleBytes(r), 0);
  const accounts = await store.listAccounts();
  // The entries as kept (folded in batches), not as ledger() shows them.
  const ledgers = (store as unknown as { ledgers: Map<string, unknown[]> }).ledgers;
  let ledger = 0;
  for (const entries of ledgers.values()) ledger += entries.length;
  const tasks = (await store.listTasks()).reduce((n, t) => n + taskBytes(t), 0);
  const { journalBytes } = await store.stats();
  return rules + accounts.length * ACCOUNT_BYTES + ledger * LEDGER_ENTRY_BYTES + tasks + journalBytes;
}

let n = 0;
const task = (over: Partial<Task> = {}) =>
  makeTask({ id: `sd45_${(n++).toString(16).padStart(16, '0')}`, owner: ALICE, ...over });

describe('the memory store charges as things come and go, never by walking the world', () => {
  it('rules, accounts and their ledgers, tasks, the journal: the meter equals the walk, and a reset gives it all back', async () => {
    const budget = new MemoryBudget({ limitBytes: 64 * MiB, tenantShare: 1 });
    const meter = budget.meter('w', 'tenant');
    const store = new MemoryStore({
      clock: new VirtualClock(),
      meter,
      retention: { ...DEFAULT_RETENTION, maxTasks: 5, maxLedgerEntries: 8 },
      journal: { maxEntries: 3, maxBytes: Infinity },
    });
    await store.reset();
    await store.setBalance(ALICE, 'alice', 1_000, 0);
    const rule = await store.addRule({
      match: { path: '/api/generate' },
      action: { status: 500, message: 'é'.repeat(300) },
    });
    await store.addRule({ action: { status: 503 }, times: 1 });
    for (let i = 0; i < 12; i++)
      await store.acceptTask(
        task({
          createdAt: i,
          request: { prompt: `p${i} ${'y'.repeat(i * 10)}`, aspectRatio: '1:1', quality: 'basic' },
        }),
      );
    const first = (await store.listTasks())[0]!;
    await store.settleTask(first.id, { status: 'FAILED', at: 20, errorMessage: 'QA says no '.repeat(20) });
    for (let i = 0; i < 7; i++) await store.appendJournal(record(i));
    expect(meter.used).toBe(await walked(store));
    expect(meter.byKind().journal).toBe((await store.stats()).journalBytes);

    await store.removeRule(rule.id);
    await store.fireRule({ method: 'GET', path: '/api/status', owner: undefined, createsTask: false }); // retires the times: 1 rule
    expect((await store.listRules()).length).toBe(0);
    expect(meter.byKind().rules).toBe(0);
    expect(meter.used).toBe(await walked(store));

    await store.reset();
    expect(meter.used).toBe(0);
    expect(budget.used).toBe(0);
  });

  it('a rule refused for its memory: 429 on a tenant, nothing added', async () => {
    const budget = new MemoryBudget({ limitBytes: 4 * 1024, tenantShare: 1 });
    const store = new MemoryStore({ meter: budget.meter('t', 'tenant') });
    await store.addRule({ action: { status: 500, message: 'm'.repeat(1900) } });
    await expect(store.addRule({ action: { status: 500, message: 'm'.repeat(1900) } })).rejects.toMatchObject(
      {
        status: 429,
        limit: 'tenantMemoryShare',
      },
    );
    expect((await store.listRules()).length).toBe(1);
    expect(ruleBytes(ruleOf({ action: { status: 500, message: 'm'.repeat(1500) } }))).toBeGreaterThan(1500);
  });

  it('a task refused for its memory takes no credit and leaves no task, ledger entry or stat', async () => {
    const budget = new MemoryBudget({ limitBytes: 3 * 1024, tenantShare: 1 });
    const store = new MemoryStore({ meter: budget.meter('t', 'tenant') });
    await store.setBalance(ALICE, 'alice', 100, 0);
    await store.acceptTask(
      task({ request: { prompt: 'p'.repeat(1000), aspectRatio: '1:1', quality: 'basic' } }),
    );
    const balance = (await store.getAccount(ALICE))!.balance;
    const ledger = (await store.ledger(ALICE)).length;
    const refused = task({ request: { prompt: 'q'.repeat(1000), aspectRatio: '1:1', quality: 'basic' } });
    expect(() => store.accept({ task: refused })).toThrow(WorldLimitError);
    expect((await store.getAccount(ALICE))!.balance).toBe(balance);
    expect((await store.ledger(ALICE)).length).toBe(ledger);
    expect(await store.getTask(refused.id)).toBeUndefined();
    expect((await store.stats()).tasksCreated).toBe(1);
  });

  it('the journal of a tenant over its share keeps fewer entries, never refusing one', async () => {
    const one = journalEntryBytes(storedEntry(1, record(1)));
    const budget = new MemoryBudget({ limitBytes: 10 * one, tenantShare: 1 });
    const store = new MemoryStore({
      meter: budget.meter('t', 'tenant'),
      journal: { maxEntries: 1000, maxBytes: Infinity },
    });
    for (let i = 0; i < 50; i++) await store.appendJournal(record(i));
    const { journalEntries } = await store.stats();
    expect(journalEntries).toBeGreaterThan(5);
    expect(journalEntries).toBeLessThanOrEqual(10);
    const page = await store.queryJournal({ limit: 1 });
    expect(page.entries[0]!.at).toBe(49); // the newest is kept
  });
});

describe('the memory backend: a meter per world', () => {
  const record = (id: string, accounts: number): TenantRecord => ({
    id,
    name: id,
    spec: {
      seed: id,
      idSalt: '',
      latency: 'fast',
      failureRate: 0,
      clock: 'virtual',
      accounts: Array.from({ length: accounts }, (_, i) => ({
        owner: ownerOf(`sk-${id}-${i}`),
        label: `k${i}`,
        balance: 10,
      })),
    },
    tokenDigest: id === 'default' ? '' : `digest-${id}`,
    createdAt: 0,
    lastSeenAt: 0,
    idleTimeoutMs: id === 'default' ? 0 : 60_000,
  });

  it('charges a world and its start accounts when it is made, and gives them back when it is dropped', async () => {
    const budget = new MemoryBudget({ limitBytes: 64 * MiB, tenantShare: 0.125 });
    const backend = new MemoryBackend({
      retention: DEFAULT_RETENTION,
      journal: { maxEntries: 10, maxBytes: MiB },
      budget,
    });
    await backend.ensureWorld(record('default', 1));
    await backend.createWorld(record('t-000000000001', 3));
    const start = (accounts: number) => WORLD_BYTES + accounts * (ACCOUNT_BYTES + LEDGER_ENTRY_BYTES);
    expect(backend.memory().top.map((w) => [w.world, w.usedBytes])).toEqual([
      ['t-000000000001', start(3)],
      ['default', start(1)],
    ]);
    await backend.deleteWorld('t-000000000001');
    expect(backend.memory()).toMatchObject({ usedBytes: start(1), worlds: 1 });
  });

  it('refuses a tenant the full budget has no room for (503), making nothing', async () => {
    const budget = new MemoryBudget({ limitBytes: 12_000, tenantShare: 1 });
    const backend = new MemoryBackend({
      retention: DEFAULT_RETENTION,
      journal: { maxEntries: 10, maxBytes: MiB },
      budget,
    });
    await backend.createWorld(record('t-000000000001', 5));
    await expect(backend.createWorld(record('t-000000000002', 5))).rejects.toMatchObject({ status: 503 });
    expect((await backend.listWorlds()).map((w) => w.id)).toEqual(['t-000000000001']);
    expect(await backend.worldOfToken('digest-t-000000000002')).toBeUndefined();
    expect(backend.memory().worlds).toBe(1);
  });
});
