/**
 * The public routes' QA headers over HTTP: X-Mock-Status and Prefer: code= force an error of the
 * route's own list in the spec's envelope and touch nothing; X-Mock-Delay-Ms holds a response that
 * has been processed; the task-shaping headers decide how a task ends; invalid values are a 400
 * naming the header; `--fault-headers=off` ignores all of it.
 */
import type supertest from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  HOUR,
  PRICE,
  START_BALANCE,
  controlConforms,
  generate,
  journal,
  newTask,
  resetBeforeEach,
  status,
  taskView,
} from './qa-support.js';

const ERROR_TYPE: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  402: 'insufficient_credits',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'internal_error',
};

/** The error statuses openapi.yaml lists for each operation (README, "Per-request headers"). */
const GENERATE_STATUSES = [400, 401, 402, 413, 415, 429, 500];
const GET_STATUS_STATUSES = [400, 401, 404, 429, 500];
const POST_STATUS_STATUSES = [400, 401, 404, 413, 415, 429, 500];

const base = resetBeforeEach();
let sim: TestSimulator;
beforeEach(() => {
  sim = base();
});

async function expectUntouched(balance = START_BALANCE, tasks = 0) {
  expect(await sim.balance()).toBe(balance);
  expect(await sim.taskCount()).toBe(tasks);
}

function expectForced(res: supertest.Response, code: number) {
  expect(res.status).toBe(code);
  expect(res.body.code).toBe(code);
  expect(res.body.data.type).toBe(ERROR_TYPE[code]);
  expect(res.headers['x-mock-injected']).toBe('header');
}

describe('X-Mock-Status on POST /api/generate', () => {
  it.each(GENERATE_STATUSES)(
    'forces %i in the spec envelope, with no deduction and no task',
    async (code) => {
      const res = await generate(sim, { 'X-Mock-Status': String(code) });
      expectForced(res, code);
      await expectUntouched();
    },
  );

  it('needs no valid key: a forced 500 comes before authentication', async () => {
    const res = sim.conforms(await sim.http.post('/api/generate').set('X-Mock-Status', '500').send(BODY));
    expectForced(res, 500);
    await expectUntouched();
  });

  it('forces 429 with Retry-After, in the header and in the body', async () => {
    const res = await generate(sim, { 'X-Mock-Status': '429' });
    expectForced(res, 429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.data.retry_after_seconds).toBe(1);
    await expectUntouched();
  });

  it.each([['404'], ['502'], ['200'], ['302'], ['999'], ['abc'], ['']])(
    'refuses a status the route does not list (%j) with 400 naming header.x-mock-status',
    async (value) => {
      const res = await generate(sim, { 'X-Mock-Status': value });
      expect(res.status).toBe(400);
      expect(res.body.data.type).toBe('invalid_request');
      expect(res.body.data.errors).toEqual([{ field: 'header.x-mock-status', message: expect.any(String) }]);
      expect(res.headers['x-mock-injected']).toBeUndefined();
      await expectUntouched();
    },
  );

  it('records the forced answer in the journal as injected by the header', async () => {
    await generate(sim, { 'X-Mock-Status': '500' });
    const [entry] = (await journal(sim)).entries;
    expect(entry).toMatchObject({ method: 'POST', path: '/api/generate', status: 500, injected: 'header' });
  });

  // Once a bug: fault injection looked the route up by its exact path while Express also served
  // /api/generate/ and /API/generate, where the header was ignored and the request charged. The app
  // now routes one spelling only (strict, case-sensitive), and the public API's dispatcher matches
  // exact paths: a variant is a 404 that touches nothing.
  it.each([['/api/generate/'], ['/API/Generate']])(
    'never lets a forced error create a task, even on the path variant %s that the app serves',
    async (path) => {
      const res = await sim.http.post(path).set(sim.auth()).set('X-Mock-Status', '500').send(BODY);
      expect(res.status, `${path} answered ${res.status} ${JSON.stringify(res.body)}`).not.toBe(200);
      await expectUntouched();
    },
  );
});

