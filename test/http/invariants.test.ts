/** GET /__mock/invariants over HTTP: the books hold after a busy run, and a broken book is named. */
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import type { MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { controlConforms, generate } from '../qa/qa-support.js';
import { testSimulator } from '../support/harness.js';

describe('GET /__mock/invariants', () => {
  it('holds after generates, failures and refunds, forced ends, a set balance and a clock jump', async () => {
    const sim = await testSimulator();
    for (let i = 0; i < 6; i++) await generate(sim, i % 2 ? { 'X-Mock-Outcome': 'failed' } : {});
    const forced = (await generate(sim, { 'X-Mock-Duration-Ms': '86400000' })).body.data.task_id as string;
    await sim.http.post(`/__mock/tasks/${forced}/fail`).send({});
    await sim.http.put(`/__mock/accounts/${DEV_KEY}`).send({ balance: 500 });
    await sim.http.post('/__mock/clock/advance').send({ ms: 3_600_000 });
    const res = await controlConforms(await sim.http.get('/__mock/invariants'));
    expect(res.body.data).toEqual({
      ok: true,
      checked: { accounts: 1, tasks: 7, entries: 13 },
      problems: [],
    });
  });

  it('names a balance changed behind the ledger, and a refund paid twice', async () => {
    const sim = await testSimulator();
    const id = (await generate(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '0' })).body.data
      .task_id as string;
    await sim.http.get(`/__mock/tasks/${id}`); // settles it: refunded once
    // Break the books from inside, as a bug in a store would.
    const store = sim.store as MemoryStore;
    const owner = ownerOf(DEV_KEY);
    (store as unknown as { accounts: Map<string, { balance: number }> }).accounts.get(owner)!.balance += 5;
    (store as unknown as { ledgers: Map<string, object[]> }).ledgers
      .get(owner)!
      .push({ at: 0, kind: 'refund', amount: 12, balanceAfter: 1017, taskId: id });
    const res = await controlConforms(await sim.http.get('/__mock/invariants'));
    expect(res.body.data.ok).toBe(false);
    expect(res.body.data.problems.map((p: { kind: string }) => p.kind).sort()).toEqual([
      'balance_mismatch',
      'double_refund',
    ]);
    expect(JSON.stringify(res.body)).not.toContain(DEV_KEY);
  });
});
