/**
 * Drift, against a drifting stand-in (contracts/provider/rewriting-proxy.ts in front of a second
 * simulator): a renamed field, a missing header, a wrong status, a 503 storm and slow answers. Each
 * drift is reported with its place in openapi.yaml (a JSON pointer and the schema path) and its
 * provenance, in the journal entry of the exchange, in GET /__mock/drift and through the metrics
 * hook; it never blocks the answer unless --proxy-strict, which answers 502 naming the violation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessSimulator } from '../../contracts/provider/in-process-simulator.js';
import {
  changeStatus,
  dropHeader,
  renameField,
  slowAnswers,
  startRewritingProxy,
  storm,
  type RewritingProxy,
} from '../../contracts/provider/rewriting-proxy.js';
import type { DriftHooks } from '../../mock-server/src/drift/drift-summary.js';
import { BODY, LIVE_KEY, call, driftOf, startLive, startProxy, type TestProxy } from './support.js';

let live: InProcessSimulator;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  live = await startLive();
});
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
afterAll(async () => {
  await live?.close();
});

async function standIn(
  ...args: Parameters<typeof startRewritingProxy> extends [string, ...infer R] ? R : never
) {
  const proxy: RewritingProxy = await startRewritingProxy(live.url, ...args);
  opened.push(proxy);
  return proxy;
}

async function proxyTo(target: string, extra: string[] = [], hooks?: DriftHooks): Promise<TestProxy> {
  const proxy = await startProxy(target, extra, hooks);
  opened.push(proxy);
  return proxy;
}

const unknownTask = '/api/status?task_id=sd45_0000000000000000';

describe('each drift, with its place in the spec', () => {
  it('a renamed field: documented, at the schema that requires it; the answer still goes back unchanged', async () => {
    const seen: Array<[string, string, string]> = [];
    const exchanges: boolean[] = [];
    const stand = await standIn(renameField('task_id', 'taskId'));
    const proxy = await proxyTo(stand.url, [], {
      onDrift: (kind, provenance, side) => seen.push([kind, provenance, side]),
      onExchange: (drifted) => exchanges.push(drifted),
    });
    const created = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expect(created.status).toBe(200);
    expect(created.json.data.taskId).toMatch(/^sd45_/); // unchanged: the client sees what the API said
    expect(created.headers.get('x-mock-injected')).toBeNull();

    const required = {
      side: 'response',
      kind: 'body',
      where: 'body.data',
      pointer: '#/components/schemas/GenerateResponse/properties/data/required',
      schema_path: '#/properties/data/required',
      provenance: 'documented',
    };
    const drift = await driftOf(proxy.url);
    expect(drift).toMatchObject({
      mode: 'proxy',
      target: stand.url,
      strict: false,
      exchanges: 1,
      exchanges_with_drift: 1,
    });
    expect(drift.by_place).toContainEqual({
      ...required,
      count: 1,
      last_message: "must have required property 'task_id'",
      last_seen_at: expect.any(String),
    });
    expect(drift.by_place).toContainEqual(
      expect.objectContaining({
        pointer: '#/components/schemas/GenerateResponse/properties/data/additionalProperties',
        last_message: 'must NOT have additional properties: "taskId"',
      }),
    );
    expect(drift.recent[0]).toMatchObject({ method: 'POST', path: '/api/generate', status: 200 });
    const [entry] = await proxy.control.journal({ limit: 1 });
    expect((entry as { drift?: unknown[] }).drift).toContainEqual({
      ...required,
      message: "must have required property 'task_id'",
    });
    expect(seen).toEqual([
      ['body', 'documented', 'response'],
      ['body', 'documented', 'response'],
    ]);
    expect(exchanges).toEqual([true]);
  });

  it('counts findings and checked exchanges in the metrics, by kind, provenance and side', async () => {
    const stand = await standIn(renameField('task_id', 'taskId'));
    const proxy = await proxyTo(stand.url);
    expect((await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY })).status).toBe(200);
    expect((await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY })).status).toBe(404);
    const metrics = (await call(proxy.url, 'GET', '/__mock/metrics')).text;
    // The renamed field: one missing required property and one unexpected one, both in the answer.
    expect(metrics).toContain(
      'dreamcore_drift_findings_total{kind="body",provenance="documented",side="response"} 2',
    );
    expect(metrics).toContain('dreamcore_drift_exchanges_total{drifted="true"} 1');
    expect(metrics).toContain('dreamcore_drift_exchanges_total{drifted="false"} 1');
  });

  it('a missing header: the 429 without Retry-After, inferred, at #/components/headers/Retry-After', async () => {
    await live.control.addFault({ match: { path: '/api/status' }, action: { status: 429 }, times: 1 });
    const stand = await standIn(dropHeader('Retry-After'));
    const proxy = await proxyTo(stand.url);
    const limited = await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, null]);
    const { by_place } = await driftOf(proxy.url);
    expect(by_place).toEqual([
      expect.objectContaining({
        side: 'response',
        kind: 'header',
        where: 'header Retry-After',
        pointer: '#/components/headers/Retry-After',
        provenance: 'inferred',
        last_message: 'required header Retry-After is missing',
      }),
    ]);
  });

  it("a wrong status: at the operation's responses, documented", async () => {
    const stand = await standIn(changeStatus(404, 410));
    const proxy = await proxyTo(stand.url);
    expect((await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY })).status).toBe(410);
    const { by_place } = await driftOf(proxy.url);
    expect(by_place).toEqual([
      expect.objectContaining({
        kind: 'status',
        where: 'status',
        pointer: '#/paths/~1api~1status/get/responses',
        provenance: 'documented',
        last_message:
          'status 410 is not listed for GET /api/status (listed: 200, 400, 401, 404, 429, 500, 503)',
      }),
    ]);
  });

  // openapi.yaml lists 503 on every route (a fleet's store can be down), with Retry-After: a storm of
  // 503s without it is drift at that header, once per answer.
  it('a 503 storm: each 503 passed on and counted at one place; nothing reached the API meanwhile', async () => {
    await live.control.reset();
    const stand = await standIn((response) => response, {
      intercept: storm(503, 3, (request) => request.path === '/api/generate'),
    });
    const proxy = await proxyTo(stand.url);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY })).status);
    expect(statuses).toEqual([503, 503, 503, 200]);
    expect(stand.intercepted).toBe(3);
    const drift = await driftOf(proxy.url);
    expect(drift).toMatchObject({ exchanges: 4, exchanges_with_drift: 3, findings: 3 });
    expect(drift.by_place).toEqual([
      expect.objectContaining({
        kind: 'header',
        where: 'header Retry-After',
        pointer: '#/components/headers/Retry-After',
        count: 3,
      }),
    ]);
    expect(drift.recent.map((e: { status: number }) => e.status)).toEqual([503, 503, 503]);
  });

  it('slow answers within the time-out are forwarded, and are no drift (the spec states no latency)', async () => {
    const stand = await standIn(slowAnswers(50));
    const proxy = await proxyTo(stand.url);
    expect((await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY })).status).toBe(404);
    expect(await driftOf(proxy.url)).toMatchObject({ exchanges: 1, exchanges_with_drift: 0, by_place: [] });
  });

  it("a client's request that breaks the spec is drift of its own side (inferred here), and still forwarded", async () => {
    const proxy = await proxyTo(live.url);
    const answer = await call(proxy.url, 'POST', '/api/generate', {
      key: LIVE_KEY,
      body: { ...BODY, aspect_ratio: '4:3' },
    });
    expect(answer.status).toBe(400); // the live API's own answer
    const { by_place } = await driftOf(proxy.url);
    expect(by_place).toEqual([
      expect.objectContaining({
        side: 'request',
        kind: 'body',
        where: 'body.aspect_ratio',
        pointer: '#/components/schemas/GenerateRequest/additionalProperties',
        provenance: 'inferred',
      }),
    ]);
  });
});

describe('--proxy-strict', () => {
  it('answers 502 in the envelope naming the violation and its place, instead of an answer that breaks the spec', async () => {
    const stand = await standIn(renameField('task_id', 'taskId'));
    const proxy = await proxyTo(stand.url, ['--proxy-strict=on']);
    const answer = await call(proxy.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    expect(answer.status).toBe(502);
    expect(answer.headers.get('x-mock-injected')).toBe('proxy-strict');
    expect(answer.json).toMatchObject({ code: 502, data: { type: 'bad_gateway' } });
    expect(answer.json.message).toContain(
      "body.data: must have required property 'task_id' (documented; #/components/schemas/GenerateResponse/properties/data/required)",
    );
    // A conforming answer goes through.
    expect((await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY })).status).toBe(404);
  });

  it('refuses a request that breaks the spec with 400 naming the field and its place, sending nothing', async () => {
    const proxy = await proxyTo(live.url, ['--proxy-strict=on']);
    const before = (await live.control.journal({ limit: 500 })).length;
    const answer = await call(proxy.url, 'POST', '/api/generate', {
      key: LIVE_KEY,
      body: { ...BODY, aspectRatio: '2:1' },
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-mock-injected')).toBe('proxy-strict');
    expect(answer.json.data.errors).toEqual([
      {
        field: 'body.aspectRatio',
        message:
          'must be equal to one of the allowed values: 1:1, 3:4, 4:3, 9:16, 16:9 (openapi.yaml #/components/schemas/AspectRatio/enum)',
      },
    ]);
    expect((await live.control.journal({ limit: 500 })).length).toBe(before);
  });
});

describe('the summary', () => {
  it('is per world, cleared by DELETE /__mock/drift and by a reset', async () => {
    const stand = await standIn(changeStatus(404, 410));
    const proxy = await proxyTo(stand.url);
    await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY });
    // A tenant of the proxy is another world: its summary is its own.
    const tenant = await call(proxy.url, 'POST', '/__mock/tenants', { body: {} });
    const other = await call(proxy.url, 'GET', '/__mock/drift', {
      headers: { 'X-Mock-Token': tenant.json.data.token },
    });
    expect(other.json.data.exchanges).toBe(0);
    expect((await driftOf(proxy.url)).exchanges).toBe(1);
    const cleared = await call(proxy.url, 'DELETE', '/__mock/drift');
    expect(cleared.json.data.removed).toBe(1);
    expect((await driftOf(proxy.url)).exchanges).toBe(0);
    await call(proxy.url, 'GET', unknownTask, { key: LIVE_KEY });
    await proxy.control.reset();
    expect((await driftOf(proxy.url)).exchanges).toBe(0);
  });
});
