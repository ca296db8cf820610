/**
 * GET /__mock/metrics (issue 14): the exposition parsed with a Prometheus text parser, and the figures
 * moving as the requests made say they must; labels bounded (never a key, a path or a tenant); the
 * shared figures equal on two replicas of one store; the operator's only.
 */
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseConfig, DEV_KEY } from '../../mock-server/src/config.js';
import { compose, defaultWorldSpec } from '../../mock-server/src/compose.js';
import { createApp } from '../../mock-server/src/http/app.js';
import {
  API_SPEC_PATH,
  CONTROL_SPEC_PATH,
  loadSpec,
  specOperations,
} from '../../mock-server/src/http/load-spec.js';
import { loadSpecValidators } from '../../mock-server/src/http/validation/spec-validators.js';
import { createImageRenderer } from '../../mock-server/src/images/image-renderer.js';
import { QaState } from '../../mock-server/src/qa/qa-state.js';
import { MemoryBackend } from '../../mock-server/src/store/memory-backend.js';
import { CHARGE_KINDS } from '../../mock-server/src/store/memory-budget.js';
import { Tenancy } from '../../mock-server/src/tenancy/tenancy.js';
import { pino } from 'pino';
import { BASE_ARGS, testSimulator } from '../support/harness.js';

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;

type Http = ReturnType<typeof supertest>;

async function scrape(
  http: Http,
  headers: Record<string, string> = {},
): Promise<MetricFamily[] & { text: string }> {
  const res = await http.get('/__mock/metrics').set(headers);
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return Object.assign(parsePrometheusTextFormat(res.text), { text: res.text });
}

/** The value of one sample (0 when the series does not exist yet). */
function value(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  const sample = family.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v),
  );
  if (!sample) return 0;
  return Number(sample.value ?? sample.count);
}

/**
 * One series of a histogram: parse-prometheus-text-format folds the series of a labelled histogram
 * into one sample, so it is given the family's lines of that series alone, with those labels taken
 * out (what remains is an unlabelled histogram, which it reads whole).
 */
function histogram(text: string, name: string, labels: Record<string, string>) {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = text.split('\n').filter((line) => {
    if (line.startsWith('# ')) return line.split(' ')[2] === name;
    return line.startsWith(`${name}_`) && pairs.every((p) => line.includes(p));
  });
  // (Our label values hold no comma or brace, so a label set splits on commas.)
  const unlabelled = lines.map((line) =>
    line.replace(/\{([^}]*)\}/, (_, inner: string) => {
      const kept = inner.split(',').filter((pair) => !pairs.includes(pair));
      return kept.length > 0 ? `{${kept.join(',')}}` : '';
    }),
  );
  const [family] = parsePrometheusTextFormat(`${unlabelled.join('\n')}\n`);
  const sample = family?.metrics[0];
  return { count: Number(sample?.count ?? 0), sum: Number(sample?.sum ?? 0), buckets: sample?.buckets ?? {} };
}

const generate = (sim: { http: Http }, headers: Record<string, string> = {}, key = DEV_KEY) =>
  sim.http
    .post('/api/generate')
    .set({ Authorization: `Bearer ${key}`, ...headers })
    .send(BODY);

