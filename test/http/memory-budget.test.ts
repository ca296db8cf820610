/**
 * The memory budget over HTTP (docs/reference/resource-model.md): what a caller gets at each limit,
 * in the API's envelope and as the documents list it (every answer checked against its spec), and
 * where the budget is shown (health, metrics).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { BODY, controlConforms, generate } from '../qa/qa-support.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';

const MiB = 1024 * 1024;
/** A rule of about 2.3 KB as the budget counts it (on status polls, which these tests do not make). */
const fatRule = (i: number) => ({
  match: { path: '/api/status' },
  action: { status: 500, message: `${i} ${'m'.repeat(1990)}` },
});
/** A rule of 420 bytes as the budget counts it (RULE_BYTES). */
const smallRule = { match: { path: '/api/status' }, action: { status: 503 } };

/** Adds rules until one is refused; returns the refusal. */
async function fill(sim: TestSimulator, rule: (i: number) => object, headers: Record<string, string> = {}) {
  for (let i = 0; i < 2000; i++) {
    const res = await sim.http.post('/__mock/faults').set(headers).send(rule(i));
    if (res.status !== 201) return res;
  }
  throw new Error('never refused');
}

async function tenant(sim: TestSimulator, keys = 1) {
  const res = await controlConforms(
    await sim.http
      .post('/__mock/tenants')
      .send({ keys: Array.from({ length: keys }, () => ({ balance: 1_000 })) }),
  );
  return res;
}

const asTenant = (created: { body: { data: { token: string } } }) => ({
  'X-Mock-Token': created.body.data.token,
});

describe('a tenant at its share of the memory budget', () => {
  it('gets 429 quota_exceeded with Retry-After for a new rule or account, the message naming the share and what to do', async () => {
    // 1 MiB budget, a tenant may hold 1/8 of it: 128 KiB, about 55 fat rules.
    const sim = await testSimulator(['--memory-budget-mb=1', '--tenant-memory-share=0.125']);
    const created = await tenant(sim);
    const headers = asTenant(created);
    const refused = await controlConforms(await fill(sim, fatRule, headers));
    expect(refused!.status).toBe(429);
    expect(refused!.headers['retry-after']).toBe('60');
    expect(refused!.body).toMatchObject({
      code: 429,
      data: { type: 'quota_exceeded', retry_after_seconds: 60 },
    });
    expect(refused!.body.message).toMatch(/share of the memory budget is full/);
    expect(refused!.body.message).toMatch(/--tenant-memory-share 0\.125 of --memory-budget-mb 1\.0 MiB/);
    expect(refused!.body.message).toMatch(/reset the tenant \(POST \/__mock\/reset\) or drop it/);
    const rules = (await sim.http.get('/__mock/faults').set(headers)).body.data.rules.length as number;
    expect(rules).toBeGreaterThan(40);
    let account;
    for (let i = 0; i < 10 && account?.status !== 429; i++)
      account = await sim.http
        // A tenant names new keys in its own namespace (sk-<tenant id>-...).
        .put(`/__mock/accounts/sk-${created.body.data.tenant.id}-one-more-key-${i}`)
        .set(headers)
        .send({ balance: 5 });
    await controlConforms(account!);
    expect([account!.status, account!.body.data.type]).toEqual([429, 'quota_exceeded']);
    // The default world is not that tenant: it still adds rules.
    expect((await controlConforms(await sim.http.post('/__mock/faults').send(fatRule(0)))).status).toBe(201);
  });

  it('keeps its journal answering: fewer entries, the newest kept, every request answered as before', async () => {
    const sim = await testSimulator([
      '--memory-budget-mb=1',
      '--tenant-memory-share=0.125',
      '--journal-size=10000',
    ]);
    const created = await tenant(sim);
    const key = created.body.data.keys[0].apiKey as string;
    const big = { prompt: 'x'.repeat(8000), aspectRatio: '1:1', quality: 'basic' };
    for (let i = 0; i < 60; i++) {
      const res = await sim.http.post('/api/generate').set(sim.auth(key)).send(big);
      expect(res.status).toBe(400); // the prompt is too long: answered as it always is
    }
    const journal = await controlConforms(
      await sim.http.get('/__mock/journal').set(asTenant(created)).query({ limit: '500' }),
    );
    const entries = journal.body.data.entries as Array<{ id: number }>;
    expect(entries.length).toBeGreaterThan(2);
    expect(entries.length).toBeLessThan(60);
    expect(entries[0]!.id).toBe(60);
    const usage = (await sim.http.get('/__mock/health')).body.data.memory;
    expect(
      usage.top.find((w: { id: string }) => w.id === created.body.data.tenant.id).used_bytes,
    ).toBeLessThanOrEqual(usage.tenant_limit_bytes);
  });
});

