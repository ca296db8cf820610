/**
 * Hardening issue, item 12: the public API (and the image files) usable from a page on another origin.
 * Preflights are answered before fault injection and authentication, never journaled or rate limited;
 * real requests carry Access-Control-Allow-Origin and expose the headers clients must read. The
 * control API gets no CORS headers unless `--control-cors` names an origin.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../mock-server/src/config.js';
import {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  publicCors,
} from '../../mock-server/src/http/middleware/cors.js';
import { FAULT_HEADERS } from '../../mock-server/src/qa/header-faults.js';
import { SAMPLE_REQUEST, testSimulator } from '../support/harness.js';

const APP = 'http://app.example:3000';

const preflight = (sim: Awaited<ReturnType<typeof testSimulator>>, path: string, method = 'POST') =>
  sim.http.options(path).set({
    Origin: APP,
    'Access-Control-Request-Method': method,
    'Access-Control-Request-Headers': 'authorization,content-type,x-mock-status',
  });

const listOf = (header: string | undefined) =>
  (header ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
    .sort();

describe('CORS on the public API (default --cors=*)', () => {
  it('answers a preflight to /api/generate with 204 and the allowed methods and headers, not 401', async () => {
    // Rate limiting on, with a bucket of one: a counted preflight would make the request below a 429.
    const sim = await testSimulator(['--rate-limit=generate=1/10s,status=1/10s']);
    const res = await preflight(sim, '/api/generate');
    expect(res.status, res.text).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(listOf(res.headers['access-control-allow-methods'])).toEqual(['post']);
    const allowed = listOf(res.headers['access-control-allow-headers']);
    expect(allowed).toEqual(
      expect.arrayContaining([
        'authorization',
        'content-type',
        'prefer',
        ...FAULT_HEADERS.map((h) => h.toLowerCase()),
      ]),
    );
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(res.text).toBe('');

    const status = await preflight(sim, '/api/status', 'GET');
    expect(status.status).toBe(204);
    expect(listOf(status.headers['access-control-allow-methods'])).toEqual(['get', 'post']);
    const files = await preflight(sim, '/files/sd45_0123456789abcdef/0.jpg', 'GET');
    expect(files.status).toBe(204);
    expect(listOf(files.headers['access-control-allow-methods'])).toEqual(['get']);

    // Not journaled, not counted: the key's single generate token is still there.
    expect((await sim.store.queryJournal({ limit: 100 })).entries).toEqual([]);
    const gen = sim.conforms(
      await sim.http.post('/api/generate').set(sim.auth()).set('Origin', APP).send(SAMPLE_REQUEST),
    );
    expect(gen.status).toBe(200);
  });

  it('answers a preflight even when a fault rule or chaos would fail every request', async () => {
    const sim = await testSimulator(['--chaos=500=1']);
    await sim.http.post('/__mock/faults').send({ action: { status: 500 } });
    const res = await preflight(sim, '/api/generate');
    expect(res.status).toBe(204);
    expect(res.headers['x-mock-injected']).toBeUndefined();
    expect((await sim.store.listRules())[0]!.hits).toBe(0);
  });

  it('gives real cross-origin answers Access-Control-Allow-Origin and the exposed headers', async () => {
    const sim = await testSimulator(['--rate-limit=generate=20/10s,status=60/10s']);
    const gen = await sim.http.post('/api/generate').set(sim.auth()).set('Origin', APP).send(SAMPLE_REQUEST);
    expect(gen.status).toBe(200);
    expect(gen.headers['access-control-allow-origin']).toBe('*');
    expect(listOf(gen.headers['access-control-expose-headers'])).toEqual(
      [
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'x-mock-injected',
      ].sort(),
    );
    // Errors too: a page must be able to read a 401 or a 429's Retry-After.
    const unauthorized = await sim.http
      .get('/api/status')
      .query({ task_id: gen.body.data.task_id })
      .set('Origin', APP);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe('*');
    const forced = await sim.http
      .get('/api/status')
      .query({ task_id: gen.body.data.task_id })
      .set(sim.auth())
      .set({ Origin: APP, 'X-Mock-Status': '429' });
    expect(forced.status).toBe(429);
    expect(forced.headers['access-control-allow-origin']).toBe('*');
    expect(forced.headers['access-control-expose-headers']).toMatch(/Retry-After/);
  });

  it('--cors with a list of origins answers only those, and varies on Origin', async () => {
    const sim = await testSimulator([`--cors=${APP},https://b.example`]);
    const ok = await preflight(sim, '/api/generate');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
    expect(ok.headers.vary).toMatch(/Origin/);
    const other = await sim.http
      .options('/api/generate')
      .set({ Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('--cors off gives no CORS headers (and a preflight meets authentication, as before)', async () => {
    const sim = await testSimulator(['--cors=off']);
    const res = await preflight(sim, '/api/generate');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
    const gen = await sim.http.post('/api/generate').set(sim.auth()).set('Origin', APP).send(SAMPLE_REQUEST);
    expect(gen.status).toBe(200);
    expect(gen.headers['access-control-allow-origin']).toBeUndefined();
    expect(gen.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('gives the control API no CORS headers by default: a preflight to /__mock/reset is not allowed', async () => {
    const sim = await testSimulator();
    const res = await preflight(sim, '/__mock/reset');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
    expect(res.status).toBe(403);
    const read = await sim.http.get('/__mock/clock');
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('parses --cors and --control-cors (and their variables), refusing what is not an origin', () => {
    expect(parseConfig([], {}).cors).toBe('*');
    expect(parseConfig(['--cors=off'], {}).cors).toBe('off');
    expect(parseConfig([], { DREAMCORE_CORS: 'https://A.example, http://b.example:8080' }).cors).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(parseConfig([], {}).controlCors).toEqual([]);
    expect(parseConfig(['--control-cors=http://console.test'], {}).controlCors).toEqual([
      'http://console.test',
    ]);
    expect(() => parseConfig(['--cors=example.com'], {})).toThrow(/--cors/);
    expect(() => parseConfig(['--cors=https://a.example/path'], {})).toThrow(/--cors/);
    expect(() => parseConfig(['--control-cors=*'], {})).toThrow(/--control-cors/);
  });
});

describe('CORS with `*`: the fast path sets what the cors package would', () => {
  // publicCors sets the two headers of a non-preflight answer itself when the origin is `*`; the
  // package's own handler (used for preflights, and for origin lists) is the reference.
  const headersOf = (handler: RequestHandler, method: string, origin: string | undefined) => {
    const set: Record<string, unknown> = {};
    const res = {
      setHeader: (name: string, value: unknown) => void (set[name.toLowerCase()] = value),
      getHeader: (name: string) => set[name.toLowerCase()],
    };
    let passed = false;
    const req = { method, headers: origin === undefined ? {} : { origin } };
    handler(req as never, res as never, () => (passed = true));
    return { set, passed };
  };

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'HEAD'])('%s, with and without an Origin', (method) => {
    const fast = publicCors('*', ['GET', 'POST'])!;
    const reference = cors({
      origin: '*',
      methods: ['GET', 'POST'],
      allowedHeaders: [...CORS_ALLOWED_HEADERS],
      exposedHeaders: [...CORS_EXPOSED_HEADERS],
      credentials: false,
      maxAge: 600,
    });
    for (const origin of [undefined, 'https://app.example', 'null']) {
      expect(headersOf(fast, method, origin)).toEqual(headersOf(reference, method, origin));
    }
  });
});