describe('the metrics of one simulator', () => {
  it('move as the requests say: one generate, one refund, one injected fault', async () => {
    const sim = await testSimulator();
    const before = await scrape(sim.http);

    const ok = await generate(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '1000' });
    expect(ok.status).toBe(200);
    const rule = await sim.http
      .post('/__mock/faults')
      .send({ match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
    expect(rule.status).toBe(201);
    expect((await generate(sim)).status).toBe(500);
    await sim.http.post('/__mock/clock/advance').send({ ms: 1_000 }); // the task fails: its 12 credits come back

    const after = await scrape(sim.http);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    // The task-shaping headers mark their answer injected (X-Mock-Injected: header), as the journal does.
    expect(
      delta('dreamcore_http_requests_total', {
        operation: 'createGenerationTask',
        status: '200',
        injected: 'true',
      }),
    ).toBe(1);
    expect(
      delta('dreamcore_http_requests_total', {
        operation: 'createGenerationTask',
        status: '500',
        injected: 'true',
      }),
    ).toBe(1);
    expect(
      delta('dreamcore_http_requests_total', { operation: 'createGenerationTask', injected: 'false' }),
    ).toBe(0);
    expect(delta('dreamcore_faults_injected_total', { source: 'header', kind: 'task' })).toBe(1);
    expect(delta('dreamcore_faults_injected_total', { source: 'rule', kind: 'status' })).toBe(1);
    const durations = (m: { text: string }) =>
      histogram(m.text, 'dreamcore_http_request_duration_seconds', { operation: 'createGenerationTask' });
    expect(durations(after).count - durations(before).count).toBe(2);
    expect(durations(after).buckets['+Inf']).toBe('2');
    expect(delta('dreamcore_tasks_created')).toBe(1);
    expect(delta('dreamcore_tasks_settled', { outcome: 'failed' })).toBe(1);
    expect(delta('dreamcore_tasks_settled', { outcome: 'success' })).toBe(0);
    expect(delta('dreamcore_credits_debited')).toBe(12);
    expect(delta('dreamcore_credits_refunded')).toBe(12);
    expect(value(after, 'dreamcore_tasks_in_progress')).toBe(0);
    expect(value(after, 'dreamcore_journal_entries')).toBe(2);
    expect(value(after, 'dreamcore_journal_bytes')).toBeGreaterThan(0);
    // Store operations are timed by backend and operation (a generate's task is stored by `accept`).
    expect(
      histogram(after.text, 'dreamcore_store_operation_duration_seconds', {
        backend: 'memory',
        operation: 'accept',
      }).count,
    ).toBe(1);
    // The types a Prometheus server expects.
    const types = Object.fromEntries(after.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      dreamcore_http_requests_total: 'COUNTER',
      dreamcore_http_request_duration_seconds: 'HISTOGRAM',
      dreamcore_faults_injected_total: 'COUNTER',
      dreamcore_store_operation_duration_seconds: 'HISTOGRAM',
      dreamcore_tasks_created: 'GAUGE',
      dreamcore_credits_refunded: 'GAUGE',
    });
  });

  it('counts each kind of injected answer by its source', async () => {
    const sim = await testSimulator(['--rate-limit=generate=1/60s,status=60/10s']);
    // A body cut in the middle: supertest cannot parse it, which is the point.
    await generate(sim, { 'X-Mock-Fault': 'malformed' }).catch(() => undefined);
    await generate(sim, { Prefer: 'code=429' });
    await generate(sim);
    await generate(sim); // the second of one per minute: the limiter's 429
    const m = await scrape(sim.http);
    expect(value(m, 'dreamcore_faults_injected_total', { source: 'header', kind: 'malformed' })).toBe(1);
    expect(value(m, 'dreamcore_faults_injected_total', { source: 'header', kind: 'status' })).toBe(1);
    expect(value(m, 'dreamcore_faults_injected_total', { source: 'rate-limit', kind: 'status' })).toBe(1);
    expect(
      value(m, 'dreamcore_http_requests_total', {
        operation: 'createGenerationTask',
        status: '429',
        injected: 'true',
      }),
    ).toBe(2);
  });

  it('never carries a key, a path or a tenant in a label: operationIds, status codes and fixed words only', async () => {
    const sim = await testSimulator();
    const secret = 'sk-secret-0123456789abcdef';
    await sim.http.put(`/__mock/accounts/${secret}`).send({ balance: 50 });
    await generate(sim, {}, secret);
    await sim.http.get(`/api/${secret}`).set({ Authorization: `Bearer ${secret}` });
    await sim.http.get(`/files/${secret}/0.jpg`);
    await sim.http.get(`/__mock/accounts/${secret}`);
    const tenant = (await sim.http.post('/__mock/tenants').send({})).body.data;
    await generate(sim, {}, tenant.keys[0].apiKey);
    const res = await sim.http.get('/__mock/metrics');
    const samples = res.text
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    for (const needle of [secret, tenant.tenant.id, tenant.keys[0].apiKey, '/api/', '/files/', '/__mock/'])
      expect(samples).not.toContain(needle);

    const operationIds = new Set(
      [
        ...specOperations(await loadSpec(API_SPEC_PATH)),
        ...specOperations(await loadSpec(CONTROL_SPEC_PATH)),
      ].map((o) => o.operationId),
    );
    const allowed: Record<string, (v: string) => boolean> = {
      operation: (v) => operationIds.has(v) || v === 'unmatched' || /^[a-z][A-Za-z]+$/.test(v), // store operations too
      status: (v) => /^[0-9]{1,3}$/.test(v),
      injected: (v) => v === 'true' || v === 'false',
      source: (v) => ['header', 'rule', 'chaos', 'rate-limit'].includes(v),
      kind: (v) => ['status', 'reset', 'empty', 'malformed', 'hang', 'delay', 'task'].includes(v),
      backend: (v) => v === 'memory' || v === 'redis',
      outcome: (v) => v === 'success' || v === 'failed',
      charge: (v) => (CHARGE_KINDS as readonly string[]).includes(v),
      le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
    };
    const families = parsePrometheusTextFormat(res.text);
    for (const family of families)
      for (const sample of family.metrics)
        for (const [name, v] of Object.entries(sample.labels ?? {}))
          expect(allowed[name]?.(v), `${family.name}{${name}="${v}"}`).toBe(true);
    expect(value(families, 'dreamcore_http_requests_total', { operation: 'unmatched' })).toBeGreaterThan(0);
    expect(value(families, 'dreamcore_worlds')).toBe(2);
  });

  it("is the operator's: the control token beyond loopback, and never a tenant credential", async () => {
    const sim = await testSimulator(['--host=0.0.0.0']);
    const token = sim.config.controlToken!;
    expect((await sim.http.get('/__mock/metrics')).status).toBe(401);
    await scrape(sim.http, { 'X-Mock-Token': token });
    const tenant = (await sim.http.post('/__mock/tenants').send({})).body.data;
    const refused = await sim.http.get('/__mock/metrics').set('X-Mock-Token', tenant.token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 403, data: { type: 'forbidden' } });
  });

  it('reading them keeps no tenant alive (a scrape is no request of the tenant)', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { app, tenancy } = await compose(parseConfig([...BASE_ARGS], {}), { systemNow: () => now });
    const http = supertest(app);
    const created = (await http.post('/__mock/tenants').send({})).body.data;
    const seen = async () => (await tenancy.get(created.tenant.id))!.lastSeenAt;
    const first = await seen();
    now += 60_000; // the system clock moves (the tenant's idle time counts on it)
    await scrape(http);
    expect(await seen()).toBe(first);
    // A request of the tenant does touch it (the check can fail).
    await http.get('/__mock/clock').set('X-Mock-Token', created.token);
    await new Promise((r) => setImmediate(r));
    expect(await seen()).toBe(now);
  });
});