describe('the whole budget full', () => {
  it('a public generate gets 503 with Retry-After (as openapi.yaml lists), no credit taken; control writes get 503 too', async () => {
    const sim = await testSimulator(['--memory-budget-mb=1', '--tenant-memory-share=1', '--max-rules=10000']);
    const res = await controlConforms(await fill(sim, fatRule));
    expect([res.status, res.body.data.type, res.headers['retry-after']]).toEqual([
      503,
      'service_unavailable',
      '60',
    ]);
    expect(res.body.message).toMatch(
      /memory budget is full: .* of --memory-budget-mb 1\.0 MiB \(the most: default/,
    );
    expect((await fill(sim, () => smallRule)).status).toBe(503); // what room is left is less than 420 bytes
    const balance = await sim.balance();
    const refused = await generate(sim, {}, { ...BODY, prompt: 'p'.repeat(1400) });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body.data).toMatchObject({ type: 'service_unavailable', retry_after_seconds: 60 });
    expect(refused.body.message).toMatch(/memory budget is full/);
    expect(await sim.balance()).toBe(balance);
    expect(await sim.taskCount()).toBe(0);
    const tenantRefused = await controlConforms(await sim.http.post('/__mock/tenants').send({}));
    expect(tenantRefused.status).toBe(503);
    expect(tenantRefused.body.message).toMatch(/memory budget is full/);
    // Room comes back with what held it: a reset of the world.
    await sim.http.post('/__mock/reset');
    expect((await generate(sim)).status).toBe(200);
  });
});

describe('the caps of a world', () => {
  it('--max-rules: 429 naming the cap; a scenario past it goes in not at all', async () => {
    const sim = await testSimulator(['--max-rules=3']);
    for (let i = 0; i < 2; i++) await sim.http.post('/__mock/faults').send(fatRule(i));
    const scenario = { format: 'dreamcore-scenario', version: 1, rules: [fatRule(8), fatRule(9)] };
    const refused = await controlConforms(await sim.http.post('/__mock/scenario').send(scenario));
    expect([refused.status, refused.body.data.type]).toEqual([429, 'quota_exceeded']);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.body.message).toBe(
      'This world holds 3 fault rules, the most --max-rules allows: remove some (DELETE /__mock/faults/{ruleId}, or all at once), or start the simulator with a higher --max-rules',
    );
    expect((await sim.http.get('/__mock/faults')).body.data.rules).toHaveLength(2);
    expect((await sim.http.post('/__mock/faults').send(fatRule(3))).status).toBe(201);
    expect((await controlConforms(await sim.http.post('/__mock/faults').send(fatRule(4)))).status).toBe(429);
  });

  it('--max-accounts: a new key past it is 429, and stays unclaimed: another world may take it', async () => {
    const sim = await testSimulator(['--max-accounts=2', '--key=sk-second-key-000=5']);
    const refused = await controlConforms(
      await sim.http.put('/__mock/accounts/sk-third-key-0000').send({ balance: 1 }),
    );
    expect([refused.status, refused.body.data.type]).toEqual([429, 'quota_exceeded']);
    expect(refused.body.message).toMatch(/holds 2 accounts, the most --max-accounts allows/);
    expect(
      (await controlConforms(await sim.http.put(`/__mock/accounts/${DEV_KEY}`).send({ balance: 7 }))).status,
    ).toBe(200);
    // The key was not claimed either: another world may still take it (the operator's, in a tenant:
    // a tenant credential may only name keys of its own namespace).
    const other = await tenant(sim);
    const claimed = await sim.http
      .put('/__mock/accounts/sk-third-key-0000')
      .set('X-Mock-Tenant', other.body.data.tenant.id)
      .send({ balance: 1 });
    expect(claimed.status).toBe(200);
  });
});

describe('where the budget is shown', () => {
  it('health: the budget, what is used by kind, and (to the control API’s callers only) the worlds holding the most', async () => {
    const sim = await testSimulator(['--memory-budget-mb=64', '--control-token=secret']);
    const created = await tenant(sim, 3);
    for (let i = 0; i < 5; i++) await sim.http.post('/__mock/faults').set(asTenant(created)).send(fatRule(i));
    const open = (await sim.http.get('/__mock/health')).body.data.memory;
    expect(open).toMatchObject({ limit_bytes: 64 * MiB, tenant_limit_bytes: 8 * MiB, worlds: 2 });
    expect(open.top).toBeUndefined();
    const operator = await controlConforms(
      await sim.http.get('/__mock/health').set('X-Mock-Token', 'secret'),
    );
    const memory = operator.body.data.memory;
    expect(memory.top[0].id).toBe(created.body.data.tenant.id);
    expect(memory.top[0].by_kind.rules).toBeGreaterThan(5 * 2000);
    expect(memory.by_kind.accounts).toBeGreaterThan(0);
    expect(memory.used_bytes).toBe(
      Object.values(memory.by_kind as Record<string, number>).reduce((a, b) => a + b, 0),
    );
    const metrics = parsePrometheusTextFormat(
      (await sim.http.get('/__mock/metrics').set('X-Mock-Token', 'secret')).text,
    );
    const gauge = (name: string, charge?: string) =>
      Number(
        metrics
          .find((f) => f.name === name)!
          .metrics.find((m) => charge === undefined || m.labels?.charge === charge)!.value,
      );
    expect(gauge('dreamcore_memory_budget_bytes')).toBe(64 * MiB);
    expect(gauge('dreamcore_memory_used_bytes', 'rules')).toBe(memory.by_kind.rules);
  });
});
