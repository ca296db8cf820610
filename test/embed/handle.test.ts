/** The SimulatorHandle's whole surface, in-process and connected, over real sockets. */
import { describe, expect, it } from 'vitest';
import {
  ControlApiError,
  JournalWaitTimeout,
  connectSimulator,
  startSimulator,
} from '../../mock-server/src/index.js';

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;

describe('startSimulator()', () => {
  it('starts on a free loopback port with the configured keys, and stops (twice is fine)', async () => {
    const sim = await startSimulator({ keys: { 'sk-handle-one': 50 }, devKey: false, seed: 'h' });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.keys).toEqual([{ apiKey: 'sk-handle-one', balance: 50 }]);
    expect(sim.key).toBe('sk-handle-one');
    expect(sim.tenant).toBe('default');
    await sim.stop();
    await sim.stop();
    await expect(fetch(`${sim.url}/__mock/health`)).rejects.toThrow();
  });

  it('refuses options the CLI refuses, with the same message', async () => {
    await expect(startSimulator({ failureRate: 2 })).rejects.toThrow(/--failure-rate/);
  });

  it('drives tasks, accounts, rules, the clock and the journal', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'handle', rateLimit: 'off' });
    const client = sim.client({ sleep: sim.clock.sleep, retry: { maxRetries: 0 } });
    const { taskId } = await client.createTask({ ...BODY, quality: 'high' });
    expect((await sim.tasks.get(taskId)).record.status).toBe('IN_PROGRESS');
    expect((await sim.tasks.fail(taskId, 'moderated')).record).toMatchObject({
      status: 'FAILED',
      error_message: 'moderated',
    });
    const second = (await client.createTask({ ...BODY })).taskId;
    expect((await sim.tasks.succeed(second)).record.status).toBe('SUCCESS');
    expect((await sim.tasks.list({ status: 'FAILED' })).map((t) => t.record.task_id)).toEqual([taskId]);
    await expect(sim.tasks.succeed(second)).rejects.toMatchObject({ status: 409, type: 'conflict' });
    await expect(sim.tasks.get('sd45_0000000000000000')).rejects.toBeInstanceOf(ControlApiError);

    expect((await sim.accounts.setBalance('sk-new-key-1234', 30)).balance).toBe(30);
    expect((await sim.accounts.get(sim.key)).ledger.map((e) => e.kind)).toEqual([
      'set',
      'debit',
      'refund',
      'debit',
    ]);

    const rule = await sim.rules.add({ action: { status: 500 }, times: 2 });
    expect((await sim.rules.list()).map((r) => r.id)).toEqual([rule.id]);
    await sim.rules.remove(rule.id);
    await sim.rules.add({ action: { status: 429 } });
    expect(await sim.rules.clear()).toBe(1);

    const before = (await sim.clock.get()).now;
    expect((await sim.clock.advance(1_000)).now).toBe(before + 1_000);
    await sim.clock.sleep(500);
    expect((await sim.clock.get()).now).toBe(before + 1_500);

    const entries = await sim.journal.list({ path: '/api/generate' });
    expect(entries.map((e) => e.task_id)).toEqual([second, taskId]);
    const newest = await sim.journal.waitFor({ path: '/api/generate' }, { timeoutMs: 0 });
    expect(newest.id).toBe(entries[0]!.id);
    await expect(
      sim.journal.waitFor({ path: '/api/generate', after: newest.id }, { timeoutMs: 30 }),
    ).rejects.toBeInstanceOf(JournalWaitTimeout);

    await sim.reset();
    expect(await sim.tasks.list()).toEqual([]);
    expect((await sim.accounts.get(sim.key)).balance).toBe(1000);
  });
});

describe('connectSimulator()', () => {
  it('binds to a fresh tenant by default, to an existing one by its credential, or to the default world', async () => {
    await using shared = await startSimulator({ clock: 'virtual', controlToken: 'operator-token' });
    const fresh = await connectSimulator(shared.url, { create: { keys: [{ balance: 5 }] } });
    expect(fresh.tenant).toMatch(/^t-[0-9a-f]{12}$/);
    expect(fresh.keys.map((k) => k.balance)).toEqual([5]);
    await expect(fresh.client({ retry: { maxRetries: 0 } }).createTask({ ...BODY })).rejects.toMatchObject({
      name: 'InsufficientCreditsError',
    });

    const listed = await fetch(`${shared.url}/__mock/tenants`, {
      headers: { 'X-Mock-Token': 'operator-token' },
    });
    expect(((await listed.json()) as { data: { tenants: unknown[] } }).data.tenants).toHaveLength(2);

    const operator = await connectSimulator(shared.url, { tenant: 'default', token: 'operator-token' });
    expect((await operator.accounts.get('sk-dreamcore-dev')).balance).toBe(1000);
    await expect(
      connectSimulator(shared.url, { tenant: 'default' }).then((h) => h.clock.get()),
    ).rejects.toMatchObject({
      status: 401,
    });

    await fresh.stop(); // drops the tenant it made
    const after = await fetch(`${shared.url}/__mock/tenants`, {
      headers: { 'X-Mock-Token': 'operator-token' },
    });
    expect(((await after.json()) as { data: { tenants: unknown[] } }).data.tenants).toHaveLength(1);
  });
});
