/**
 * Every answer of the simulator says `X-Content-Type-Options: nosniff`, so that no browser reads a
 * JSON error (which may echo what a caller sent) or an image as HTML or script: the public API, the
 * control API, the image files, the pages, every error, and the answers Node's own parser and the
 * connection cap give before the app sees the request (http/server.ts). The proxy's own answers had it
 * already (test/proxy).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { createSimulatorServer, type SimulatorServer } from '../../mock-server/src/http/server.js';
import { RawClient, type RawResponse } from '../support/raw-http.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';

const TOKEN = 'nosniff-operator-token';
const LIMITS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 20,
};

let sim: TestSimulator;
let server: SimulatorServer;
let url: string;
let port: number;
let taskId: string;
const clients: RawClient[] = [];

beforeAll(async () => {
  sim = await testSimulator([`--control-token=${TOKEN}`, '--body-limit=1kb']);
  server = createSimulatorServer(sim.app, LIMITS);
  ({ port } = await server.listen(0, '127.0.0.1'));
  url = `http://127.0.0.1:${port}`;
  const gen = await fetch(`${url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(SAMPLE_REQUEST),
  });
  taskId = ((await gen.json()) as { data: { task_id: string } }).data.task_id;
  sim.advance(3_600_000);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await server?.drain(0);
});

async function raw(port_: number): Promise<RawClient> {
  const c = await RawClient.connect(port_);
  clients.push(c);
  return c;
}

const key = { Authorization: `Bearer ${DEV_KEY}` };
const json = { 'Content-Type': 'application/json' };
const operator = { 'X-Mock-Token': TOKEN };

describe('X-Content-Type-Options: nosniff', () => {
  it('on every kind of answer the app gives', async () => {
    const image = await fetch(`${url}/api/status?task_id=${taskId}`, { headers: key });
    const [imageUrl] = ((await image.json()) as { data: { response: string[] } }).data.response;
    const requests: Array<[string, number, string, RequestInit?]> = [
      [
        'public 200 (generate)',
        200,
        '/api/generate',
        { method: 'POST', headers: { ...key, ...json }, body: JSON.stringify(SAMPLE_REQUEST) },
      ],
      ['public 200 (status)', 200, `/api/status?task_id=${taskId}`, { headers: key }],
      [
        'public 401',
        401,
        '/api/generate',
        { method: 'POST', headers: json, body: JSON.stringify(SAMPLE_REQUEST) },
      ],
      ['public 400', 400, '/api/generate', { method: 'POST', headers: { ...key, ...json }, body: '{}' }],
      ['public 404 (task)', 404, '/api/status?task_id=sd45_0000000000000000', { headers: key }],
      ['public 405', 405, '/api/generate', { method: 'DELETE', headers: key }],
      [
        'public 413',
        413,
        '/api/generate',
        { method: 'POST', headers: { ...key, ...json }, body: JSON.stringify({ prompt: 'x'.repeat(4096) }) },
      ],
      [
        'public 415',
        415,
        '/api/generate',
        { method: 'POST', headers: { ...key, 'Content-Type': 'text/plain' }, body: 'hi' },
      ],
      [
        'forced 500',
        500,
        '/api/generate',
        {
          method: 'POST',
          headers: { ...key, ...json, 'X-Mock-Status': '500' },
          body: JSON.stringify(SAMPLE_REQUEST),
        },
      ],
      [
        'CORS preflight',
        204,
        '/api/generate',
        {
          method: 'OPTIONS',
          headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST' },
        },
      ],
      ['control 200', 200, '/__mock/clock', { headers: operator }],
      ['control 401', 401, '/__mock/clock'],
      ['control 404', 404, '/__mock/tenants/t-000000000000', { headers: operator }],
      [
        'control 400',
        400,
        '/__mock/clock/advance',
        { method: 'POST', headers: { ...operator, ...json }, body: '{"ms":-1}' },
      ],
      ['health', 200, '/__mock/health'],
      ['metrics', 200, '/__mock/metrics', { headers: operator }],
      ['console', 200, '/__mock/console'],
      ['reference page', 200, '/docs'],
      ['reference document', 200, '/docs/openapi.json'],
      ['image file', 200, new URL(imageUrl!).pathname],
      ['image 404', 404, `/files/${taskId}/9.jpg`],
      ['unknown route', 404, '/no/such/route'],
    ];
    for (const [what, status, path, init] of requests) {
      const res = await fetch(`${url}${path}`, init);
      await res.arrayBuffer();
      expect(res.status, what).toBe(status);
      expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
    }
  });

  it('on a bad Host, refused before anything else', async () => {
    const c = await raw(port);
    c.get('/__mock/clock', { Host: 'evil.example' });
    const res = await c.response();
    expect(res.status).toBe(403);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('on the journal stream', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${url}/__mock/journal/stream`, { headers: operator, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    ctrl.abort();
  });

  it("on the answers of Node's parser and of the server around the app", async () => {
    const expectNoSniff = (res: RawResponse, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers['x-content-type-options'], String(status)).toBe('nosniff');
    };
    const garbage = await raw(port);
    garbage.write('HELLO THERE\r\n\r\n');
    expectNoSniff(await garbage.response(), 400);
    const noHost = await raw(port);
    noHost.write('GET /__mock/health HTTP/1.1\r\n\r\n');
    expectNoSniff(await noHost.response(), 400);
    const big = await raw(port);
    big.get('/__mock/health', { 'X-Big': 'x'.repeat(20_000) });
    expectNoSniff(await big.response(), 431);
    const expect100 = await raw(port);
    expect100.get('/__mock/health', { Expect: 'something-else' });
    expectNoSniff(await expect100.response(), 417);
  });

  it('on the connection cap’s 503', async () => {
    const capped = createSimulatorServer(sim.app, { ...LIMITS, maxConnections: 1 });
    const { port: cappedPort } = await capped.listen(0, '127.0.0.1');
    try {
      const stalled = await raw(cappedPort);
      stalled.write('GET /__mock/he'); // holds the one connection, headers unfinished
      const extra = await raw(cappedPort);
      extra.get('/__mock/health');
      const res = await extra.response();
      expect(res.status).toBe(503);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      for (const c of clients.splice(0)) c.close();
      await capped.drain(0);
    }
  });
});
