/**
 * Proxy mode (issue 15): in front of a second simulator as the "live" API. It forwards faithfully
 * (status, headers, body, image URLs untouched), QA faults still apply in front of it, task-shaping
 * headers are refused rather than ignored, the local rate limit is off unless asked for, time-outs and
 * unreachable APIs are answered in the envelope, the credit guard stops spending at N exactly under
 * concurrent generates, and the key never leaves the request.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessSimulator } from '../../contracts/provider/in-process-simulator.js';
import { rawRequest } from '../qa/qa-support.js';
import { slowAnswers, startRewritingProxy } from '../../contracts/provider/rewriting-proxy.js';
import {
  BODY,
  LIVE_KEY,
  call,
  driftOf,
  startLive,
  startProxy,
  visible,
  type Answer,
  type TestProxy,
} from './support.js';

const LIVE_RATE_LIMIT = '--rate-limit=generate=20/10s,status=60/10s';

let live: InProcessSimulator;
let proxy: TestProxy;

beforeAll(async () => {
  live = await startLive([LIVE_RATE_LIMIT]);
  proxy = await startProxy(live.url);
});

afterAll(async () => {
  await proxy?.close();
  await live?.close();
});

async function liveRequests(): Promise<number> {
  return (await live.control.journal({ limit: 500 })).length;
}

/** A client's session, seen as the client sees it; `url` is the proxy's or the live API's own. */
async function session(url: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  const key = LIVE_KEY;
  const see = (a: Answer) => {
    const v = visible(a);
    const allow = a.headers.get('allow');
    seen.push(allow === null ? v : { ...v, allow });
    return a;
  };
  const id = see(await call(url, 'POST', '/api/generate', { key, body: BODY })).json.data.task_id as string;
  see(await call(url, 'GET', `/api/status?task_id=${id}`, { key }));
  await live.control.advanceClock(60_000);
  see(await call(url, 'GET', `/api/status?task_id=${id}`, { key }));
  see(await call(url, 'POST', '/api/status', { key, body: { task_id: id } }));
  see(await call(url, 'POST', '/api/generate', { key, body: { ...BODY, quality: 'ultra' } }));
  see(await call(url, 'POST', '/api/generate', { body: BODY }));
  see(await call(url, 'POST', '/api/generate', { key: 'sk-dreamcore-not-a-real-key', body: BODY }));
  see(await call(url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key }));
  see(await call(url, 'GET', '/api/generate', { key }));
  await live.control.addFault({
    match: { path: '/api/status' },
    action: { status: 429, retryAfterSeconds: 7 },
    times: 1,
  });
  see(await call(url, 'GET', `/api/status?task_id=${id}`, { key }));
  return seen;
}

