/**
 * The attack that killed the simulator (SIGABRT, every world's state lost): tenants, created without
 * a token, each filled with fault rules, accounts and a journal of large requests, until the heap
 * ran out. A real process (the built simulator) with a small heap, `node --max-old-space-size=96`,
 * and every default but the body limit: it must stay alive and answer the documented errors
 * (docs/reference/resource-model.md) however much more is asked of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jsonCaller,
  spawnSimulator,
  type JsonAnswer,
  type SimulatorProcess,
} from '../support/spawn-simulator.js';

const MiB = 1024 * 1024;
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator(
    // A large body limit, so that a scenario of 500 rules of 2 KB is one request.
    ['--log-level=warn', '--request-log=off', '--rate-limit=off', '--clock=virtual', '--body-limit=4mb'],
    { NODE_OPTIONS: '--max-old-space-size=96' },
  );
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

const call = jsonCaller(() => sim.url);

const fatRule = (i: number) => ({
  match: { path: '/api/status' },
  action: { status: 500, message: `${i} ${'m'.repeat(1990)}` },
});
const scenario = (from: number) => ({
  format: 'dreamcore-scenario',
  version: 1,
  rules: Array.from({ length: 500 }, (_, i) => fatRule(from + i)),
});
/** A request the journal keeps at its largest: an 8 KB body and 16 X-Mock headers of 256 characters. */
const bigRequest = (key: string) =>
  call(
    'POST',
    '/api/generate',
    { prompt: 'x'.repeat(8000), aspectRatio: '1:1', quality: 'basic' },
    {
      authorization: `Bearer ${key}`,
      ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`x-mock-note-${i}`, 'h'.repeat(256)])),
    },
  );

describe('hostile tenants against a 96 MiB heap', () => {
  it('fill every share and the whole budget; the process answers 429 and 503 as documented, and lives', async () => {
    const health = await call('GET', '/__mock/health');
    const budget = health.body.data.memory as { limit_bytes: number; tenant_limit_bytes: number };
    expect(budget.limit_bytes).toBe(48 * MiB); // half the old generation, not half of heap_size_limit
    expect(budget.tenant_limit_bytes).toBe(6 * MiB);

    const seen = { capped: 0, full: [] as JsonAnswer[] };
    let tenants = 0;
    let key = '';
    let headers: Record<string, string> = {};
    // Each tenant: its share's worth of rules (1,000 of 2 KB: the cap) and a journal of large requests,
    // until the whole budget is full.
    while (seen.full.length === 0) {
      const created = await call('POST', '/__mock/tenants', { keys: [{ balance: 1_000_000 }] });
      expect(created.status, created.body.message).toBe(201);
      tenants++;
      const data = created.body.data as { token: string; keys: Array<{ apiKey: string }> };
      [key, headers] = [data.keys[0]!.apiKey, { 'x-mock-token': data.token }];
      for (const from of [0, 500]) {
        const loaded = await call('POST', '/__mock/scenario', scenario(from), headers);
        if (loaded.status === 503) seen.full.push(loaded);
        else expect(loaded.status, loaded.body.message).toBe(201);
      }
      if (seen.full.length === 0) {
        const oneMore = await call('POST', '/__mock/faults', fatRule(1000), headers);
        expect([oneMore.status, oneMore.body.data.type]).toEqual([429, 'quota_exceeded']);
        expect(oneMore.body.message).toMatch(/the most --max-rules allows/);
        seen.capped++;
      }
      // The journal of large requests, eight at a time: never refused, it keeps fewer entries.
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => bigRequest(key)));
        for (const a of answers) expect(a.status).toBe(400);
      }
      expect(tenants).toBeLessThan(40);
    }
    expect(seen.capped).toBeGreaterThan(10);
    // What room is left (the journals give way to what is reserved) is filled, halving the load each
    // time it is refused, down to one small rule; a tenant at its cap makes way for a new one.
    const small = { match: { path: '/api/status' }, action: { status: 503 } };
    const sizes: Array<{ n: number; rule: (i: number) => object }> = [250, 125, 60, 30, 15, 8, 4, 2, 1].map(
      (n) => ({ n, rule: fatRule }),
    );
    for (const n of [4, 2, 1]) sizes.push({ n, rule: () => small });
    for (const { n, rule } of sizes) {
      for (;;) {
        const body = {
          format: 'dreamcore-scenario',
          version: 1,
          rules: Array.from({ length: n }, (_, i) => rule(i)),
        };
        const res = await call('POST', '/__mock/scenario', body, headers);
        if (res.status === 201) continue;
        if (res.status === 503) {
          seen.full.push(res);
          break;
        }
        expect(res.body.data.type).toBe('quota_exceeded'); // this tenant's cap: the next one goes on
        const created = await call('POST', '/__mock/tenants', { keys: [{ balance: 1_000_000 }] });
        if (created.status === 503) break;
        const data = created.body.data as { token: string; keys: Array<{ apiKey: string }> };
        [key, headers] = [data.keys[0]!.apiKey, { 'x-mock-token': data.token }];
        tenants++;
      }
    }
    const tenant = await call('POST', '/__mock/tenants', {});
    seen.full.push(tenant);
    for (const full of seen.full) {
      expect(full.status, full.body.message).toBe(503);
      expect(full.headers.get('retry-after')).toBe('60');
      expect(full.body.data.type).toBe('service_unavailable');
      expect(full.body.message).toMatch(/memory budget is full/);
    }

    // Full: a generate is refused with 503 and Retry-After, as openapi.yaml lists for it.
    const generate = await call(
      'POST',
      '/api/generate',
      { prompt: 'p'.repeat(1500), aspectRatio: '1:1', quality: 'basic' },
      { authorization: `Bearer ${key}` },
    );
    expect([generate.status, generate.body.data.type, generate.headers.get('retry-after')]).toEqual([
      503,
      'service_unavailable',
      '60',
    ]);
    // And it goes on answering: more of the same changes nothing.
    for (let round = 0; round < 5; round++)
      await Promise.all(Array.from({ length: 8 }, () => bigRequest(key)));
    const after = await call('GET', '/__mock/health');
    expect(after.status).toBe(200);
    const memory = after.body.data.memory as { used_bytes: number; limit_bytes: number; worlds: number };
    expect(memory.used_bytes).toBeLessThanOrEqual(memory.limit_bytes * 1.02);
    expect(memory.worlds).toBe(tenants + 1);
    // A tenant dropped gives its room back.
    expect(
      (await call('DELETE', `/__mock/tenants/${await tenantOf(headers)}`, undefined, headers)).status,
    ).toBe(200);
    expect((await call('POST', '/__mock/tenants', {})).status).toBe(201);
    expect(sim.child.exitCode).toBeNull();
    expect(sim.output()).not.toMatch(/heap out of memory|FATAL ERROR/i);
  }, 180_000);
});

async function tenantOf(headers: Record<string, string>): Promise<string> {
  const res = await call('GET', '/__mock/tenants', undefined, headers);
  return (res.body.data.tenants as Array<{ id: string }>)[0]!.id;
}