describe('X-Mock-Status on /api/status', () => {
  let taskId: string;
  beforeEach(async () => {
    taskId = await newTask(sim);
  });

  it.each(GET_STATUS_STATUSES)('GET: forces %i, and the read is not counted as a poll', async (code) => {
    const res = await status(sim, taskId, { 'X-Mock-Status': String(code) });
    expectForced(res, code);
    await expectUntouched(START_BALANCE - PRICE, 1);
    expect((await taskView(sim, taskId)).polls).toBe(0);
  });

  it.each(POST_STATUS_STATUSES)('POST: forces %i', async (code) => {
    const res = sim.conforms(
      await sim.http
        .post('/api/status')
        .set(sim.auth())
        .set('X-Mock-Status', String(code))
        .send({ task_id: taskId }),
    );
    expectForced(res, code);
    await expectUntouched(START_BALANCE - PRICE, 1);
    expect((await taskView(sim, taskId)).polls).toBe(0);
  });

  it.each([['402'], ['413'], ['415'], ['502']])(
    'GET refuses %s, which GET /api/status does not list',
    async (code) => {
      const res = await status(sim, taskId, { 'X-Mock-Status': code });
      expect(res.status).toBe(400);
      expect(res.body.data.errors).toEqual([{ field: 'header.x-mock-status', message: expect.any(String) }]);
    },
  );

  it('forces 429 with Retry-After on a status poll', async () => {
    const res = await status(sim, taskId, { 'X-Mock-Status': '429' });
    expectForced(res, 429);
    expect(res.headers['retry-after']).toBe('1');
  });
});

describe('Prefer: code=<status> (Prism convention)', () => {
  it.each([500, 402, 429])('forces %i on generate like X-Mock-Status', async (code) => {
    const res = await generate(sim, { Prefer: `code=${code}` });
    expectForced(res, code);
    await expectUntouched();
  });

  it('is found among other preferences', async () => {
    const res = await generate(sim, { Prefer: 'respond-async, code=500' });
    expectForced(res, 500);
  });

  it('forces 404 on a status poll', async () => {
    const taskId = await newTask(sim);
    const res = await status(sim, taskId, { Prefer: 'code=404' });
    expectForced(res, 404);
  });

  it('refuses a status the route does not list, naming header.prefer', async () => {
    const res = await generate(sim, { Prefer: 'code=404' });
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual([{ field: 'header.prefer', message: expect.any(String) }]);
    await expectUntouched();
  });

  it('is ignored when it asks for no code', async () => {
    const res = await generate(sim, { Prefer: 'return=minimal' });
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBeUndefined();
  });

  it('gives way to X-Mock-Status when both are sent', async () => {
    const res = await generate(sim, { 'X-Mock-Status': '402', Prefer: 'code=500' });
    expectForced(res, 402);
  });
});

describe('X-Mock-Delay-Ms', () => {
  it('holds the response of a processed request: the task exists and is charged', async () => {
    const delayed = await testSimulator(['--max-delay-ms=1000']);
    const started = performance.now();
    const res = await generate(delayed, { 'X-Mock-Delay-Ms': '60' });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBe('header');
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(await delayed.balance()).toBe(START_BALANCE - PRICE);
    expect(await delayed.taskCount()).toBe(1);
    const [entry] = (await journal(delayed)).entries;
    expect(entry).toMatchObject({ status: 200, injected: 'header', task_id: res.body.data.task_id });
    expect(entry!.duration_ms).toBeGreaterThanOrEqual(50);
  });

  it('is capped by --max-delay-ms', async () => {
    const capped = await testSimulator(['--max-delay-ms=40']);
    const started = performance.now();
    // Ten minutes asked; the cap answers after 40 ms (the client's own 10 s timeout would fail this).
    const res = capped.conforms(
      await capped.http
        .post('/api/generate')
        .timeout(10_000)
        .set(capped.auth())
        .set('X-Mock-Delay-Ms', '600000')
        .send(BODY),
    );
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(30);
    expect(await capped.taskCount()).toBe(1);
  });

  it('holds a status poll too', async () => {
    const delayed = await testSimulator(['--max-delay-ms=1000']);
    const taskId = await newTask(delayed);
    const started = performance.now();
    const res = await status(delayed, taskId, { 'X-Mock-Delay-Ms': '50' });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect((await taskView(delayed, taskId)).polls).toBe(1);
  });

  it('delays a forced error, which still touches nothing', async () => {
    const delayed = await testSimulator(['--max-delay-ms=1000']);
    const started = performance.now();
    const res = await generate(delayed, { 'X-Mock-Delay-Ms': '50', 'X-Mock-Status': '500' });
    expect(res.status).toBe(500);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect(await delayed.taskCount()).toBe(0);
    expect(await delayed.balance()).toBe(START_BALANCE);
  });

  it.each([['soon'], ['-5'], ['1.5'], ['']])(
    'refuses %j with 400 naming header.x-mock-delay-ms',
    async (value) => {
      const res = await generate(sim, { 'X-Mock-Delay-Ms': value });
      expect(res.status).toBe(400);
      expect(res.body.data.errors).toEqual([
        { field: 'header.x-mock-delay-ms', message: expect.any(String) },
      ]);
      await expectUntouched();
    },
  );
});

