/**
 * A request's QA headers and the fault rules together (qa/fault-composition.ts; docs/guides/qa.md,
 * "Headers and rules together"), over HTTP. A header that only shapes the task or holds the answer
 * does not hide the rules nor chaos; a header that forces the answer decides alone and spends nothing;
 * a task shaped by both takes each field from the header where it sets one; the hold is the header's
 * when it asks one, else the rule's; X-Mock-Injected names the rule whenever a rule acted.
 *
 * Before the composition, a request with only a shaping header was never subject to the rules nor to
 * chaos: "the next two generates fail with 500" did nothing for a client that always shapes its tasks.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  CLOCK_START,
  PRICE,
  START_BALANCE,
  addRule,
  controlConforms,
  generate,
  journal,
  listen,
  newTask,
  rawRequest,
  resetBeforeEach,
  status,
  taskView,
  type Listening,
} from './qa-support.js';

const SHAPING = { 'X-Mock-Duration-Ms': '5000', 'X-Mock-Outcome': 'failed' };

const base = resetBeforeEach(['--max-delay-ms=10000']);
let sim: TestSimulator;
beforeEach(() => {
  sim = base();
});

async function rules() {
  const res = await controlConforms(await sim.http.get('/__mock/faults'));
  expect(res.status).toBe(200);
  return res.body.data.rules as Array<{ id: string; times_left: number | null; hits: number }>;
}

const readyAt = (ms: number) => new Date(CLOCK_START + ms).toISOString();

describe('a rule that forces the answer, and a request that only shapes its task', () => {
  it('the rule answers its status and is spent; its answers deduct nothing and make no task', async () => {
    const rule = await addRule(sim, {
      match: { method: 'POST', path: '/api/generate' },
      action: { status: 500 },
      times: 2,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await generate(sim, SHAPING);
      statuses.push(res.status);
      if (res.status === 500) expect(res.headers['x-mock-injected']).toBe(rule.id);
    }
    expect(statuses).toEqual([500, 500, 200]);
    expect(await rules()).toEqual([]); // retired after its two hits
    expect(await sim.taskCount()).toBe(1);
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    // The third, which the rule let through, was shaped by its headers.
    const [shaped] = (await journal(sim, { status: '200' })).entries;
    const view = await taskView(sim, shaped!.task_id!);
    expect(view.plan).toMatchObject({ outcome: 'failed', ready_at: readyAt(5000) });
  });

  it('a rule that breaks the connection does so for a shaping request too', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { fault: 'reset' }, times: 1 });
    let server: Listening | undefined;
    try {
      server = await listen(sim);
      const outcome = await rawRequest(server.port, { headers: SHAPING, body: BODY });
      expect(outcome.kind, JSON.stringify(outcome)).toBe('error');
    } finally {
      await server?.close();
    }
    expect(await rules()).toEqual([]);
    expect(await sim.taskCount()).toBe(0);
  });

  it("a header's delay holds the rule's status", async () => {
    const rule = await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 } });
    const started = performance.now();
    const res = await generate(sim, { 'X-Mock-Delay-Ms': '60' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(res.status).toBe(500);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
    expect((await rules())[0]).toMatchObject({ hits: 1 });
  });

  it("a header's delay wins over the rule's: X-Mock-Delay-Ms: 0 answers without the rule's hold", async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500, delayMs: 10_000 } });
    const started = performance.now();
    const res = await generate(sim, { 'X-Mock-Delay-Ms': '0' });
    expect(res.status).toBe(500);
    // Held for the rule's 10 s, the answer would come after the bound below (far above any load).
    expect(performance.now() - started).toBeLessThan(5_000);
  }, 20_000);
});

describe('a rule that shapes the task, and a request that shapes it too', () => {
  it('takes each field from the header where it sets one, else from the rule; the rule is spent', async () => {
    const rule = await addRule(sim, {
      match: { path: '/api/generate' },
      action: { task: { outcome: 'failed', errorMessage: 'Rule says no', durationMs: 5000 } },
      times: 1,
    });
    const res = await generate(sim, { 'X-Mock-Duration-Ms': '1000' });
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
    const taskId = res.body.data.task_id as string;
    expect((await taskView(sim, taskId)).plan).toMatchObject({
      outcome: 'failed',
      error_message: 'Rule says no',
      ready_at: readyAt(1000),
    });
    sim.advance(1000);
    expect((await status(sim, taskId)).body.data).toMatchObject({
      status: 'FAILED',
      error_message: 'Rule says no',
    });
    expect(await rules()).toEqual([]);
    expect((await journal(sim, { operation: 'createGenerationTask' })).entries[0]!.injected).toBe(rule.id);
  });

  it("the header's outcome wins over the rule's; the rule's duration stays", async () => {
    await addRule(sim, { action: { task: { outcome: 'failed', durationMs: 5000 } }, times: 1 });
    const taskId = await newTask(sim, { 'X-Mock-Outcome': 'success' });
    expect((await taskView(sim, taskId)).plan).toMatchObject({
      outcome: 'success',
      ready_at: readyAt(5000),
    });
  });

  it('a rule that only holds the answer holds a shaping request, which keeps its shape', async () => {
    const rule = await addRule(sim, { match: { path: '/api/generate' }, action: { delayMs: 60 }, times: 1 });
    const started = performance.now();
    const res = await generate(sim, SHAPING);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
    expect((await taskView(sim, res.body.data.task_id as string)).plan).toMatchObject({
      outcome: 'failed',
      ready_at: readyAt(5000),
    });
    expect(await rules()).toEqual([]);
  });

  it('without a rule, a shaping request is marked as injected by its header', async () => {
    const res = await generate(sim, SHAPING);
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe('header');
  });
});

describe('a header that forces the answer decides alone', () => {
  it('X-Mock-Status answers, and neither a status rule nor a task rule is spent', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
    await addRule(sim, { action: { task: { outcome: 'failed' } }, times: 1 });
    const res = await generate(sim, { 'X-Mock-Status': '402', 'X-Mock-Outcome': 'success' });
    expect(res.status).toBe(402);
    expect(res.headers['x-mock-injected']).toBe('header');
    expect(await rules()).toEqual([
      expect.objectContaining({ id: 'rule_1', times_left: 1, hits: 0 }),
      expect.objectContaining({ id: 'rule_2', times_left: 1, hits: 0 }),
    ]);
  });

  it('X-Mock-Fault breaks the connection, and the rule is not spent', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
    let server: Listening | undefined;
    try {
      server = await listen(sim);
      const outcome = await rawRequest(server.port, {
        headers: { 'X-Mock-Fault': 'reset' },
        body: BODY,
      });
      expect(outcome.kind, JSON.stringify(outcome)).toBe('error');
    } finally {
      await server?.close();
    }
    expect(await rules()).toEqual([expect.objectContaining({ times_left: 1, hits: 0 })]);
    expect(await sim.taskCount()).toBe(0);
  });
});

describe('chaos and the headers', () => {
  let chaotic: TestSimulator | undefined;
  const chaos = async () => {
    chaotic ??= await testSimulator(['--chaos=500=1']);
    expect((await chaotic.http.post('/__mock/reset')).status).toBe(200);
    return chaotic;
  };
  it('chaos applies to a request that only shapes its task', async () => {
    const c = await chaos();
    const res = await generate(c, SHAPING);
    expect(res.status).toBe(500);
    expect(res.headers['x-mock-injected']).toBe('chaos');
    expect(await c.taskCount()).toBe(0);
  });

  it('chaos applies to a request that only holds its answer', async () => {
    const c = await chaos();
    const res = await generate(c, { 'X-Mock-Delay-Ms': '1' });
    expect(res.status).toBe(500);
    expect(res.headers['x-mock-injected']).toBe('chaos');
  });

  it('a forced header status is answered without a draw', async () => {
    const c = await chaos();
    const res = await generate(c, { 'X-Mock-Status': '402' });
    expect(res.status).toBe(402);
    expect(res.headers['x-mock-injected']).toBe('header');
  });

  it('a rule that forces the answer acts before chaos, for a shaping request too', async () => {
    const c = await chaos();
    const rule = await addRule(c, { match: { path: '/api/generate' }, action: { status: 429 }, times: 1 });
    const res = await generate(c, SHAPING);
    expect(res.status).toBe(429);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
  });
});