describe('forwarding', () => {
  it('answers exactly what the live API answers: statuses, headers, bodies, image URLs untouched', async () => {
    await live.control.reset();
    const through = await session(proxy.url);
    await live.control.reset(); // the same ids again (--exact-replay), the same clock
    const direct = await session(live.url);
    expect(through).toEqual(direct);
    // Image links still point at the live API, not at the proxy.
    const success = through[2] as { body: { data: { status: string; response: string[] } } };
    expect(success.body.data.status).toBe('SUCCESS');
    expect(success.body.data.response[0]).toMatch(
      new RegExp(`^${live.url}/files/sd45_[0-9a-f]{16}/0\\.jpg$`),
    );
    expect((through[4] as { status: number }).status).toBe(400);
    expect(through[8]).toMatchObject({ status: 405, allow: 'POST' });
    expect(through[9]).toMatchObject({ status: 429, headers: { 'retry-after': '7' } });
  });

  it("authenticates with the caller's own key at the live API, and journals the exchange without it", async () => {
    await live.control.reset();
    const before = (await live.control.account(LIVE_KEY))!.balance;
    const created = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expect(created.status).toBe(200);
    expect((await live.control.account(LIVE_KEY))!.balance).toBe(before - 18);
    const [entry] = await proxy.control.journal({ limit: 1 });
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/api/generate',
      status: 200,
      task_id: created.json.data.task_id,
      api_key: 'sk-l…aves#a3bd7c',
      request_body: BODY,
    });
    expect(entry!.injected).toBeNull();
    // The proxy knows no keys of its own: the live API refused this one, not the proxy.
    const unknown = await call(proxy.url, 'POST', '/api/generate', { key: 'sk-nobody', body: BODY });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('x-mock-injected')).toBeNull();
  });

  it('forwards to the live API whatever the request line names: an absolute-form URL keeps only its path', async () => {
    // A request line may name a whole URL (`GET http://host/path`, as clients of an HTTP proxy send).
    // Only its path and query go to the live API: the target never changes, and nothing is mangled.
    // Its host must be one the simulator serves, as a Host header's must (--allowed-hosts).
    const port = Number(new URL(proxy.url).port);
    const before = await liveRequests();
    const outcome = await rawRequest(port, {
      method: 'GET',
      path: 'http://localhost:1/api/status?task_id=sd45_0000000000000000',
      headers: { Authorization: `Bearer ${LIVE_KEY}`, Host: '127.0.0.1' },
    });
    expect(outcome.kind === 'response' && [outcome.status, JSON.parse(outcome.body).message]).toEqual([
      404,
      'Task not found',
    ]);
    expect(await liveRequests()).toBe(before + 1);
    const elsewhere = await rawRequest(port, {
      method: 'GET',
      path: 'http://elsewhere.example/api/status?task_id=sd45_0000000000000000',
      headers: { Authorization: `Bearer ${LIVE_KEY}`, Host: '127.0.0.1' },
    });
    expect(elsewhere.kind === 'response' && elsewhere.status).toBe(403);
    expect(await liveRequests()).toBe(before + 1);
  });

  it('never lets the key out: not in the logs, the journal, the drift summary', async () => {
    await call(proxy.url, 'GET', `/api/status?task_id=${LIVE_KEY}`, { key: LIVE_KEY }); // a key where an id goes
    await call(proxy.url, 'POST', '/api/generate', {
      key: LIVE_KEY,
      body: { ...BODY, [LIVE_KEY]: LIVE_KEY },
    });
    const journal = JSON.stringify(await proxy.control.journal({ limit: 500 }));
    const drift = JSON.stringify(await driftOf(proxy.url));
    expect(drift).toContain('[redacted]'); // the unknown field named after the key, redacted
    for (const text of [proxy.logs(), journal, drift]) expect(text).not.toContain(LIVE_KEY);
  });
});

