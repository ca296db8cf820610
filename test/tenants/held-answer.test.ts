/**
 * An answer QA holds (X-Mock-Delay-Ms, a rule's delayMs) is decided before the hold; if its tenant is
 * dropped meanwhile (by its credential, the operator, the idle sweep, or another replica of a fleet),
 * the decided answer would be a lie: a 200 with a task id nobody can ever poll. It gets what a retry
 * would get instead: 401, the key belonging to no world any more, journaled where a retry would be.
 * The hold is real time: the test fakes the timers rather than wait for it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;
const HOLD_MS = 60_000;

async function tenantOf(sim: TestSimulator): Promise<{ id: string; key: string; token: string }> {
  const created = await sim.http.post('/__mock/tenants').send({ clock: 'virtual' });
  expect(created.status).toBe(201);
  return {
    id: created.body.data.tenant.id,
    key: created.body.data.keys[0].apiKey,
    token: created.body.data.token,
  };
}

/** Sends a request and resolves once its answer is held (its tasks show the generate, or its poll). */
async function heldUntil(
  sim: TestSimulator,
  send: () => PromiseLike<{ status: number; body: { message: string; data: unknown } }>,
  processed: () => Promise<boolean>,
) {
  const answer = Promise.resolve(send());
  // Turns of the event loop, not time: the request is processed in a few of them.
  for (let turn = 0; !(await processed()); turn++) {
    if (turn > 10_000) throw new Error('the request was never processed');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { answer }; // wrapped: an async function returning the promise itself would wait for it
}

describe('a held answer whose tenant was dropped meanwhile', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a generate answers 401 instead of 200 with a task id that can never be polled (dropped here)', async () => {
    const sim = await testSimulator([`--max-delay-ms=${HOLD_MS}`]);
    const tenant = await tenantOf(sim);
    const world = async () => (await sim.tenancy.worldById(tenant.id)).simulator;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { answer } = await heldUntil(
      sim,
      () =>
        sim.http
          .post('/api/generate')
          .set({ Authorization: `Bearer ${tenant.key}`, 'X-Mock-Delay-Ms': String(HOLD_MS) })
          .send(BODY),
      async () => (await (await world()).countTasks()) === 1,
    );
    const dropped = await sim.http.delete(`/__mock/tenants/${tenant.id}`).set('X-Mock-Token', tenant.token);
    expect(dropped.status).toBe(200);
    await vi.advanceTimersByTimeAsync(HOLD_MS);
    const res = await answer;
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 401, data: { type: 'unauthorized' } });
    expect(res.body.message).toMatch(/dropped/);
    // What a retry gets, and where it is journaled: the default world, as the key is nobody's.
    vi.useRealTimers();
    const retry = await sim.http
      .post('/api/generate')
      .set({ Authorization: `Bearer ${tenant.key}` })
      .send(BODY);
    expect(retry.status).toBe(401);
    const journal = await sim.http.get('/__mock/journal').query({ path: '/api/generate' });
    expect(journal.body.data.entries.map((e: { status: number }) => e.status)).toEqual([401, 401]);
  });

  it('a status poll answers 401 too, when another replica dropped the tenant (only the store knows)', async () => {
    const sim = await testSimulator([`--max-delay-ms=${HOLD_MS}`]);
    const tenant = await tenantOf(sim);
    const gen = await sim.http
      .post('/api/generate')
      .set({ Authorization: `Bearer ${tenant.key}` })
      .send(BODY);
    expect(gen.status).toBe(200);
    const taskId = gen.body.data.task_id as string;
    const polls = async () =>
      (await (await sim.tenancy.worldById(tenant.id)).simulator.listTasks({}))[0]?.polls;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { answer } = await heldUntil(
      sim,
      () =>
        sim.http
          .get('/api/status')
          .query({ task_id: taskId })
          .set({ Authorization: `Bearer ${tenant.key}`, 'X-Mock-Delay-Ms': String(HOLD_MS) }),
      async () => (await polls()) === 1,
    );
    // Straight in the shared store, as another replica's drop (or its idle sweep) would be.
    expect(await sim.backend.deleteWorld(tenant.id)).toBe(true);
    await vi.advanceTimersByTimeAsync(HOLD_MS);
    const res = await answer;
    expect(res.status).toBe(401);
  });

  it('a held answer of a tenant still there is the one decided', async () => {
    const sim = await testSimulator([`--max-delay-ms=${HOLD_MS}`]);
    const tenant = await tenantOf(sim);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { answer } = await heldUntil(
      sim,
      () =>
        sim.http
          .post('/api/generate')
          .set({ Authorization: `Bearer ${tenant.key}`, 'X-Mock-Delay-Ms': String(HOLD_MS) })
          .send(BODY),
      async () => (await (await sim.tenancy.worldById(tenant.id)).simulator.countTasks()) === 1,
    );
    await vi.advanceTimersByTimeAsync(HOLD_MS);
    expect((await answer).status).toBe(200);
  });
});
