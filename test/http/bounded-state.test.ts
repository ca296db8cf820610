/**
 * Issue 11, items 6 to 9 and 14, over HTTP: what a week of hostile use found in the simulator's
 * state. Each test failed on the simulator before its fix (af2f251), as the closing note records.
 */
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { controlConforms, generate, journal, status } from '../qa/qa-support.js';
import { testSimulator } from '../support/harness.js';

const LIMIT = Date.UTC(9000, 0, 1); // the clock's documented limit, 9000-01-01T00:00:00Z

describe('retention bounds every task (item 6)', () => {
  it('with --retain-tasks 100, 300 poll-driven tasks nobody polls leave 100, the others abandoned and refunded', async () => {
    const sim = await testSimulator(['--retain-tasks=100', `--key=${DEV_KEY}=10000`]);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const res = await generate(sim, { 'X-Mock-Polls': '5' });
      expect(res.status).toBe(200);
      ids.push(res.body.data.task_id as string);
    }
    expect(await sim.taskCount()).toBe(100);
    expect(await sim.balance()).toBe(10000 - 100 * 12);
    const health = await controlConforms(await sim.http.get('/__mock/health'));
    expect(health.body.data.tasks).toBe(100);
    // The newest 100 are still there and still in progress; the oldest are gone.
    expect((await status(sim, ids.at(-1)!)).body.data.status).toBe('IN_PROGRESS');
    expect((await status(sim, ids[0]!)).status).toBe(404);
    // Every abandoned task gave its 12 credits back: a refund in the ledger for each.
    const account = await controlConforms(await sim.http.get(`/__mock/accounts/${DEV_KEY}`));
    const refunds = (account.body.data.ledger as Array<{ kind: string; task_id: string }>).filter(
      (e) => e.kind === 'refund',
    );
    expect(refunds.map((e) => e.task_id)).toEqual(ids.slice(0, 200));
  });

  it('a task still in progress at --retain-age fails as abandoned and is refunded', async () => {
    const sim = await testSimulator(['--retain-age=60']);
    const id = (await generate(sim, { 'X-Mock-Polls': '3' })).body.data.task_id as string;
    expect(await sim.balance()).toBe(988);
    await controlConforms(await sim.http.post('/__mock/clock/advance').send({ ms: 60_000 }));
    const record = (await status(sim, id)).body.data;
    expect(record).toMatchObject({ status: 'FAILED', consumed_credits: 0 });
    expect(record.error_message).toMatch(/abandoned/);
    expect(await sim.balance()).toBe(1000);
  });
});

