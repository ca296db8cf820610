/**
 * Network faults as a real client meets them: the app listens on 127.0.0.1:0 and node:http talks to
 * it over a fresh connection. reset -> ECONNRESET, empty -> socket hang up with no byte of a reply,
 * malformed -> 200 whose body is not JSON, hang -> nothing until the server gives up at
 * --max-delay-ms (or the client does). None of them creates a task or moves a balance.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  PRICE,
  START_BALANCE,
  addRule,
  clientPatience,
  journal,
  listen,
  newTask,
  rawRequest,
  taskView,
  type Listening,
  type RawOutcome,
} from './qa-support.js';

let sim: TestSimulator;
let server: Listening | undefined;
/** One simulator per configuration, reset (POST /__mock/reset) before each use; a fresh server each test. */
const simulators = new Map<string, TestSimulator>();

async function start(args: string[] = ['--max-delay-ms=50']) {
  const key = args.join(' ');
  if (!simulators.has(key)) simulators.set(key, await testSimulator(args));
  sim = simulators.get(key)!;
  expect((await sim.http.post('/__mock/reset')).status).toBe(200);
  server = await listen(sim);
  return server.port;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function expectUntouched(tasks = 0, balance = START_BALANCE) {
  expect(await sim.taskCount()).toBe(tasks);
  expect(await sim.balance()).toBe(balance);
}

function expectError(outcome: RawOutcome): asserts outcome is Extract<RawOutcome, { kind: 'error' }> {
  expect(outcome.kind, JSON.stringify(outcome)).toBe('error');
}

describe('X-Mock-Fault on POST /api/generate, from a real socket', () => {
  it('reset: the client sees ECONNRESET (a TCP reset), and nothing happened', async () => {
    const port = await start();
    const outcome = await rawRequest(port, { headers: { 'X-Mock-Fault': 'reset' }, body: BODY });
    expectError(outcome);
    expect(outcome.code).toBe('ECONNRESET');
    expect(outcome.message).toMatch(/ECONNRESET/); // "read ECONNRESET", not the "socket hang up" of a clean close
    await expectUntouched();
  });

  it('empty: the connection closes with no reply ("socket hang up"), and nothing happened', async () => {
    const port = await start();
    const outcome = await rawRequest(port, { headers: { 'X-Mock-Fault': 'empty' }, body: BODY });
    expectError(outcome);
    expect(outcome.message).toBe('socket hang up');
    await expectUntouched();
  });

  it('malformed: 200 with a JSON content type and a body JSON.parse refuses, and nothing happened', async () => {
    const port = await start();
    const outcome = await rawRequest(port, { headers: { 'X-Mock-Fault': 'malformed' }, body: BODY });
    expect(outcome.kind).toBe('response');
    if (outcome.kind !== 'response') return;
    expect(outcome.status).toBe(200);
    expect(outcome.headers['content-type']).toMatch(/^application\/json/);
    expect(outcome.headers['x-mock-injected']).toBe('header');
    expect(outcome.body.length).toBeGreaterThan(0);
    expect(() => JSON.parse(outcome.body)).toThrow(SyntaxError);
    await expectUntouched();
  });

  it('hang: no response at all until the server gives up at --max-delay-ms, and nothing happened', async () => {
    const port = await start();
    const outcome = await rawRequest(port, { headers: { 'X-Mock-Fault': 'hang' }, body: BODY });
    expectError(outcome);
    expect(outcome.message).toBe('socket hang up');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(40);
    await expectUntouched();
  });

  it('hang: a client that gives up first gets nothing, and nothing happened', async () => {
    const port = await start(['--max-delay-ms=10000']);
    const outcome = await rawRequest(port, {
      headers: { 'X-Mock-Fault': 'hang' },
      body: BODY,
      // The client gives up once the server has the request, plus a little patience.
      abortWhen: server!.received.then(() => clientPatience(30)),
    });
    expectError(outcome);
    expect(outcome.code).toBe('ABORTED'); // our own give-up: the server never answered
    // The server saw the request (journaled when the socket closed) and did nothing with it.
    await vi.waitFor(async () => expect((await journal(sim)).entries).toHaveLength(1));
    expect((await journal(sim)).entries[0]).toMatchObject({
      path: '/api/generate',
      status: 0,
      injected: 'header',
    });
    await expectUntouched();
  });

  it.each(['reset', 'empty', 'hang'])(
    '%s: journaled with no status (0), injected by the header',
    async (fault) => {
      const port = await start();
      await rawRequest(port, { headers: { 'X-Mock-Fault': fault }, body: BODY });
      await vi.waitFor(async () => expect((await journal(sim)).entries).toHaveLength(1));
      expect((await journal(sim)).entries[0]).toMatchObject({
        method: 'POST',
        path: '/api/generate',
        status: 0,
        injected: 'header',
        task_id: null,
      });
    },
  );

  it('the connection after a fault is served normally', async () => {
    const port = await start();
    expectError(await rawRequest(port, { headers: { 'X-Mock-Fault': 'reset' }, body: BODY }));
    const next = await rawRequest(port, { body: BODY });
    expect(next.kind === 'response' && next.status).toBe(200);
    await expectUntouched(1, START_BALANCE - PRICE);
  });
});

describe('X-Mock-Fault on /api/status, from a real socket', () => {
  it.each([
    ['reset', /ECONNRESET/],
    ['empty', /^socket hang up$/],
    ['hang', /^socket hang up$/],
  ])('%s breaks a poll, which is not counted', async (fault, message) => {
    const port = await start();
    const taskId = await newTask(sim, { 'X-Mock-Polls': '1' });
    const outcome = await rawRequest(port, {
      method: 'GET',
      path: `/api/status?task_id=${taskId}`,
      headers: { 'X-Mock-Fault': fault },
    });
    expectError(outcome);
    expect(outcome.message).toMatch(message);
    const view = await taskView(sim, taskId);
    expect(view.polls).toBe(0);
    expect(view.record.status).toBe('IN_PROGRESS'); // the one poll that would end it never happened
  });

  it('malformed answers a poll with a broken body', async () => {
    const port = await start();
    const taskId = await newTask(sim);
    const outcome = await rawRequest(port, {
      method: 'POST',
      path: '/api/status',
      headers: { 'X-Mock-Fault': 'malformed' },
      body: { task_id: taskId },
    });
    expect(outcome.kind === 'response' && outcome.status).toBe(200);
    expect(() => JSON.parse(outcome.kind === 'response' ? outcome.body : '')).toThrow(SyntaxError);
  });
});

describe('X-Mock-Delay-Ms from a real socket', () => {
  it('holds the response of a request already processed: a client that times out has been charged', async () => {
    const port = await start(['--max-delay-ms=5000']);
    let answered = false;
    let giveUp!: () => void;
    const pending = rawRequest(port, {
      headers: { 'X-Mock-Delay-Ms': '5000' },
      body: BODY,
      abortWhen: new Promise<void>((resolve) => (giveUp = resolve)),
    }).then((outcome) => {
      answered = true;
      return outcome;
    });
    // The task appears (and is charged) while the response is still held.
    await vi.waitFor(async () => expect(await sim.taskCount()).toBe(1), { timeout: 4000, interval: 5 });
    expect(answered).toBe(false);
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    giveUp();
    const outcome = await pending;
    expectError(outcome);
    expect(outcome.code).toBe('ABORTED');
    expect(await sim.balance()).toBe(START_BALANCE - PRICE); // the client gave up, the charge stays
  });

  it('answers after the delay with the normal body', async () => {
    const port = await start(['--max-delay-ms=1000']);
    const outcome = await rawRequest(port, { headers: { 'X-Mock-Delay-Ms': '50' }, body: BODY });
    expect(outcome.kind).toBe('response');
    if (outcome.kind !== 'response') return;
    expect(outcome.status).toBe(200);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(40);
    expect(JSON.parse(outcome.body).data.task_id).toMatch(/^sd45_[0-9a-f]{16}$/);
  });

  it('delays a network fault, which still touches nothing', async () => {
    const port = await start(['--max-delay-ms=1000']);
    const outcome = await rawRequest(port, {
      headers: { 'X-Mock-Delay-Ms': '50', 'X-Mock-Fault': 'reset' },
      body: BODY,
    });
    expectError(outcome);
    expect(outcome.code).toBe('ECONNRESET');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(40);
    await expectUntouched();
  });
});

describe('network faults from fault rules', () => {
  it('a rule with fault: reset resets the next matching request only (times: 1)', async () => {
    const port = await start();
    const rule = await addRule(sim, {
      match: { path: '/api/generate' },
      action: { fault: 'reset' },
      times: 1,
    });
    const first = await rawRequest(port, { body: BODY });
    expectError(first);
    expect(first.code).toBe('ECONNRESET');
    await expectUntouched();
    const second = await rawRequest(port, { body: BODY });
    expect(second.kind === 'response' && second.status).toBe(200);
    expect((await journal(sim, { limit: '2' })).entries.map((e) => [e.status, e.injected])).toEqual([
      [200, null],
      [0, rule.id],
    ]);
  });

  it.each([
    ['empty', 'socket hang up'],
    ['hang', 'socket hang up'],
  ])('a rule with fault: %s breaks the connection the same way', async (fault, message) => {
    const port = await start();
    await addRule(sim, { action: { fault } });
    const outcome = await rawRequest(port, { body: BODY });
    expectError(outcome);
    expect(outcome.message).toBe(message);
    await expectUntouched();
  });

  it('a rule with fault: malformed answers 200 with a broken body, marked with the rule id', async () => {
    const port = await start();
    const rule = await addRule(sim, { action: { fault: 'malformed' } });
    const outcome = await rawRequest(port, { body: BODY });
    expect(outcome.kind).toBe('response');
    if (outcome.kind !== 'response') return;
    expect(outcome.headers['x-mock-injected']).toBe(rule.id);
    expect(() => JSON.parse(outcome.body)).toThrow(SyntaxError);
    await expectUntouched();
  });
});
