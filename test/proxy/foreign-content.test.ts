/**
 * Proxy and replay never serve foreign content in the simulator's origin: only what the spec lets the
 * API answer passes (a JSON body, the documented headers); an HTML page (an upstream's, or a crafted
 * cassette's) is refused as drift with 502 in the envelope, never rendered; and every answer the
 * gateway makes carries `X-Content-Type-Options: nosniff`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessSimulator } from '../../contracts/provider/in-process-simulator.js';
import {
  startRewritingProxy,
  type ProxiedResponse,
  type Rewrite,
} from '../../contracts/provider/rewriting-proxy.js';
import { RESPONSE_HEADERS } from '../../mock-server/src/cassette/cassette.js';
import { loadRawSpec } from '../support/spec-walk.js';
import {
  BODY,
  LIVE_KEY,
  RECORDED_GENERATE,
  call,
  cassetteOf,
  driftOf,
  startGatewaySimulator,
  startLive,
  startProxy,
  writeCassette,
  type Answer,
  type TestProxy,
} from './support.js';

const SCRIPT = '<script>fetch("/__mock/reset",{method:"POST"})</script>';
const PAGE = `<!doctype html><html><body>${SCRIPT}</body></html>`;

let live: InProcessSimulator;
let dir: string;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  live = await startLive();
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-foreign-'));
});
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
afterAll(async () => {
  await live?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The proxy in front of a stand-in that answers every request with `answer` (nothing reaches the live API). */
async function proxyAnswering(answer: ProxiedResponse, extra: string[] = []): Promise<TestProxy> {
  const stand = await startRewritingProxy(live.url, (r) => r, { intercept: () => structuredClone(answer) });
  opened.push(stand);
  const proxy = await startProxy(stand.url, extra);
  opened.push(proxy);
  return proxy;
}

/** The proxy in front of the live API, its answers rewritten. */
async function proxyRewriting(rewrite: Rewrite): Promise<TestProxy> {
  const stand = await startRewritingProxy(live.url, rewrite);
  opened.push(stand);
  const proxy = await startProxy(stand.url);
  opened.push(proxy);
  return proxy;
}

async function replayOf(name: string, exchanges: Array<Record<string, unknown>>): Promise<TestProxy> {
  const replay = await startGatewaySimulator([`--replay=${writeCassette(dir, name, cassetteOf(exchanges))}`]);
  opened.push(replay);
  return replay;
}

/** What a refusal of foreign content looks like to the client: the simulator's own JSON, nothing of the page. */
function expectRefused(answer: Answer, what: RegExp): void {
  expect(answer.status).toBe(502);
  expect(answer.headers.get('x-mock-injected')).toBe('proxy-refused');
  expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(answer.headers.get('set-cookie')).toBeNull();
  expect(answer.json).toMatchObject({ code: 502, data: { type: 'bad_gateway' } });
  expect(answer.json.message).toMatch(what);
  expect(answer.text).not.toContain('<script');
}