/** Two replicas: each its own Tenancy and app (as each process of a fleet), over one shared backend. */
async function fleet() {
  const config = parseConfig([...BASE_ARGS], {});
  const backend = new MemoryBackend({
    retention: config.retention,
    journal: { maxEntries: config.journalSize, maxBytes: config.journalMaxBytes },
  });
  const [apiSpec, controlSpec] = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
  const validators = await loadSpecValidators([...specOperations(apiSpec), ...specOperations(controlSpec)], {
    validateResponses: true,
  });
  const spec = defaultWorldSpec(config);
  const replica = async () => {
    const tenancy = new Tenancy({
      backend,
      defaultSpec: spec,
      tenantDefaults: { clock: config.clock, latency: config.latency, failureRate: config.failureRate },
      idleTimeoutMs: config.tenantIdleTimeoutMs,
      maxTenants: config.maxTenants,
    });
    await tenancy.start();
    const app = createApp({
      tenancy,
      qa: new QaState({
        rateLimit: 'off',
        chaos: config.chaos,
        faultHeaders: true,
        maxDelayMs: 1000,
        journalSize: config.journalSize,
      }),
      images: createImageRenderer(),
      logger: pino({ level: 'silent' }),
      apiSpec,
      controlSpec,
      validators,
      options: {
        bodyLimit: config.bodyLimit,
        validateResponses: true,
        imageTtlMs: config.imageTtlMs,
        logRequests: false,
        controlToken: undefined,
        rateLimit: 'off',
        version: 'test',
        allowedHosts: config.allowedHosts,
        cors: config.cors,
        controlCors: [],
        openTenantCreation: true,
      },
    });
    return { http: supertest(app) };
  };
  return [await replica(), await replica()] as const;
}

describe('the metrics of a fleet on one store', () => {
  it('each replica counts its own requests, and both report the same shared figures', async () => {
    const [a, b] = await fleet();
    for (let i = 0; i < 3; i++) expect((await generate(a)).status).toBe(200);
    const failing = await b.http
      .post('/__mock/faults')
      .send({ action: { task: { outcome: 'failed', durationMs: 0 } }, times: 1 });
    expect(failing.status).toBe(201);
    expect((await generate(b)).status).toBe(200);
    await b.http.get('/__mock/tasks'); // settles the task that failed at once
    const [ma, mb] = [await scrape(a.http), await scrape(b.http)];
    const ok = { operation: 'createGenerationTask', status: '200', injected: 'false' };
    expect(value(ma, 'dreamcore_http_requests_total', ok)).toBe(3);
    expect(value(mb, 'dreamcore_http_requests_total', { ...ok, injected: 'true' })).toBe(1);
    expect(value(mb, 'dreamcore_faults_injected_total', { source: 'rule', kind: 'task' })).toBe(1);
    expect(value(ma, 'dreamcore_faults_injected_total', { source: 'rule' })).toBe(0);
    for (const [name, labels] of [
      ['dreamcore_tasks_created', {}],
      ['dreamcore_tasks_settled', { outcome: 'failed' }],
      ['dreamcore_tasks_in_progress', {}],
      ['dreamcore_credits_debited', {}],
      ['dreamcore_credits_refunded', {}],
      ['dreamcore_journal_entries', {}],
      ['dreamcore_worlds', {}],
    ] as const)
      expect(value(ma, name, labels), name).toBe(value(mb, name, labels));
    expect(value(ma, 'dreamcore_tasks_created')).toBe(4);
    expect(value(ma, 'dreamcore_credits_refunded')).toBe(12);
  });
});
