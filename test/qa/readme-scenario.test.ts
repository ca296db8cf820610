/**
 * The QA guide's "A bad day, with curl" (docs/guides/qa.md; in the README before), as one test and with HTTP calls only (public API and /__mock):
 * the next two generates fail with 500 and the third succeeds; a task fails after five seconds and
 * its credits come back; a key is drained to 402; polling too fast gets 429 (default limits); and it
 * is all read back from the journal.
 */
import { expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator } from '../support/harness.js';
import { BODY, controlConforms, journal } from './qa-support.js';

it('a bad day, reproduced and read back through HTTP alone', async () => {
  // The documented defaults: 20 generate calls and 60 status calls per 10 s per key.
  const sim = await testSimulator(['--rate-limit=generate=20/10s,status=60/10s']);
  const KEY = { Authorization: `Bearer ${DEV_KEY}` };
  const POOR = { Authorization: 'Bearer sk-qa-poor' };
  const gen = async (auth: Record<string, string>, headers: Record<string, string> = {}) =>
    sim.conforms(await sim.http.post('/api/generate').set(auth).set(headers).send(BODY));
  const poll = async (taskId: string) =>
    sim.conforms(await sim.http.get('/api/status').query({ task_id: taskId }).set(KEY));
  const account = async (key: string) =>
    (await controlConforms(await sim.http.get(`/__mock/accounts/${key}`))).body.data;

  // 1. The next two generate calls fail with 500, the third succeeds.
  const rule = await controlConforms(
    await sim.http
      .post('/__mock/faults')
      .send({ match: { method: 'POST', path: '/api/generate' }, action: { status: 500 }, times: 2 }),
  );
  expect(rule.status).toBe(201);
  const three = [await gen(KEY), await gen(KEY), await gen(KEY)];
  expect(three.map((r) => r.status)).toEqual([500, 500, 200]);
  expect(three.map((r) => r.headers['x-mock-injected'])).toEqual(['rule_1', 'rule_1', undefined]);
  expect((await account(DEV_KEY)).balance).toBe(988);

  // 2. A task that fails after five seconds, and its credits coming back.
  const failing = await gen(KEY, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '5000' });
  expect(failing.status).toBe(200);
  const taskId = failing.body.data.task_id as string;
  const charged = await account(DEV_KEY);
  expect(charged.balance).toBe(976);
  expect(charged.ledger.at(-1)).toMatchObject({ kind: 'debit', amount: -12, task_id: taskId });
  const advanced = await controlConforms(await sim.http.post('/__mock/clock/advance').send({ ms: 5000 }));
  expect(advanced.status).toBe(200);
  const failed = (await poll(taskId)).body.data;
  expect(failed).toMatchObject({ task_id: taskId, status: 'FAILED', consumed_credits: 0, response: [] });
  const refunded = await account(DEV_KEY);
  expect(refunded.balance).toBe(988);
  expect(refunded.ledger.at(-1)).toMatchObject({
    kind: 'refund',
    amount: 12,
    task_id: taskId,
    balance_after: 988,
  });

  // 3. Drain a key to get 402.
  const created = await controlConforms(
    await sim.http.put('/__mock/accounts/sk-qa-poor').send({ balance: 20 }),
  );
  expect(created.status).toBe(200);
  const paid = await gen(POOR);
  expect(paid.status).toBe(200);
  expect((await account('sk-qa-poor')).balance).toBe(8);
  const broke = await gen(POOR);
  expect(broke.status).toBe(402);
  expect(broke.body.data).toEqual({ type: 'insufficient_credits', required_credits: 12, balance: 8 });
  expect((await account('sk-qa-poor')).balance).toBe(8);

  // 4. Poll too fast to get 429: one poll spent above, 59 left in the bucket.
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<typeof poll>> | undefined;
  for (let i = 0; i < 70; i++) {
    const res = await poll(taskId);
    statuses.push(res.status);
    if (res.status === 429) limited ??= res;
  }
  expect(statuses.slice(0, 59).every((s) => s === 200)).toBe(true);
  expect(statuses.slice(59).every((s) => s === 429)).toBe(true);
  expect(limited!.headers['retry-after']).toBe('1');
  expect(limited!.headers['x-ratelimit-limit']).toBe('60');
  expect(limited!.headers['x-ratelimit-remaining']).toBe('0');

  // 5. Read it all back.
  const recent = await journal(sim, { limit: '20' });
  expect(recent.entries).toHaveLength(20);
  expect(recent.entries[0]).toMatchObject({ path: '/api/status', status: 429, task_id: taskId });

  const errors5xx = (await journal(sim, { status: '5xx' })).entries;
  expect(errors5xx.map((e) => [e.method, e.path, e.status, e.injected, e.task_id])).toEqual([
    ['POST', '/api/generate', 500, 'rule_1', null],
    ['POST', '/api/generate', 500, 'rule_1', null],
  ]);

  const limitedEntries = (await journal(sim, { status: '429', apiKey: DEV_KEY })).entries;
  expect(limitedEntries).toHaveLength(11);
  expect(limitedEntries.every((e) => e.injected === 'rate-limit' && e.api_key === 'sk-d…-dev#d88b21')).toBe(
    true,
  );

  const refusedPayment = (await journal(sim, { status: '402' })).entries;
  expect(refusedPayment).toHaveLength(1);
  expect(refusedPayment[0]).toMatchObject({ path: '/api/generate', task_id: null, injected: null });
  expect((await journal(sim, { apiKey: 'sk-qa-poor' })).entries.map((e) => e.status)).toEqual([402, 200]);

  const ofTask = (await journal(sim, { taskId, limit: '1000' })).entries;
  expect(ofTask.at(-1)).toMatchObject({ method: 'POST', path: '/api/generate', status: 200 });
  expect(ofTask.at(-2)!.response_body).toMatchObject({ data: { status: 'FAILED', consumed_credits: 0 } });
  expect(ofTask).toHaveLength(1 + 1 + 70);

  const everything = JSON.stringify(await journal(sim, { limit: '1000' }));
  expect(everything).not.toContain(DEV_KEY);
  expect(everything).not.toContain('sk-qa-poor');
});