describe('QA faults in front of the proxy', () => {
  it('headers, rules and network faults answer before anything reaches the live API', async () => {
    const before = await liveRequests();
    const forced = await call(proxy.url, 'POST', '/api/generate', {
      key: LIVE_KEY,
      body: BODY,
      headers: { 'X-Mock-Status': '500' },
    });
    expect(forced.status).toBe(500);
    expect(forced.headers.get('x-mock-injected')).toBe('header');
    const rule = await proxy.control.addFault({
      match: { path: '/api/generate' },
      action: { status: 429, retryAfterSeconds: 3, message: 'Slow down (rule)' },
      times: 1,
    });
    const ruled = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expect([ruled.status, ruled.headers.get('retry-after'), ruled.json.message]).toEqual([
      429,
      '3',
      'Slow down (rule)',
    ]);
    expect(ruled.headers.get('x-mock-injected')).toBe(rule.id);
    await expect(
      call(proxy.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
        key: LIVE_KEY,
        headers: { 'X-Mock-Fault': 'reset' },
      }),
    ).rejects.toThrow();
    expect(await liveRequests()).toBe(before);
    // A delay holds the real answer: the request does reach the live API.
    const held = await call(proxy.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
      key: LIVE_KEY,
      headers: { 'X-Mock-Delay-Ms': '1' },
    });
    expect([held.status, held.headers.get('x-mock-injected')]).toEqual([404, 'header']);
    expect(await liveRequests()).toBe(before + 1);
  });

  it('chaos applies in front too', async () => {
    const chaotic = await startProxy(live.url, ['--chaos=500=1']);
    try {
      const before = await liveRequests();
      const answer = await call(chaotic.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
      expect([answer.status, answer.headers.get('x-mock-injected')]).toEqual([500, 'chaos']);
      expect(await liveRequests()).toBe(before);
    } finally {
      await chaotic.close();
    }
  });

  it('refuses task-shaping headers, prompt markers and task rules with 400 naming them: a real task cannot be shaped', async () => {
    const before = await liveRequests();
    for (const [header, value] of [
      ['X-Mock-Outcome', 'failed'],
      ['X-Mock-Error-Message', 'boom'],
      ['X-Mock-Duration-Ms', '5000'],
      ['X-Mock-Polls', '3'],
    ] as const) {
      const refused = await call(proxy.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: BODY,
        headers: { [header]: value },
      });
      expect(refused.status, header).toBe(400);
      expect(refused.json.data.errors[0].field).toBe(`header.${header.toLowerCase()}`);
      expect(refused.json.data.errors[0].message).toContain('cannot shape a task in proxy mode');
    }
    const marked = await call(proxy.url, 'POST', '/api/generate', {
      key: LIVE_KEY,
      body: { ...BODY, prompt: 'a fox [mock:outcome=failed]' },
    });
    expect([marked.status, marked.json.data.errors[0].field]).toEqual([400, 'body.prompt']);
    const rule = await call(proxy.url, 'POST', '/__mock/faults', {
      body: { match: { path: '/api/generate' }, action: { task: { outcome: 'failed' } } },
    });
    expect([rule.status, rule.json.data.errors[0].field]).toEqual([400, 'body.action.task']);
    expect(await liveRequests()).toBe(before);
  });

  it('strips X-Mock-* and Prefer before forwarding (with --fault-headers off they reach nobody)', async () => {
    const quiet = await startProxy(live.url, ['--fault-headers=off']);
    try {
      const answer = await call(quiet.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: BODY,
        headers: { 'X-Mock-Status': '500', Prefer: 'code=500', 'X-Mock-Outcome': 'failed' },
      });
      // The live simulator honours these headers: had they reached it, it would have answered 500.
      expect(answer.status).toBe(200);
      const task = await live.control.task(answer.json.data.task_id);
      expect(task?.plan.outcome).toBe('success');
    } finally {
      await quiet.close();
    }
  });
});

describe('the local rate limit', () => {
  it('is off in proxy mode unless --rate-limit is given (the live API limits)', async () => {
    await live.control.reset();
    const before = await liveRequests();
    const unknown = '/api/status?task_id=sd45_0000000000000000';
    for (let i = 0; i < 30; i++) await call(proxy.url, 'GET', unknown, { key: LIVE_KEY });
    // Every one reached the live API (whose own limit, 60 per 10 s, was not met).
    expect(await liveRequests()).toBe(before + 30);
    const limited = await startProxy(live.url, ['--rate-limit=status=2/60s']);
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await call(limited.url, 'GET', unknown, { key: LIVE_KEY }));
      expect(answers.map((a) => a.status)).toEqual([404, 404, 429]);
      expect(answers[2]!.headers.get('x-mock-injected')).toBe('rate-limit');
      expect(await liveRequests()).toBe(before + 32); // the third never left
    } finally {
      await limited.close();
    }
  });
});

