/**
 * The control API (/__mock) over HTTP, every response checked against mock-server/control-api.yaml:
 * health, reset, accounts, tasks (list, inspect, succeed, fail), clock, and the journal with its
 * filters, its bound and its redaction of keys.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  CLOCK_START,
  HOUR,
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
} from './qa-support.js';

const base = resetBeforeEach([`--key=${OTHER_KEY}=100`]);
let sim: TestSimulator;
beforeEach(() => {
  sim = base();
});

const get = async (path: string, query: Record<string, string> = {}) =>
  controlConforms(await sim.http.get(path).query(query));
const post = async (path: string, body?: object) =>
  controlConforms(await (body === undefined ? sim.http.post(path) : sim.http.post(path).send(body)));
const put = async (path: string, body: unknown) =>
  controlConforms(await sim.http.put(path).send(body as object));

type LedgerRow = { kind: string; amount: number; balance_after: number; task_id: string | null };
const ledgerRows = (ledger: LedgerRow[]) => ledger.map((e) => [e.kind, e.amount, e.balance_after, e.task_id]);

describe('GET /__mock/health', () => {
  it('answers ok with the version, seed, task count, clock and components', async () => {
    const res = await get('/__mock/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      message: 'success',
      data: {
        status: 'ok',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        seed: 'test-seed',
        tasks: 0,
        clock: { kind: 'virtual', now: CLOCK_START, iso: new Date(CLOCK_START).toISOString() },
        // Loaded on first use: no image has been asked for yet.
        components: { images: { status: 'not_loaded' }, store: { status: 'ok' } },
        // The memory budget (test/http/memory-budget.test.ts says what it holds).
        memory: expect.objectContaining({ worlds: 1 }),
      },
    });
    await newTask(sim);
    expect((await get('/__mock/health')).body.data.tasks).toBe(1);
  });
});

describe('POST /__mock/reset', () => {
  it('puts back balances, tasks, rules, journal, buckets and the clock; the same ids replay', async () => {
    sim = await testSimulator([`--key=${OTHER_KEY}=100`, '--rate-limit=generate=3/10s,status=60/10s']);
    const before = [await newTask(sim), await newTask(sim), await newTask(sim)];
    const plansBefore = await Promise.all(
      before.map(async (id) => (await get(`/__mock/tasks/${id}`)).body.data.plan),
    );
    expect((await generate(sim)).status).toBe(429); // the bucket is empty
    expect((await put('/__mock/accounts/sk-qa-temporary-key', { balance: 50 })).status).toBe(200);
    await addRule(sim, { action: { status: 500 }, probability: 0.1 });
    await post('/__mock/clock/advance', { ms: HOUR });

    const res = await post('/__mock/reset');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: 'success', data: { reset: true, accounts: 2 } });

    const dev = (await get(`/__mock/accounts/${DEV_KEY}`)).body.data;
    expect(dev.balance).toBe(START_BALANCE);
    expect(ledgerRows(dev.ledger)).toEqual([['set', START_BALANCE, START_BALANCE, null]]);
    expect((await get(`/__mock/accounts/${OTHER_KEY}`)).body.data.balance).toBe(100);
    expect((await get('/__mock/accounts/sk-qa-temporary-key')).status).toBe(404);
    expect((await get('/__mock/tasks')).body.data.tasks).toEqual([]);
    expect((await get('/__mock/faults')).body.data.rules).toEqual([]);
    expect((await journal(sim)).entries).toEqual([]);
    expect((await get('/__mock/clock')).body.data.now).toBe(CLOCK_START);
    expect((await get('/__mock/health')).body.data.tasks).toBe(0);

    // Buckets are full again and the seeded streams rewound: the same requests, the same tasks.
    const after = [await newTask(sim), await newTask(sim), await newTask(sim)];
    expect(after).toEqual(before);
    const plansAfter = await Promise.all(
      after.map(async (id) => (await get(`/__mock/tasks/${id}`)).body.data.plan),
    );
    expect(plansAfter).toEqual(plansBefore);
    // Rule ids start again from 1.
    expect((await addRule(sim, { action: { status: 500 } })).id).toBe('rule_1');
  });

  it('rewinds the fault-rule probability stream too', async () => {
    const taskId = await newTask(sim);
    const run = async () => {
      await addRule(sim, { match: { path: '/api/status' }, action: { status: 500 }, probability: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await status(sim, taskId)).status);
      return statuses;
    };
    const first = await run();
    await post('/__mock/reset');
    const id = await newTask(sim);
    expect(id).toBe(taskId);
    expect(await run()).toEqual(first);
  });
});

describe('/__mock/accounts/{apiKey}', () => {
  it('GET shows the redacted key, the balance and the ledger', async () => {
    const res = await get(`/__mock/accounts/${DEV_KEY}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      apiKey: 'sk-d…-dev#d88b21',
      balance: START_BALANCE,
      ledger: [
        {
          at: '2025-06-14T05:21:11Z',
          kind: 'set',
          amount: START_BALANCE,
          balance_after: START_BALANCE,
          task_id: null,
        },
      ],
    });
    expect(JSON.stringify(res.body)).not.toContain(DEV_KEY);
  });

  it('PUT creates a key that the public API accepts at once', async () => {
    const key = 'sk-qa-new-team-key';
    const res = await put(`/__mock/accounts/${key}`, { balance: 30 });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      apiKey: 'sk-q…-key#2adb11',
      balance: 30,
      ledger: [{ at: '2025-06-14T05:21:11Z', kind: 'set', amount: 30, balance_after: 30, task_id: null }],
    });
    expect(JSON.stringify(res.body)).not.toContain(key);
    expect((await generate(sim, {}, BODY, key)).status).toBe(200);
    expect((await get(`/__mock/accounts/${key}`)).body.data.balance).toBe(18);
  });

  it('the ledger records set, debit and refund entries with their task ids, oldest first', async () => {
    const kept = await newTask(sim);
    const failed = await newTask(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '1000' });
    await post('/__mock/clock/advance', { ms: 1000 });
    await put(`/__mock/accounts/${DEV_KEY}`, { balance: 500 });
    const ledger = (await get(`/__mock/accounts/${DEV_KEY}`)).body.data.ledger as LedgerRow[];
    expect(ledgerRows(ledger)).toEqual([
      ['set', 1000, 1000, null],
      ['debit', -PRICE, 988, kept],
      ['debit', -PRICE, 976, failed],
      ['refund', PRICE, 988, failed],
      ['set', 500 - 988, 500, null],
    ]);
  });

  it('PUT on a key with special characters, URL-encoded in the path', async () => {
    const key = 'sk-team/a+b=c:d';
    const res = await put(`/__mock/accounts/${encodeURIComponent(key)}`, { balance: 40 });
    expect(res.status).toBe(200);
    expect((await generate(sim, {}, BODY, key)).status).toBe(200);
    expect((await get(`/__mock/accounts/${encodeURIComponent(key)}`)).body.data.balance).toBe(28);
  });

  it('GET of an unknown key is 404', async () => {
    const res = await get('/__mock/accounts/sk-nobody-has-this-key');
    expect(res.status).toBe(404);
    expect(res.body.data.type).toBe('not_found');
  });

  it.each([
    ['a negative balance', { balance: -1 }],
    ['a fractional balance', { balance: 1.5 }],
    ['a string balance', { balance: '30' }],
    ['no balance', {}],
    ['an unknown field', { balance: 30, credits: 30 }],
    ['a balance above the maximum', { balance: 1_000_000_001 }],
  ])('PUT refuses %s with 400 and changes nothing', async (_name, body) => {
    const res = await put(`/__mock/accounts/${DEV_KEY}`, body);
    expect(res.status).toBe(400);
    expect(res.body.data.type).toBe('invalid_request');
    expect(await sim.balance()).toBe(START_BALANCE);
  });
});

describe('/__mock/tasks', () => {
  let mine: [string, string];
  let theirs: string;
  let failed: string;
  beforeEach(async () => {
    mine = [
      await newTask(sim, { 'X-Mock-Duration-Ms': '1000' }),
      await newTask(sim, { 'X-Mock-Duration-Ms': '9000' }),
    ];
    theirs = await newTask(sim, { 'X-Mock-Duration-Ms': '1000' }, OTHER_KEY);
    failed = await newTask(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '1000' });
    sim.advance(1000);
  });

  it('lists every task, newest first, with the internals', async () => {
    const res = await get('/__mock/tasks');
    expect(res.status).toBe(200);
    const tasks = res.body.data.tasks as Array<{
      record: { task_id: string; status: string };
      owner: string;
    }>;
    expect(tasks.map((t) => t.record.task_id)).toEqual([failed, theirs, mine[1], mine[0]]);
    expect(tasks.map((t) => t.record.status)).toEqual(['FAILED', 'SUCCESS', 'IN_PROGRESS', 'SUCCESS']);
    expect(tasks[0]).toMatchObject({
      owner: 'sk-d…-dev#d88b21',
      preset: 'text-to-image-basic',
      price: PRICE,
      polls: 0,
    });
    expect(JSON.stringify(res.body)).not.toContain(DEV_KEY);
  });

  it('filters by key, status and limit', async () => {
    const ids = async (query: Record<string, string>) =>
      ((await get('/__mock/tasks', query)).body.data.tasks as Array<{ record: { task_id: string } }>).map(
        (t) => t.record.task_id,
      );
    expect(await ids({ apiKey: OTHER_KEY })).toEqual([theirs]);
    expect(await ids({ apiKey: DEV_KEY })).toEqual([failed, mine[1], mine[0]]);
    expect(await ids({ status: 'SUCCESS' })).toEqual([theirs, mine[0]]);
    expect(await ids({ status: 'IN_PROGRESS' })).toEqual([mine[1]]);
    expect(await ids({ status: 'FAILED', apiKey: DEV_KEY })).toEqual([failed]);
    expect(await ids({ limit: '2' })).toEqual([failed, theirs]);
    expect(await ids({ apiKey: 'sk-nobody-has-this-key' })).toEqual([]);
  });

  it.each([
    ['an unknown status', { status: 'DONE' }],
    ['a non-numeric limit', { limit: 'ten' }],
    ['an unknown parameter', { owner: 'me' }],
  ])('refuses %s with 400', async (_name, query) => {
    expect((await get('/__mock/tasks', query)).status).toBe(400);
  });

  it('GET one shows the record and the plan, and is not counted as a poll', async () => {
    const res = await get(`/__mock/tasks/${mine[1]}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      record: { task_id: mine[1], status: 'IN_PROGRESS', consumed_credits: PRICE },
      owner: 'sk-d…-dev#d88b21',
      polls: 0,
      settled_at: null,
      plan: {
        outcome: 'success',
        error_message: null,
        complete_on_poll: null,
        ready_at: new Date(CLOCK_START + 9000).toISOString(),
      },
    });
    await get(`/__mock/tasks/${mine[1]}`);
    expect((await get(`/__mock/tasks/${mine[1]}`)).body.data.polls).toBe(0);
  });

  it('GET one of an unknown task is 404, of a malformed id 400', async () => {
    expect((await get('/__mock/tasks/sd45_0123456789abcdef')).status).toBe(404);
    expect((await get('/__mock/tasks/not-a-task')).status).toBe(400);
  });

  it('succeed ends an in-progress task with SUCCESS now, keeping the charge', async () => {
    const res = await post(`/__mock/tasks/${mine[1]}/succeed`);
    expect(res.status).toBe(200);
    expect(res.body.data.record).toMatchObject({ status: 'SUCCESS', consumed_credits: PRICE });
    expect(res.body.data.record.response).toHaveLength(1);
    expect(res.body.data.settled_at).toBe('2025-06-14T05:21:12Z');
    expect((await status(sim, mine[1])).body.data.status).toBe('SUCCESS');
    // Two charges stand on this key: the failed task was refunded.
    expect(await sim.balance()).toBe(START_BALANCE - 2 * PRICE);
  });

  it('fail ends an in-progress task with FAILED now and refunds it exactly', async () => {
    const burst = await generate(sim, { 'X-Mock-Duration-Ms': '60000' }, { ...BODY, numImages: 4 });
    const burstId = burst.body.data.task_id as string;
    const balance = await sim.balance();
    const res = await post(`/__mock/tasks/${burstId}/fail`, { error_message: 'Failed by QA' });
    expect(res.status).toBe(200);
    expect(res.body.data.record).toMatchObject({
      status: 'FAILED',
      consumed_credits: 0,
      error_message: 'Failed by QA',
      response: [],
    });
    expect(await sim.balance()).toBe(balance! + 48);
    const ledger = (await get(`/__mock/accounts/${DEV_KEY}`)).body.data.ledger as LedgerRow[];
    expect(ledgerRows(ledger).at(-1)).toEqual(['refund', 48, balance! + 48, burstId]);
    expect((await status(sim, burstId)).body.data).toMatchObject({
      status: 'FAILED',
      error_message: 'Failed by QA',
    });
  });

  it('fail without a body uses an upstream message', async () => {
    const res = await post(`/__mock/tasks/${mine[1]}/fail`);
    expect(res.status).toBe(200);
    expect(res.body.data.record.error_message).toEqual(expect.stringMatching(/\S/));
  });

  it('fail refuses an empty error_message with 400 and leaves the task alone', async () => {
    expect((await post(`/__mock/tasks/${mine[1]}/fail`, { error_message: '' })).status).toBe(400);
    expect((await get(`/__mock/tasks/${mine[1]}`)).body.data.record.status).toBe('IN_PROGRESS');
  });

  it('succeed and fail answer 409 on a terminal task and change nothing (no second refund)', async () => {
    const balance = await sim.balance();
    for (const id of [mine[0]!, failed]) {
      for (const action of ['succeed', 'fail']) {
        const res = await post(`/__mock/tasks/${id}/${action}`);
        expect(res.status, `${action} ${id}`).toBe(409);
        expect(res.body.code).toBe(409);
      }
    }
    await post(`/__mock/tasks/${mine[1]}/fail`);
    expect((await post(`/__mock/tasks/${mine[1]}/succeed`)).status).toBe(409);
    expect((await post(`/__mock/tasks/${mine[1]}/fail`)).status).toBe(409);
    expect(await sim.balance()).toBe(balance! + PRICE); // exactly one refund, of mine[1]
    expect((await get(`/__mock/tasks/${failed}`)).body.data.record.status).toBe('FAILED');
  });

  it('a task whose time has come is terminal for succeed/fail too (409)', async () => {
    sim.advance(8000); // mine[1] is due at 9000
    expect((await post(`/__mock/tasks/${mine[1]}/fail`)).status).toBe(409);
  });

  it('succeed and fail of an unknown task are 404, of a malformed id 400', async () => {
    expect((await post('/__mock/tasks/sd45_0123456789abcdef/succeed')).status).toBe(404);
    expect((await post('/__mock/tasks/sd45_0123456789abcdef/fail')).status).toBe(404);
    expect((await post('/__mock/tasks/nope/succeed')).status).toBe(400);
  });
});

describe('/__mock/clock', () => {
  it('GET reads the virtual clock at its start', async () => {
    const res = await get('/__mock/clock');
    expect(res.body.data).toEqual({ kind: 'virtual', now: CLOCK_START, iso: '2025-06-14T05:21:11.000Z' });
  });

  it('advance moves it, and tasks that fail during the jump are refunded at once', async () => {
    await newTask(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '1500' });
    const res = await post('/__mock/clock/advance', { ms: 1500 });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      kind: 'virtual',
      now: CLOCK_START + 1500,
      iso: '2025-06-14T05:21:12.500Z',
    });
    expect((await get('/__mock/clock')).body.data.now).toBe(CLOCK_START + 1500);
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  it('advance by 0 is allowed', async () => {
    expect((await post('/__mock/clock/advance', { ms: 0 })).body.data.now).toBe(CLOCK_START);
  });

  it.each([
    ['a negative ms', { ms: -1 }],
    ['a fractional ms', { ms: 1.5 }],
    ['a string ms', { ms: '1000' }],
    ['no ms', {}],
    ['more than a year', { ms: 31536000001 }],
  ])('advance refuses %s with 400 and does not move', async (_name, body) => {
    const res = await post('/__mock/clock/advance', body);
    expect(res.status).toBe(400);
    expect((await get('/__mock/clock')).body.data.now).toBe(CLOCK_START);
  });
});

describe('GET /__mock/journal', () => {
  let t1: string;
  let t2: string;
  beforeEach(async () => {
    t1 = await newTask(sim); // 1: POST generate 200 dev
    t2 = await newTask(sim, {}, OTHER_KEY); // 2: POST generate 200 other
    await status(sim, t1); // 3: GET status 200 dev
    await status(sim, t1, { 'X-Mock-Status': '500' }); // 4: GET status 500 dev (header)
    sim.conforms(await sim.http.post('/api/generate').set(sim.auth('sk-not-a-real-key-0000')).send(BODY)); // 5: 401
    await status(sim, 'sd45_0123456789abcdef'); // 6: GET status 404 dev
    sim.conforms(await sim.http.post('/api/status').set(sim.auth(OTHER_KEY)).send({ task_id: t2 })); // 7: POST status 200 other
    await generate(sim, { Prefer: 'code=429' }); // 8: POST generate 429 dev (header)
  });

  const statuses = async (query: Record<string, string> = {}) =>
    (await journal(sim, query)).entries.map((e) => e.status);

  it('lists the requests newest first with their responses, keys redacted', async () => {
    const { capacity, entries } = await journal(sim);
    expect(capacity).toBe(1000);
    expect(entries.map((e) => e.status)).toEqual([429, 200, 404, 401, 500, 200, 200, 200]);
    const ids = entries.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(entries.at(-1)).toMatchObject({
      at: new Date(CLOCK_START).toISOString(),
      method: 'POST',
      path: '/api/generate',
      query: {},
      status: 200,
      api_key: 'sk-d…-dev#d88b21',
      task_id: t1,
      injected: null,
      response_body: { code: 200, message: 'success', data: { task_id: t1 } },
    });
    expect(entries.at(-3)).toMatchObject({ method: 'GET', query: { task_id: t1 }, task_id: t1 });
    expect(entries[3]).toMatchObject({ status: 401, api_key: 'sk-n…0000#3e8d0d', task_id: null });
    expect(entries[0]).toMatchObject({ status: 429, injected: 'header' });
    for (const e of entries) expect(e.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('filters by method, path, exact status and status class', async () => {
    expect(await statuses({ method: 'GET' })).toEqual([404, 500, 200]);
    expect(await statuses({ path: '/api/status' })).toEqual([200, 404, 500, 200]);
    expect(await statuses({ status: '500' })).toEqual([500]);
    expect(await statuses({ status: '5xx' })).toEqual([500]);
    expect(await statuses({ status: '4xx' })).toEqual([429, 404, 401]);
    expect(await statuses({ status: '2xx' })).toEqual([200, 200, 200, 200]);
    expect(await statuses({ status: '200', method: 'POST', path: '/api/status' })).toEqual([200]);
    expect(await statuses({ status: '3xx' })).toEqual([]);
  });

  it('filters by key (its owner, whatever the label), by task and by limit', async () => {
    const byOther = (await journal(sim, { apiKey: OTHER_KEY })).entries;
    expect(byOther.map((e) => [e.method, e.path, e.task_id])).toEqual([
      ['POST', '/api/status', t2],
      ['POST', '/api/generate', t2],
    ]);
    expect(await statuses({ apiKey: DEV_KEY })).toEqual([429, 404, 500, 200, 200]);
    expect(await statuses({ apiKey: 'sk-not-a-real-key-0000' })).toEqual([401]);
    expect((await journal(sim, { taskId: t1 })).entries.map((e) => e.status)).toEqual([500, 200, 200]);
    expect(await statuses({ limit: '2' })).toEqual([429, 200]);
    expect(await statuses({ limit: '0' })).toEqual([]);
    expect(await statuses({ limit: '2', apiKey: DEV_KEY })).toEqual([429, 404]);
  });

  it.each([
    ['a malformed status', { status: '5x' }],
    ['a status class out of range', { status: '6xx' }],
    ['an unknown method', { method: 'FETCH' }],
    ['a non-numeric limit', { limit: 'all' }],
    ['an unknown parameter', { since: '0' }],
  ])('refuses %s with 400', async (_name, query) => {
    expect((await get('/__mock/journal', query)).status).toBe(400);
  });

  it('does not journal the control API itself', async () => {
    await get('/__mock/clock');
    await get('/__mock/tasks');
    const paths = (await journal(sim)).entries.map((e) => e.path);
    expect(paths.every((p) => p.startsWith('/api/'))).toBe(true);
  });

  it('journals image downloads', async () => {
    sim.advance(HOUR);
    await status(sim, t1);
    await sim.http.get(`/files/${t1}/0.jpg`);
    const [entry] = (await journal(sim)).entries;
    expect(entry).toMatchObject({ method: 'GET', path: `/files/${t1}/0.jpg`, status: 200, task_id: t1 });
  });

  // BUG (minor): journal.ts records req.body when the response closes, after the request validator
  // has filled in defaults, so a generate sent without numImages is journaled with "numImages": 1,
  // while the spec says request_body is "The JSON body sent".
  it('request_body is the JSON body as the client sent it', async () => {
    const entry = (await journal(sim, { taskId: t1 })).entries.at(-1)!;
    expect(entry.path).toBe('/api/generate');
    expect(entry.request_body).toEqual(BODY);
  });
});

describe('journal bounds and redaction', () => {
  it('keeps at most --journal-size entries, the newest', async () => {
    const small = await testSimulator(['--journal-size=3']);
    const taskId = await newTask(small);
    for (let i = 0; i < 4; i++) await status(small, taskId);
    const { capacity, entries } = await journal(small);
    expect(capacity).toBe(3);
    expect(entries.map((e) => e.id)).toEqual([5, 4, 3]);
    expect(entries.every((e) => e.path === '/api/status')).toBe(true);
  });

  it('--journal-size=0 turns it off', async () => {
    const off = await testSimulator(['--journal-size=0']);
    await newTask(off);
    expect(await journal(off)).toEqual({ capacity: 0, entries: [] });
  });

  it('never holds a raw key, however the key was sent', async () => {
    const secret = 'sk-very-secret-unknown-key';
    const taskId = await newTask(sim);
    await newTask(sim, {}, OTHER_KEY);
    await status(sim, taskId);
    await status(sim, taskId, { 'X-Mock-Status': '500' });
    await generate(sim, { 'X-Mock-Status': '429' }, BODY, OTHER_KEY);
    for (const authorization of [
      `Bearer ${secret}`,
      `bearer ${DEV_KEY}`,
      `Bearer ${DEV_KEY} trailing`,
      DEV_KEY,
      `Basic ${DEV_KEY}`,
      `Bearer ${OTHER_KEY}`,
    ]) {
      await sim.http.post('/api/generate').set('Authorization', authorization).send(BODY);
      await sim.http.get('/api/status').query({ task_id: taskId }).set('Authorization', authorization);
    }
    await addRule(sim, { match: { apiKey: DEV_KEY }, action: { status: 500 }, times: 1 });
    await generate(sim);
    const text = JSON.stringify(await journal(sim, { limit: '1000' }));
    expect(text).toContain('sk-d…-dev#d88b21');
    for (const key of [DEV_KEY, OTHER_KEY, secret]) expect(text).not.toContain(key);
    for (const key of [DEV_KEY, OTHER_KEY]) {
      expect(JSON.stringify(await journal(sim, { apiKey: key }))).not.toContain(key);
    }
  });

  // BUG: journal.ts skips paths that start with '/__mock' (case-sensitive) while Express routes
  // case-insensitively, so GET /__MOCK/accounts/<key> is served and journaled, raw key in `path`.
  it('never holds a raw key, even when the control API is called with another letter case', async () => {
    const served = await sim.http.get(`/__MOCK/accounts/${DEV_KEY}`);
    expect(served.status).toBe(404); // routing is case-sensitive: one spelling per route
    const text = JSON.stringify(await journal(sim));
    expect(text, 'the journal holds the raw key').not.toContain(DEV_KEY);
  });
});
