/**
 * The control API's lists read in pages (`limit`, `offset`, and the `total`), as GET /__mock/accounts
 * does: fault rules and tenants had none, so one read answered everything a world or a simulator held.
 */
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../mock-server/src/index.js';
import { controlConforms } from '../qa/qa-support.js';
import { testSimulator } from '../support/harness.js';

const rule = (i: number) => ({
  match: { path: '/api/status' as const },
  action: { status: 500 as const, message: `rule ${i}` },
});

describe('GET /__mock/faults in pages', () => {
  it('answers 100 at most by default, `limit` up to 1,000, from `offset`, in the order rules are tried, with the total', async () => {
    const sim = await testSimulator();
    for (let i = 0; i < 120; i++) await sim.http.post('/__mock/faults').send(rule(i));
    const first = await controlConforms(await sim.http.get('/__mock/faults'));
    expect(first.body.data.total).toBe(120);
    expect(first.body.data.rules).toHaveLength(100);
    expect(first.body.data.rules[0].id).toBe('rule_1');
    const page = await controlConforms(
      await sim.http.get('/__mock/faults').query({ offset: '110', limit: '5' }),
    );
    expect(page.body.data.rules.map((r: { id: string }) => r.id)).toEqual([
      'rule_111',
      'rule_112',
      'rule_113',
      'rule_114',
      'rule_115',
    ]);
    const all = await controlConforms(await sim.http.get('/__mock/faults').query({ limit: '5000' }));
    expect(all.body.data.rules).toHaveLength(120); // `limit` is cut to 1,000; there are 120
    const past = await controlConforms(await sim.http.get('/__mock/faults').query({ offset: '500' }));
    expect(past.body.data).toEqual({ total: 120, rules: [] });
    expect((await controlConforms(await sim.http.get('/__mock/faults').query({ limit: 'ten' }))).status).toBe(
      400,
    );
  });

  it("the typed handle's rules.list() still reads every rule, page after page", async () => {
    const sim = await startSimulator({ port: 0, maxRules: 1500 });
    try {
      for (let i = 0; i < 1_200; i++) await sim.rules.add(rule(i));
      const rules = await sim.rules.list();
      expect(rules).toHaveLength(1_200);
      expect(rules.at(-1)!.id).toBe('rule_1200');
    } finally {
      await sim.stop();
    }
  });
});

describe('GET /__mock/tenants in pages', () => {
  it('answers the oldest first, from `offset`, with the total; a tenant credential sees its own', async () => {
    const sim = await testSimulator();
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      tokens.push(
        (await sim.http.post('/__mock/tenants').send({ name: `job-${i}` })).body.data.token as string,
      );
    }
    const first = await controlConforms(await sim.http.get('/__mock/tenants').query({ limit: '2' }));
    expect(first.body.data.total).toBe(5);
    expect(first.body.data.tenants.map((t: { name: string }) => t.name)).toEqual(['default', 'job-0']);
    const next = await controlConforms(
      await sim.http.get('/__mock/tenants').query({ limit: '2', offset: '2' }),
    );
    expect(next.body.data.tenants.map((t: { name: string }) => t.name)).toEqual(['job-1', 'job-2']);
    const own = await controlConforms(await sim.http.get('/__mock/tenants').set('X-Mock-Token', tokens[3]!));
    expect(own.body.data.total).toBe(1);
    expect(own.body.data.tenants.map((t: { name: string }) => t.name)).toEqual(['job-3']);
  });
});