describe('when the live API does not answer', () => {
  it('a slow answer past --proxy-timeout-ms is 504 gateway_timeout, marked injected', async () => {
    const slow = await startRewritingProxy(live.url, slowAnswers(30_000));
    const impatient = await startProxy(slow.url, ['--proxy-timeout-ms=300']);
    try {
      const answer = await call(impatient.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
        key: LIVE_KEY,
      });
      expect(answer.status).toBe(504);
      expect(answer.json).toMatchObject({ code: 504, data: { type: 'gateway_timeout' } });
      expect(answer.json.message).toContain('within 300 ms');
      expect(answer.headers.get('x-mock-injected')).toBe('proxy-timeout');
    } finally {
      await impatient.close();
      await slow.close();
    }
  });

  it('an unreachable live API is 502 bad_gateway, and a generate that never left is not counted', async () => {
    const port = await freePort();
    const nowhere = await startProxy(`http://127.0.0.1:${port}`, ['--proxy-max-credits=12']);
    try {
      for (let i = 0; i < 2; i++) {
        const answer = await call(nowhere.url, 'POST', '/api/generate', {
          key: LIVE_KEY,
          body: { ...BODY, quality: 'basic' },
        });
        expect(answer.status).toBe(502);
        expect(answer.json).toMatchObject({ code: 502, data: { type: 'bad_gateway' } });
        expect(answer.json.message).toContain('ECONNREFUSED');
        expect(answer.headers.get('x-mock-injected')).toBe('proxy-unreachable');
      }
      expect((await driftOf(nowhere.url)).credits).toEqual({ limit: 12, forwarded: 0 });
    } finally {
      await nowhere.close();
    }
  });
});

describe('the credit guard (--proxy-max-credits)', () => {
  const debits = async () =>
    ((await live.control.account(LIVE_KEY))?.ledger ?? [])
      .filter((e) => e.kind === 'debit')
      .reduce((sum, e) => sum - e.amount, 0);

  it('stops spending at N exactly under concurrent generates, refusing the rest locally with 402', async () => {
    await live.control.reset();
    const guarded = await startProxy(live.url, ['--proxy-max-credits=100']);
    try {
      const before = await liveRequests();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          call(guarded.url, 'POST', '/api/generate', { key: LIVE_KEY, body: { ...BODY, quality: 'basic' } }),
        ),
      );
      const accepted = answers.filter((a) => a.status === 200);
      const refused = answers.filter((a) => a.status === 402);
      expect([accepted.length, refused.length]).toEqual([8, 12]); // 8 x 12 = 96 <= 100 < 108
      for (const r of refused) {
        expect(r.headers.get('x-mock-injected')).toBe('credit-guard');
        expect(r.json).toMatchObject({
          code: 402,
          data: { type: 'insufficient_credits', required_credits: 12, balance: 4 },
        });
        expect(r.json.message).toContain('--proxy-max-credits 100');
      }
      expect(await debits()).toBe(96); // the live ledger: exactly what was let through
      expect(await liveRequests()).toBe(before + 8); // the refused never left
      expect((await driftOf(guarded.url)).credits).toEqual({ limit: 100, forwarded: 96 });
      // Still at its limit after a reset of the proxy: the money was spent.
      await guarded.control.reset();
      const after = await call(guarded.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: { ...BODY, quality: 'basic' },
      });
      expect(after.status).toBe(402);
    } finally {
      await guarded.close();
    }
  });

  it('gives back what the live API refused (4xx), keeps what it may have charged (200, 5xx)', async () => {
    await live.control.reset();
    const guarded = await startProxy(live.url, ['--proxy-max-credits=24']);
    try {
      const basic = { ...BODY, quality: 'basic' };
      const invalid = await call(guarded.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: { ...basic, aspectRatio: '2:1' },
      });
      expect(invalid.status).toBe(400);
      expect((await driftOf(guarded.url)).credits.forwarded).toBe(0);
      await live.control.addFault({ match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
      expect((await call(guarded.url, 'POST', '/api/generate', { key: LIVE_KEY, body: basic })).status).toBe(
        500,
      );
      expect((await driftOf(guarded.url)).credits.forwarded).toBe(12);
      expect((await call(guarded.url, 'POST', '/api/generate', { key: LIVE_KEY, body: basic })).status).toBe(
        200,
      );
      expect((await call(guarded.url, 'POST', '/api/generate', { key: LIVE_KEY, body: basic })).status).toBe(
        402,
      );
      expect(await debits()).toBe(12);
    } finally {
      await guarded.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