describe('proxy mode', () => {
  it("refuses an upstream's HTML page (with its cookie) as drift, 502 in the envelope, never served", async () => {
    const proxy = await proxyAnswering({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'set-cookie': 'session=owned; Path=/' },
      body: PAGE,
    });
    const answer = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expectRefused(answer, /The live API's answer \(200\).*content type "text\/html".*not passed on/);
    const drift = await driftOf(proxy.url);
    expect(drift.by_place).toContainEqual(
      expect.objectContaining({ side: 'response', kind: 'content-type', where: 'content-type' }),
    );
  });

  it("refuses a gateway's HTML error page on a status the route does not list, and one without a content type", async () => {
    const proxy = await proxyAnswering({ status: 502, headers: { 'content-type': 'text/html' }, body: PAGE });
    expectRefused(
      await call(proxy.url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key: LIVE_KEY }),
      /\(502\).*"text\/html"/,
    );
    const { by_place } = await driftOf(proxy.url);
    expect(by_place).toContainEqual(expect.objectContaining({ kind: 'status' }));
    expect(by_place).toContainEqual(expect.objectContaining({ kind: 'content-type', where: 'content-type' }));

    const bare = await proxyAnswering({ status: 200, headers: {}, body: PAGE });
    expectRefused(await call(bare.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY }), /\(none\)/);
  });

  it('refuses a body that says it is JSON and is not', async () => {
    const proxy = await proxyAnswering({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: PAGE,
    });
    expectRefused(
      await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY }),
      /body is not valid JSON/,
    );
  });

  it('passes a JSON answer with only the documented headers, and nosniff', async () => {
    const proxy = await proxyRewriting((response) => ({
      ...response,
      headers: {
        ...response.headers,
        'set-cookie': 'session=owned; Path=/',
        location: 'https://evil.example/',
        'content-security-policy': "script-src 'unsafe-inline'",
        'access-control-allow-origin': 'https://evil.example',
        'x-mock-injected': 'not-the-proxy',
        'x-ratelimit-limit': '20',
        'retry-after': '3',
      },
    }));
    const answer = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expect(answer.status).toBe(200);
    expect(answer.json.data.task_id).toMatch(/^sd45_/);
    for (const name of ['set-cookie', 'location', 'content-security-policy', 'x-mock-injected'])
      expect(answer.headers.get(name), name).toBeNull();
    // The simulator's own CORS answer, not the upstream's.
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('x-ratelimit-limit')).toBe('20');
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("marks every answer the gateway makes with nosniff: passed on, refused, the live API's errors", async () => {
    const proxy = await startProxy(live.url, ['--proxy-max-credits=1']);
    opened.push(proxy);
    const answers = [
      await call(proxy.url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key: LIVE_KEY }),
      await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY }), // credit guard
      await call(proxy.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: BODY,
        headers: { 'X-Mock-Outcome': 'failed' },
      }),
      await call(proxy.url, 'GET', '/api/status?task_id=sd45_0000000000000000'), // no key
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 402, 400, 401]);
    for (const a of answers) expect(a.headers.get('x-content-type-options'), a.text).toBe('nosniff');
    // The local rate limiter's 429 (--rate-limit given) is the gateway's too.
    const limited = await startProxy(live.url, ['--rate-limit=status=1/60s']);
    opened.push(limited);
    const unknown = '/api/status?task_id=sd45_0000000000000000';
    await call(limited.url, 'GET', unknown, { key: LIVE_KEY });
    const refused = await call(limited.url, 'GET', unknown, { key: LIVE_KEY });
    expect([refused.status, refused.headers.get('x-content-type-options')]).toEqual([429, 'nosniff']);
  });
});

describe('replay mode', () => {
  it("refuses a crafted cassette's HTML answer as drift, 502 in the envelope, never served", async () => {
    const replay = await replayOf('html.cassette.json', [
      {
        request: RECORDED_GENERATE,
        response: { status: 200, headers: { 'content-type': 'text/html' }, bodyText: PAGE },
      },
    ]);
    const answer = await call(replay.url, 'POST', '/api/generate', { key: 'sk-any', body: BODY });
    expectRefused(answer, /The recorded answer \(200\).*"text\/html".*not passed on/);
  });

  it('refuses recorded text that claims to be JSON, and passes a recorded JSON answer with nosniff', async () => {
    const replay = await replayOf('text.cassette.json', [
      {
        request: RECORDED_GENERATE,
        response: { status: 200, headers: { 'content-type': 'application/json' }, bodyText: PAGE },
      },
      {
        request: { ...RECORDED_GENERATE, body: { ...BODY, quality: 'basic' } },
        response: {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: { code: 200, message: 'success', data: { task_id: 'sd45_0123456789abcdef' } },
        },
      },
    ]);
    expectRefused(
      await call(replay.url, 'POST', '/api/generate', { key: 'sk-any', body: BODY }),
      /body is not valid JSON/,
    );
    const passed = await call(replay.url, 'POST', '/api/generate', {
      key: 'sk-any',
      body: { ...BODY, quality: 'basic' },
    });
    expect([passed.status, passed.json.data.task_id]).toEqual([200, 'sd45_0123456789abcdef']);
    expect(passed.headers.get('x-content-type-options')).toBe('nosniff');
    const miss = await call(replay.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
      key: 'sk-any',
    });
    expect([miss.status, miss.headers.get('x-content-type-options')]).toEqual([404, 'nosniff']);
  });
});

describe('the allowlist of answer headers', () => {
  it("holds every header openapi.yaml documents on the public API's answers (and only adds Allow and Content-Type)", () => {
    const documented = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'headers' && typeof value === 'object' && value !== null)
          for (const name of Object.keys(value)) documented.add(name.toLowerCase());
        walk(value);
      }
    };
    walk(loadRawSpec());
    expect([...RESPONSE_HEADERS].sort()).toEqual([...documented, 'allow', 'content-type'].sort());
  });
});