describe('task-shaping headers on generate', () => {
  it('X-Mock-Outcome: failed ends the task FAILED and refunds it exactly', async () => {
    const taskId = await newTask(sim, { 'X-Mock-Outcome': 'failed' });
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    sim.advance(HOUR);
    const record = (await status(sim, taskId)).body.data;
    expect(record).toMatchObject({ status: 'FAILED', consumed_credits: 0, response: [] });
    expect(record.error_message).toEqual(expect.any(String));
    expect(record.error_message.length).toBeGreaterThan(0);
    expect(await sim.balance()).toBe(START_BALANCE);
    const ledger = (await controlConforms(await sim.http.get(`/__mock/accounts/${DEV_KEY}`))).body.data
      .ledger;
    expect(
      ledger.map((e: { kind: string; amount: number; task_id: string | null }) => [
        e.kind,
        e.amount,
        e.task_id,
      ]),
    ).toEqual([
      ['set', START_BALANCE, null],
      ['debit', -PRICE, taskId],
      ['refund', PRICE, taskId],
    ]);
  });

  it('X-Mock-Outcome: success overrides a failure rate of 1', async () => {
    const failing = await testSimulator(['--failure-rate=1']);
    const taskId = await newTask(failing, { 'X-Mock-Outcome': 'success' });
    failing.advance(HOUR);
    expect((await status(failing, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('X-Mock-Error-Message becomes the error_message of the failed task', async () => {
    const message = 'Simulated upstream meltdown (QA)';
    const taskId = await newTask(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Error-Message': message });
    sim.advance(HOUR);
    expect((await status(sim, taskId)).body.data).toMatchObject({ status: 'FAILED', error_message: message });
  });

  it('X-Mock-Duration-Ms ends the task exactly then: IN_PROGRESS at duration - 1 ms, done at duration', async () => {
    const taskId = await newTask(sim, { 'X-Mock-Duration-Ms': '5000', 'X-Mock-Outcome': 'failed' });
    sim.advance(4999);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    sim.advance(1);
    expect((await status(sim, taskId)).body.data).toMatchObject({ status: 'FAILED', consumed_credits: 0 });
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  it('X-Mock-Duration-Ms: 0 is done at once', async () => {
    const taskId = await newTask(sim, { 'X-Mock-Duration-Ms': '0' });
    expect((await status(sim, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('X-Mock-Polls: 3 completes on the third status poll with no clock movement', async () => {
    const taskId = await newTask(sim, { 'X-Mock-Polls': '3' });
    const clockBefore = (await sim.http.get('/__mock/clock')).body.data.now;
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    // Reading it from the control API is not a poll.
    expect((await taskView(sim, taskId)).polls).toBe(1);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    const third = (await status(sim, taskId)).body.data;
    expect(third.status).toBe('SUCCESS');
    expect(third.response).toHaveLength(1);
    expect((await sim.http.get('/__mock/clock')).body.data.now).toBe(clockBefore);
  });

  it('X-Mock-Polls with X-Mock-Outcome: failed refunds on the n-th poll, POST polls count too', async () => {
    const taskId = await newTask(sim, { 'X-Mock-Polls': '2', 'X-Mock-Outcome': 'failed' });
    expect(
      sim.conforms(await sim.http.post('/api/status').set(sim.auth()).send({ task_id: taskId })).body.data
        .status,
    ).toBe('IN_PROGRESS');
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    expect((await status(sim, taskId)).body.data.status).toBe('FAILED');
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  it.each([
    ['X-Mock-Outcome', '"maybe"', 'maybe'],
    ['X-Mock-Outcome', 'empty', ''],
    ['X-Mock-Error-Message', 'blank', '   '],
    ['X-Mock-Error-Message', '2001 characters', 'x'.repeat(2001)],
    ['X-Mock-Duration-Ms', '-1', '-1'],
    ['X-Mock-Duration-Ms', '"soon"', 'soon'],
    ['X-Mock-Duration-Ms', '86400001', '86400001'],
    ['X-Mock-Polls', '0', '0'],
    ['X-Mock-Polls', '10001', '10001'],
    ['X-Mock-Polls', '"two"', 'two'],
    ['X-Mock-Fault', '"explode"', 'explode'],
  ])('refuses %s: %s with 400 naming the header, and touches nothing', async (name, _label, value) => {
    const res = await generate(sim, { [name]: value });
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual([
      { field: `header.${name.toLowerCase()}`, message: expect.any(String) },
    ]);
    await expectUntouched();
  });

  it('names every bad header of one request', async () => {
    const res = await generate(sim, {
      'X-Mock-Outcome': 'maybe',
      'X-Mock-Polls': '0',
      'X-Mock-Status': '502',
    });
    expect(res.status).toBe(400);
    expect((res.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'header.x-mock-outcome',
      'header.x-mock-polls',
      'header.x-mock-status',
    ]);
  });

  it('never copies the headers into the request snapshot or the journal request fields', async () => {
    const message = 'QA-MARKER-MESSAGE-7f3a';
    const headers = {
      'X-Mock-Outcome': 'failed',
      'X-Mock-Error-Message': message,
      'X-Mock-Duration-Ms': '2500',
      'X-Mock-Polls': '2',
      'X-Mock-Delay-Ms': '0',
    };
    const generated = await generate(sim, headers);
    const taskId = generated.body.data.task_id as string;
    await status(sim, taskId);
    const record = (await status(sim, taskId)).body.data;
    expect(record.status).toBe('FAILED');
    expect(record.error_message).toBe(message);
    expect(record.request).toEqual(BODY); // the documented fields and nothing else

    const entries = (await journal(sim)).entries;
    expect(entries).toHaveLength(3);
    const generateEntry = entries.find((e) => e.path === '/api/generate')!;
    // The body's own fields only (the journal's "as sent" fidelity is tested in control-api.test.ts).
    expect(generateEntry.request_body).toMatchObject(BODY);
    expect(
      Object.keys(generateEntry.request_body as object).every((k) =>
        /^(prompt|aspectRatio|quality|imageUrls|numImages)$/.test(k),
      ),
    ).toBe(true);
    // The journal shows which headers a request carried in its own field, request_headers (issue 14),
    // and nowhere else.
    expect(generateEntry.request_headers).toMatchObject({
      'x-mock-outcome': 'failed',
      'x-mock-error-message': message,
    });
    for (const entry of entries) {
      const requestSide = JSON.stringify({ ...entry, response_body: undefined, request_headers: undefined });
      expect(requestSide.toLowerCase()).not.toContain('x-mock');
      expect(requestSide).not.toContain(message);
      expect(Object.keys(entry).sort()).toEqual(
        expect.arrayContaining(['id', 'at', 'method', 'path', 'status', 'api_key', 'task_id', 'injected']),
      );
    }
  });

  it('are ignored on /api/status (they shape tasks, not reads)', async () => {
    const taskId = await newTask(sim);
    const res = await status(sim, taskId, { 'X-Mock-Outcome': 'failed', 'X-Mock-Polls': 'two' });
    expect(res.status).toBe(200);
  });
});

describe('--fault-headers=off', () => {
  const off = resetBeforeEach(['--fault-headers=off', '--max-delay-ms=5000']);
  let shared: TestSimulator;
  beforeEach(() => {
    shared = off();
  });

  it.each([
    ['X-Mock-Status', '500'],
    ['X-Mock-Status', '999'],
    ['Prefer', 'code=500'],
    ['X-Mock-Fault', 'reset'],
    ['X-Mock-Fault', 'explode'],
    ['X-Mock-Delay-Ms', '5000'],
    ['X-Mock-Outcome', 'maybe'],
    ['X-Mock-Polls', '0'],
  ])('ignores %s: %s and answers normally', async (name, value) => {
    const res = await generate(shared, { [name]: value });
    expect(res.status).toBe(200);
    expect(res.headers['x-mock-injected']).toBeUndefined();
    expect(await shared.balance()).toBe(START_BALANCE - PRICE);
    const [entry] = (await journal(shared)).entries;
    expect(entry!.injected).toBeNull();
  });

  it('ignores the task-shaping headers: the task follows its seeded plan', async () => {
    const taskId = await newTask(shared, {
      'X-Mock-Outcome': 'failed',
      'X-Mock-Polls': '1',
      'X-Mock-Duration-Ms': '1',
      'X-Mock-Error-Message': 'should not be used',
    });
    const view = await taskView(shared, taskId);
    expect(view.plan).toMatchObject({ outcome: 'success', complete_on_poll: null, error_message: null });
    expect((await status(shared, taskId)).body.data.status).toBe('IN_PROGRESS');
    shared.advance(HOUR);
    expect((await status(shared, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('ignores forced statuses on status polls', async () => {
    const taskId = await newTask(shared);
    expect((await status(shared, taskId, { 'X-Mock-Status': '500' })).status).toBe(200);
  });

  it('ignores prompt markers, valid or not', async () => {
    const marked = await generate(
      shared,
      {},
      { ...BODY, prompt: 'a fox [mock:outcome=failed] [mock:polls=1]' },
    );
    expect(marked.status).toBe(200);
    const view = await taskView(shared, marked.body.data.task_id);
    expect(view.plan).toMatchObject({ outcome: 'success', complete_on_poll: null });
    const invalid = await generate(shared, {}, { ...BODY, prompt: 'a fox [mock:outcome=maybe]' });
    expect(invalid.status).toBe(200);
  });

  it('still honours fault rules, which are the control API', async () => {
    await controlConforms(
      await shared.http
        .post('/__mock/faults')
        .send({ match: { path: '/api/generate' }, action: { status: 500 }, times: 1 }),
    );
    const res = await generate(shared);
    expect(res.status).toBe(500);
    expect(res.headers['x-mock-injected']).toBe('rule_1');
  });
});