describe('the journal is bounded by bytes and read in pages (item 7)', () => {
  // A prompt over 1,500 characters is refused (400), and journaled with its body: 8 KB an entry.
  const body = (i: number) => ({ prompt: `${i} ${'x'.repeat(8_000)}`, aspectRatio: '1:1', quality: 'basic' });

  it('with --journal-max-mb 1, 8 KB requests keep the journal under a mebibyte', async () => {
    const sim = await testSimulator(['--journal-size=100000', '--journal-max-mb=1']);
    for (let i = 0; i < 400; i++) {
      const res = await sim.http.post('/api/generate').set(sim.auth()).send(body(i));
      expect(res.status).toBe(400);
    }
    const stats = await sim.store.stats();
    expect(stats.journalBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.journalEntries).toBeLessThan(400);
    expect(stats.journalEntries).toBeGreaterThan(50);
    const newest = await journal(sim, { limit: '1' });
    expect(String(newest.entries[0]!.request_body)).toMatch(/^\{"prompt":"399 x/);
  });

  it('a read of 10,000 entries is a page of 500 with a cursor, and the pages add up to the journal', async () => {
    const sim = await testSimulator(['--journal-size=2000']);
    for (let i = 0; i < 1_200; i++)
      await sim.http.get('/api/status').query({ task_id: `sd45_${String(i).padStart(16, '0')}` });
    const seen: number[] = [];
    let before: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await controlConforms(
        await sim.http.get('/__mock/journal').query({ limit: '10000', ...(before ? { before } : {}) }),
      );
      const { entries, next } = res.body.data as { entries: Array<{ id: number }>; next?: number };
      expect(entries.length).toBeLessThanOrEqual(500);
      seen.push(...entries.map((e) => e.id));
      if (next === undefined) break;
      before = String(next);
    }
    expect(seen).toHaveLength(1_200);
    expect(new Set(seen).size).toBe(1_200);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });
});

describe("a key's ledger adds up (item 8)", () => {
  it('the balance is the sum of the entries shown, after refunds, sets and a limit', async () => {
    const sim = await testSimulator();
    for (let i = 0; i < 10; i++)
      await generate(sim, i % 2 ? { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '0' } : {});
    await sim.http.put(`/__mock/accounts/${DEV_KEY}`).send({ balance: 777 });
    for (let i = 0; i < 3; i++) await generate(sim);
    const { balance, ledger } = (await controlConforms(await sim.http.get(`/__mock/accounts/${DEV_KEY}`)))
      .body.data as { balance: number; ledger: Array<{ amount: number }> };
    expect(ledger.reduce((sum, e) => sum + e.amount, 0)).toBe(balance);
  });
});

describe('the clock cannot pass what the simulator can represent (item 9)', () => {
  it('an advance past 9000-01-01 is refused with a 400 that says so, and changes nothing', async () => {
    const sim = await testSimulator();
    sim.advance(LIMIT - sim.clock.now() - 1_000); // a second before the limit
    const before = sim.clock.now();
    const refused = await controlConforms(
      await sim.http.post('/__mock/clock/advance').send({ ms: 31_536_000_000 }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/9000-01-01T00:00:00Z/);
    expect(sim.clock.now()).toBe(before);
    // Everything still works and still matches the spec at the edge of time.
    const id = (await generate(sim)).body.data.task_id as string;
    expect((await status(sim, id)).body.data.created_at).toMatch(/^8999-12-31T23:59:59Z$/);
    const exact = await controlConforms(await sim.http.post('/__mock/clock/advance').send({ ms: 1_000 }));
    expect(exact.status).toBe(200);
    expect((await controlConforms(await sim.http.post('/__mock/clock/advance').send({ ms: 1 }))).status).toBe(
      400,
    );
  });
});

describe('task ids never come back after a restart, and the seed is not public (item 14)', () => {
  const firstId = async (args: string[]) => {
    const sim = await testSimulator(args);
    return (await generate(sim)).body.data.task_id as string;
  };

  it('a restarted simulator with the same seed hands out new ids', async () => {
    const ids = await Promise.all([firstId(['--seed=restart']), firstId(['--seed=restart'])]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('--exact-replay on replays the same ids, for runs that ask for it', async () => {
    const ids = await Promise.all([
      firstId(['--seed=restart', '--exact-replay=on']),
      firstId(['--seed=restart', '--exact-replay=on']),
    ]);
    expect(ids[0]).toBe(ids[1]);
  });

  it('within one run, a reset still replays the same ids', async () => {
    const sim = await testSimulator(['--seed=restart']);
    const first = (await generate(sim)).body.data.task_id as string;
    await sim.http.post('/__mock/reset');
    expect((await generate(sim)).body.data.task_id).toBe(first);
  });

  it('health shows the seed only to callers with the control token', async () => {
    const sim = await testSimulator(['--seed=secret-seed', '--control-token=t0ken']);
    const open = await controlConforms(await sim.http.get('/__mock/health'));
    expect(open.status).toBe(200);
    expect(JSON.stringify(open.body)).not.toContain('secret-seed');
    const withToken = await controlConforms(
      await sim.http.get('/__mock/health').set('X-Mock-Token', 't0ken'),
    );
    expect(withToken.body.data.seed).toBe('secret-seed');
  });
});
