/**
 * Fault rules through /__mock/faults: create, list, delete one, clear; matching on method, path and
 * key; `times` retiring a rule; `probability` drawn from the seeded stream (the same seed fails the
 * same requests, and the share is near p); actions: status, network fault (network-faults.test.ts),
 * delay and task scenario. Forced errors never move a balance or create a task.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  OTHER_KEY,
  PRICE,
  START_BALANCE,
  addRule,
  controlConforms,
  generate,
  journal,
  newTask,
  resetBeforeEach,
  status,
  taskView,
} from './qa-support.js';

const base = resetBeforeEach([`--key=${OTHER_KEY}=100`, '--max-delay-ms=1000']);
let sim: TestSimulator;
beforeEach(() => {
  sim = base();
});

async function rules(target: TestSimulator = sim) {
  const res = await controlConforms(await target.http.get('/__mock/faults'));
  expect(res.status).toBe(200);
  return res.body.data.rules as Array<{ id: string; times_left: number | null; hits: number }>;
}

describe('the /__mock/faults endpoints', () => {
  it('creates a rule: 201, the spec envelope, an id, times_left, probability and hits', async () => {
    const res = await controlConforms(
      await sim.http
        .post('/__mock/faults')
        .send({ match: { method: 'POST', path: '/api/generate' }, action: { status: 500 }, times: 2 }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      code: 201,
      message: 'success',
      data: {
        id: 'rule_1',
        match: { method: 'POST', path: '/api/generate' },
        action: { status: 500 },
        times_left: 2,
        probability: null,
        hits: 0,
      },
    });
  });

  it('redacts the key a rule matches on: the raw key is never echoed', async () => {
    const res = await controlConforms(
      await sim.http.post('/__mock/faults').send({ match: { apiKey: DEV_KEY }, action: { status: 500 } }),
    );
    expect(res.body.data.match.apiKey).toBe('sk-d…-dev#d88b21');
    expect(JSON.stringify(res.body)).not.toContain(DEV_KEY);
    expect(JSON.stringify(await rules())).not.toContain(DEV_KEY);
  });

  it('lists the rules in the order they are tried', async () => {
    await addRule(sim, { match: { path: '/api/status' }, action: { status: 404 } });
    await addRule(sim, { action: { delayMs: 10 }, probability: 0.5 });
    const listed = await rules();
    expect(listed.map((r) => r.id)).toEqual(['rule_1', 'rule_2']);
    expect(listed[1]).toMatchObject({ probability: 0.5, times_left: null, action: { delayMs: 10 } });
  });

  it('deletes one rule (200, removed 1), then 404 for it; 400 for a malformed id', async () => {
    await addRule(sim, { action: { status: 500 } });
    await addRule(sim, { action: { status: 429 } });
    const removed = await controlConforms(await sim.http.delete('/__mock/faults/rule_1'));
    expect(removed.status).toBe(200);
    expect(removed.body.data).toEqual({ removed: 1 });
    expect((await rules()).map((r) => r.id)).toEqual(['rule_2']);
    const again = await controlConforms(await sim.http.delete('/__mock/faults/rule_1'));
    expect(again.status).toBe(404);
    const malformed = await controlConforms(await sim.http.delete('/__mock/faults/not-a-rule'));
    expect(malformed.status).toBe(400);
  });

  it('clears every rule and says how many; requests behave normally again', async () => {
    await addRule(sim, { action: { status: 500 } });
    await addRule(sim, { action: { status: 429 } });
    const cleared = await controlConforms(await sim.http.delete('/__mock/faults'));
    expect(cleared.status).toBe(200);
    expect(cleared.body.data).toEqual({ removed: 2 });
    expect(await rules()).toEqual([]);
    expect((await generate(sim)).status).toBe(200);
  });

  it.each([
    ['no action', { match: { path: '/api/generate' } }],
    ['an empty action', { action: {} }],
    ['times 0', { action: { status: 500 }, times: 0 }],
    ['probability above 1', { action: { status: 500 }, probability: 1.5 }],
    ['a path that is not a public route', { match: { path: '/api/other' }, action: { status: 500 } }],
    ['an unknown method', { match: { method: 'PATCH' }, action: { status: 500 } }],
    ['an unknown network fault', { action: { fault: 'explode' } }],
    ['a status below 400', { action: { status: 302 } }],
    ['an unknown field', { action: { status: 500 }, when: 'always' }],
    ['a task scenario with polls 0', { action: { task: { completeOnPoll: 0 } } }],
  ])('refuses %s with 400', async (_name, input) => {
    const res = await controlConforms(await sim.http.post('/__mock/faults').send(input));
    expect(res.status).toBe(400);
    expect(await rules()).toEqual([]);
  });

  // BUG: control-handlers.ts createFaultRule adds any status from 400 to 599, although the spec says an
  // action's status is "An error status the spec lists for the matched route"; fault-injection.ts then
  // answers e.g. 502 "Forced status 502", a status openapi.yaml does not list for the route.
  it.each([
    ['502, which no public route lists', { action: { status: 502 } }],
    [
      '404 on /api/generate, which generate does not list',
      { match: { path: '/api/generate' }, action: { status: 404 } },
    ],
  ])('refuses a rule with status %s, as X-Mock-Status does', async (_name, input) => {
    const res = await controlConforms(await sim.http.post('/__mock/faults').send(input));
    expect.soft(res.status, `rule accepted: ${JSON.stringify(res.body)}`).toBe(400);
    // Whatever the rules, every public answer must conform to openapi.yaml.
    sim.conforms(await sim.http.post('/api/generate').set(sim.auth()).send(BODY));
  });
});

describe('a rule that cannot act is refused, saying why', () => {
  // Each of these was accepted (201) and acted as its status alone, or never fired nor retired.
  it.each([
    [
      'status and task',
      { action: { status: 500, task: { outcome: 'failed' } } },
      'body.action',
      /status and task cannot go together: a forced status answers before any task exists; make two rules/,
    ],
    [
      'status and fault',
      { action: { status: 500, fault: 'reset' } },
      'body.action',
      /status and fault cannot go together/,
    ],
    [
      'fault and task',
      { action: { fault: 'reset', task: { outcome: 'failed' } } },
      'body.action',
      /fault and task cannot go together/,
    ],
    [
      'a task matched to /api/status',
      { match: { path: '/api/status' }, action: { task: { outcome: 'failed' } } },
      'body.action.task',
      /only POST \/api\/generate creates a task/,
    ],
    [
      'a task matched to GET only (the status route)',
      { match: { method: 'GET' }, action: { task: { outcome: 'failed' } }, times: 1 },
      'body.action.task',
      /only POST \/api\/generate creates a task/,
    ],
    [
      'a match that reaches no route (GET /api/generate)',
      { match: { method: 'GET', path: '/api/generate' }, action: { fault: 'reset' } },
      'body.match',
      /reaches no route/,
    ],
    [
      'retryAfterSeconds with status 500',
      { action: { status: 500, retryAfterSeconds: 5 } },
      'body.action.retryAfterSeconds',
      /429 or 503/,
    ],
    [
      'retryAfterSeconds with a fault',
      { action: { fault: 'reset', retryAfterSeconds: 5 } },
      'body.action.retryAfterSeconds',
      /429 or 503/,
    ],
    [
      'message without a status',
      { action: { fault: 'empty', message: 'Upstream said no' } },
      'body.action.message',
      /give a status/,
    ],
  ])('refuses %s with 400, and stores nothing', async (_name, input, field, message) => {
    const res = await controlConforms(await sim.http.post('/__mock/faults').send(input));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.data.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(await rules()).toEqual([]);
  });

  it.each([
    [
      'a task with a delay on the generate',
      { match: { path: '/api/generate' }, action: { task: { outcome: 'failed' }, delayMs: 5 } },
    ],
    ['a task with no match (it waits for a generate)', { action: { task: { durationMs: 10 } } }],
    ['a task matched to POST only', { match: { method: 'POST' }, action: { task: { outcome: 'failed' } } }],
    ['a status with a delay', { action: { status: 500, delayMs: 5 } }],
    ['a fault with a delay', { action: { fault: 'reset', delayMs: 5 } }],
    ['a 429 with Retry-After', { action: { status: 429, retryAfterSeconds: 3 } }],
    ['a 503 with Retry-After', { action: { status: 503, retryAfterSeconds: 3 } }],
    ['a status with its message', { action: { status: 500, message: 'Upstream said no' } }],
    ['a delay on GET /api/status', { match: { method: 'GET', path: '/api/status' }, action: { delayMs: 5 } }],
  ])('still accepts %s', async (_name, input) => {
    await addRule(sim, input);
  });

  it('a forced 503 carries Retry-After: retryAfterSeconds', async () => {
    await addRule(sim, { action: { status: 503, retryAfterSeconds: 9 } });
    const res = await generate(sim);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('9');
  });

  it('POST /__mock/scenario refuses the same rules, whole, naming each', async () => {
    const res = await controlConforms(
      await sim.http.post('/__mock/scenario').send({
        format: 'dreamcore-scenario',
        version: 1,
        rules: [
          { action: { status: 500 } },
          { action: { status: 500, task: { outcome: 'failed' } } },
          { match: { path: '/api/status' }, action: { task: { outcome: 'failed' } } },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.data.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.rules[1].action',
      'body.rules[2].action.task',
    ]);
    expect(await rules()).toEqual([]);
  });

  it('--scenario refuses them at start, naming the rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dreamcore-rules-'));
    try {
      const file = join(dir, 'dead.scenario.json');
      writeFileSync(
        file,
        JSON.stringify({
          format: 'dreamcore-scenario',
          version: 1,
          rules: [{ action: { fault: 'hang', task: { outcome: 'failed' } } }],
        }),
      );
      await expect(testSimulator([`--scenario=${file}`])).rejects.toThrow(
        /rules\[0\]\.action fault and task cannot go together/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('matching', () => {
  it('by method: a GET-only rule leaves POST /api/status alone', async () => {
    const taskId = await newTask(sim);
    await addRule(sim, { match: { method: 'GET' }, action: { status: 500 } });
    expect((await status(sim, taskId)).status).toBe(500);
    const post = sim.conforms(await sim.http.post('/api/status').set(sim.auth()).send({ task_id: taskId }));
    expect(post.status).toBe(200);
    expect((await generate(sim)).status).toBe(200);
  });

  it('by path: a status rule leaves generate alone', async () => {
    const taskId = await newTask(sim);
    await addRule(sim, { match: { path: '/api/status' }, action: { status: 404 } });
    expect((await generate(sim)).status).toBe(200);
    const res = await status(sim, taskId);
    expect(res.status).toBe(404);
    expect(res.headers['x-mock-injected']).toBe('rule_1');
  });

  it('by key: another key is unaffected', async () => {
    await addRule(sim, { match: { apiKey: DEV_KEY }, action: { status: 500 } });
    expect((await generate(sim, {}, BODY, OTHER_KEY)).status).toBe(200);
    expect(await sim.balance(OTHER_KEY)).toBe(100 - PRICE);
    const res = await generate(sim);
    expect(res.status).toBe(500);
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  it('by key: a request without a key does not match a keyed rule', async () => {
    await addRule(sim, { match: { apiKey: DEV_KEY }, action: { status: 500 } });
    const res = sim.conforms(await sim.http.post('/api/generate').send(BODY));
    expect(res.status).toBe(401);
  });

  it('a rule with no match acts on every public route', async () => {
    await addRule(sim, { action: { status: 500 } });
    expect((await generate(sim)).status).toBe(500);
    expect((await status(sim, 'sd45_0123456789abcdef')).status).toBe(500);
  });

  // A rule acts for a key the world knows: an anonymous request (a stray curl, a health prober) gets
  // the real API's 401 and neither spends the rule's `times` nor shifts the seeded draws (issue 18).
  it('a request without a valid key gets 401 and spends no rule', async () => {
    await addRule(sim, { action: { status: 500 }, times: 1 });
    expect(sim.conforms(await sim.http.post('/api/generate').send(BODY)).status).toBe(401);
    expect((await generate(sim, {}, BODY, 'sk-not-a-known-key')).status).toBe(401);
    expect(await rules()).toEqual([expect.objectContaining({ times_left: 1, hits: 0 })]);
    expect((await generate(sim)).status).toBe(500);
  });

  it('the first matching rule acts', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 402 } });
    await addRule(sim, { action: { status: 500 } });
    const res = await generate(sim);
    expect(res.status).toBe(402);
    expect(res.headers['x-mock-injected']).toBe('rule_1');
    expect((await rules()).map((r) => r.hits)).toEqual([1, 0]);
  });

  it('a header acts before any rule, and the rule is not consumed', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
    const res = await generate(sim, { 'X-Mock-Status': '402' });
    expect(res.status).toBe(402);
    expect(res.headers['x-mock-injected']).toBe('header');
    expect(await rules()).toEqual([expect.objectContaining({ times_left: 1, hits: 0 })]);
  });
});

describe('times', () => {
  it('times: 2 -> the next two generates fail with 500, the third succeeds (README scenario)', async () => {
    const rule = await addRule(sim, {
      match: { method: 'POST', path: '/api/generate' },
      action: { status: 500 },
      times: 2,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await generate(sim)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    expect(await sim.taskCount()).toBe(1);
    expect(await rules()).toEqual([]); // retired after its two hits
    const failures = (await journal(sim, { status: '500' })).entries;
    expect(failures.map((e) => e.injected)).toEqual([rule.id, rule.id]);
  });

  it('counts down times_left and hits as it acts', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, times: 3 });
    await generate(sim);
    expect(await rules()).toEqual([expect.objectContaining({ times_left: 2, hits: 1 })]);
  });

  it('only matching requests use up its times', async () => {
    const taskId = await newTask(sim);
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
    for (let i = 0; i < 3; i++) expect((await status(sim, taskId)).status).toBe(200);
    expect((await generate(sim)).status).toBe(500);
    expect((await generate(sim)).status).toBe(200);
  });
});

describe('probability', () => {
  async function run(seed: string, n: number) {
    const fresh = await testSimulator([`--seed=${seed}`]);
    const taskId = await newTask(fresh);
    await addRule(fresh, { match: { path: '/api/status' }, action: { status: 500 }, probability: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await status(fresh, taskId)).status);
    return statuses;
  }

  it('the same seed fails the same requests in two runs', async () => {
    const first = await run('probability-seed', 40);
    const second = await run('probability-seed', 40);
    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it('another seed fails other requests', async () => {
    expect(await run('probability-seed', 40)).not.toEqual(await run('another-seed', 40));
  });

  it('over 400 requests, p = 0.25 fails a share plausibly near 0.25, and hits count them', async () => {
    const taskId = await newTask(sim);
    await addRule(sim, { match: { path: '/api/status' }, action: { status: 500 }, probability: 0.25 });
    let failed = 0;
    for (let i = 0; i < 400; i++) {
      const res = await sim.http.get('/api/status').query({ task_id: taskId }).set(sim.auth());
      if (res.status === 500) failed++;
      else expect(res.status).toBe(200);
    }
    expect(failed / 400).toBeGreaterThan(0.15);
    expect(failed / 400).toBeLessThan(0.35);
    expect((await rules())[0]!.hits).toBe(failed);
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
  });

  it('probability 0 never acts, probability 1 always does', async () => {
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, probability: 0 });
    for (let i = 0; i < 5; i++) expect((await generate(sim)).status).toBe(200);
    await controlConforms(await sim.http.delete('/__mock/faults'));
    await addRule(sim, { match: { path: '/api/generate' }, action: { status: 500 }, probability: 1 });
    for (let i = 0; i < 5; i++) expect((await generate(sim)).status).toBe(500);
  });

  it('with times, retires after n hits of those drawn', async () => {
    await addRule(sim, {
      match: { path: '/api/generate' },
      action: { status: 500 },
      probability: 0.5,
      times: 2,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await generate(sim)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(await rules()).toEqual([]);
  });
});

describe('actions', () => {
  it('a forced status never changes a balance or creates a task, whatever the status', async () => {
    for (const code of [400, 401, 402, 413, 415, 429, 500]) {
      await addRule(sim, { match: { path: '/api/generate' }, action: { status: code }, times: 1 });
      const res = await generate(sim);
      expect(res.status).toBe(code);
      expect(res.headers['x-mock-injected']).toMatch(/^rule_\d+$/);
    }
    expect(await sim.balance()).toBe(START_BALANCE);
    expect(await sim.taskCount()).toBe(0);
  });

  it('a forced 429 carries Retry-After: retryAfterSeconds', async () => {
    await addRule(sim, { action: { status: 429, retryAfterSeconds: 7 } });
    const res = await generate(sim);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.data.retry_after_seconds).toBe(7);
  });

  it('task shapes the next task: it fails after five seconds with its message, and is refunded', async () => {
    const rule = await addRule(sim, {
      match: { path: '/api/generate', apiKey: DEV_KEY },
      action: { task: { outcome: 'failed', durationMs: 5000, errorMessage: 'Rule says no' } },
      times: 1,
    });
    const res = await generate(sim);
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
    const taskId = res.body.data.task_id as string;
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    sim.advance(4999);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    sim.advance(1);
    expect((await status(sim, taskId)).body.data).toMatchObject({
      status: 'FAILED',
      error_message: 'Rule says no',
      consumed_credits: 0,
    });
    expect(await sim.balance()).toBe(START_BALANCE);
    // The rule is spent: the next task follows its seeded plan.
    const next = (await generate(sim)).body.data.task_id as string;
    expect((await taskView(sim, next)).plan.outcome).toBe('success');
  });

  it('task with completeOnPoll ends the task on that poll', async () => {
    await addRule(sim, { action: { task: { completeOnPoll: 2, outcome: 'failed' } }, times: 1 });
    const taskId = await newTask(sim);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    expect((await status(sim, taskId)).body.data.status).toBe('FAILED');
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  // BUG: a task scenario acts only on generate (control-api.yaml: "or (on generate) a task scenario"),
  // but FaultRuleBook.fire (fault-rules.ts) is asked on every public request and spends `times` on
  // a status poll, where fault-injection.ts drops the task: the rule retires having shaped nothing.
  it('a task-only rule without a path is not used up by status polls', async () => {
    const taskId = await newTask(sim);
    await addRule(sim, { action: { task: { outcome: 'failed' } }, times: 1 });
    expect((await status(sim, taskId)).status).toBe(200);
    const shaped = await newTask(sim);
    expect((await taskView(sim, shaped)).plan.outcome, 'the rule was spent on the status poll').toBe(
      'failed',
    );
  });

  it('delayMs holds the response of a processed request', async () => {
    const rule = await addRule(sim, { match: { path: '/api/generate' }, action: { delayMs: 60 } });
    const started = performance.now();
    const res = await generate(sim);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe(rule.id);
    expect(await sim.taskCount()).toBe(1);
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    expect((await journal(sim)).entries[0]).toMatchObject({ status: 200, injected: rule.id });
  });

  it('delayMs is capped by --max-delay-ms', async () => {
    const capped = await testSimulator(['--max-delay-ms=30']);
    await addRule(capped, { action: { delayMs: 600000 } });
    const res = await capped.http.post('/api/generate').timeout(10_000).set(capped.auth()).send(BODY);
    expect(res.status).toBe(200);
  });

  it('delayMs with a status delays the forced error, which touches nothing', async () => {
    await addRule(sim, { action: { delayMs: 50, status: 500 } });
    const started = performance.now();
    expect((await generate(sim)).status).toBe(500);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect(await sim.taskCount()).toBe(0);
  });
});
