/**
 * Issue 13: three replicas on one Redis behave exactly as one simulator, over real sockets, every
 * request sent to a replica chosen at random.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { counterDraw } from '../../mock-server/src/domain/rng.js';
import { startFleet, type Fleet } from '../support/fleet.js';
import { START_BALANCES, runModel, summary } from '../support/ledger-model.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' };

async function generate(url: string, key: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(BODY),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { message?: string; data: Record<string, unknown> },
  };
}

/** Runs `count` calls of `task`, `concurrency` at a time. */
async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

async function invariantsOf(fleet: Fleet) {
  return Promise.all(fleet.replicas.map(async (r) => (await r.http.get('/__mock/invariants')).body.data));
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(() => redis?.stop({ cleanup: true }));

describe('three replicas on one Redis', () => {
  it('the credit race: 2,000 generates on a key funded for 1,000 accept exactly 1,000, balance 0', async () => {
    const fleet = await startFleet(redis, { args: ['--key=sk-race-000000000001=12000'] });
    try {
      const answers = await inParallel(2_000, 64, () => generate(fleet.url(), 'sk-race-000000000001'));
      const accepted = answers.filter((a) => a.status === 200);
      expect(accepted).toHaveLength(1_000);
      expect(answers.filter((a) => a.status === 402)).toHaveLength(1_000);
      // Two replicas never drew the same id: counter-based draws.
      expect(new Set(accepted.map((a) => a.body.data.task_id)).size).toBe(1_000);
      for (const r of fleet.replicas) {
        const account = await r.http.get('/__mock/accounts/sk-race-000000000001');
        expect(account.body.data.balance).toBe(0);
      }
      for (const report of await invariantsOf(fleet))
        expect(report).toMatchObject({ ok: true, problems: [] });
    } finally {
      await fleet.stop();
    }
  }, 120_000);

  it('model-based sequences with every command on a random replica agree with the model', async () => {
    const fleet = await startFleet(redis, {
      args: [...Object.entries(START_BALANCES).map(([k, b]) => `--key=${k}=${b}`), '--failure-rate=0.25'],
    });
    try {
      await runModel({ sim: fleet.replicas[0]!.sim, http: fleet.http }, 12);
      console.log(`fleet model-based: ${summary()}`);
      for (const report of await invariantsOf(fleet)) expect(report.ok).toBe(true);
    } finally {
      await fleet.stop();
    }
  }, 180_000);

  describe('what makes them one simulator is shared', () => {
    let fleet: Fleet;
    beforeAll(async () => {
      fleet = await startFleet(redis, { args: ['--rate-limit=generate=5/60s,status=60/10s'] });
    });
    afterAll(() => fleet?.stop());

    it('a `times: 2` rule fires twice in all', async () => {
      await fleet.replicas[0]!.http.post('/__mock/reset');
      const rule = await fleet.replicas[1]!.http.post('/__mock/faults').send({
        match: { path: '/api/status' },
        action: { status: 500 },
        times: 2,
      });
      expect(rule.status).toBe(201);
      const answers = await inParallel(30, 10, async () => {
        const res = await fetch(`${fleet.url()}/api/status?task_id=sd45_0000000000000000`, {
          headers: { Authorization: `Bearer ${DEV_KEY}` },
        });
        return { status: res.status, injected: res.headers.get('x-mock-injected') };
      });
      expect(answers.filter((a) => a.status === 500)).toEqual([
        { status: 500, injected: rule.body.data.id },
        { status: 500, injected: rule.body.data.id },
      ]);
      for (const r of fleet.replicas)
        expect((await r.http.get('/__mock/faults')).body.data.rules).toEqual([]);
    });

    it('probability draws are one stream: 40 requests fire exactly where draw n of the seed says', async () => {
      await fleet.replicas[0]!.http.post('/__mock/reset');
      await fleet.replicas[2]!.http.post('/__mock/faults').send({
        match: { path: '/api/status' },
        action: { status: 500 },
        probability: 0.5,
      });
      const fired: boolean[] = [];
      for (let n = 0; n < 40; n++) {
        const res = await fetch(`${fleet.url()}/api/status?task_id=sd45_0000000000000000`, {
          headers: { Authorization: `Bearer ${DEV_KEY}` },
        });
        fired.push(res.status === 500);
      }
      const seed = (await fleet.replicas[0]!.http.get('/__mock/health')).body.data.seed as string;
      expect(fired).toEqual(Array.from({ length: 40 }, (_, n) => counterDraw(seed, 'fault-rules', n) < 0.5));
      expect(fired.filter(Boolean).length).toBeGreaterThan(5);
    });

    it("a key's rate limit is one limit across the fleet", async () => {
      await fleet.replicas[0]!.http.post('/__mock/reset');
      const answers = await inParallel(30, 10, () => generate(fleet.url(), DEV_KEY));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
      const limited = answers.filter((a) => a.status === 429);
      expect(limited).toHaveLength(25);
      for (const a of limited) expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('a clock advanced through one replica is the time on all', async () => {
      await fleet.replicas[0]!.http.post('/__mock/reset');
      const advanced = await fleet.replicas[1]!.http.post('/__mock/clock/advance').send({ ms: 3_600_000 });
      const nows = await Promise.all(
        fleet.replicas.map(async (r) => (await r.http.get('/__mock/clock')).body.data.now),
      );
      expect(new Set(nows)).toEqual(new Set([advanced.body.data.now]));
    });

    it('tenant isolation holds across replicas', async () => {
      const [a, b, c] = fleet.replicas as [
        (typeof fleet.replicas)[0],
        (typeof fleet.replicas)[0],
        (typeof fleet.replicas)[0],
      ];
      const created = (await a.http.post('/__mock/tenants').send({ keys: [{ balance: 100 }] })).body.data;
      const other = (await a.http.post('/__mock/tenants').send({})).body.data;
      const gen = await generate(b.url, created.keys[0].apiKey);
      expect(gen.status).toBe(200);
      const tasks = await c.http.get('/__mock/tasks').set('X-Mock-Token', created.token);
      expect(tasks.body.data.tasks.map((t: { record: { task_id: string } }) => t.record.task_id)).toEqual([
        gen.body.data.task_id,
      ]);
      const refused = await b.http
        .get('/__mock/tasks')
        .set({ 'X-Mock-Token': other.token, 'X-Mock-Tenant': created.tenant.id });
      expect(refused.status).toBe(403);
      expect((await c.http.get('/__mock/tasks').set('X-Mock-Token', other.token)).body.data.tasks).toEqual(
        [],
      );
      expect((await a.http.get(`/__mock/accounts/${created.keys[0].apiKey}`)).status).toBe(403);
      // The default world's books are untouched by the tenant's task.
      expect((await a.http.get(`/__mock/accounts/${DEV_KEY}`)).body.data.balance).toBe(1000);
    });

    it('a tenant dropped through one replica: its key is unknown (401) on a replica that had used it', async () => {
      const [a, b] = fleet.replicas as [(typeof fleet.replicas)[0], (typeof fleet.replicas)[0]];
      const created = (await a.http.post('/__mock/tenants').send({ keys: [{ balance: 100 }] })).body.data;
      const key: string = created.keys[0].apiKey;
      expect((await generate(b.url, key)).status).toBe(200); // b now knows the key's tenant
      const dropped = await a.http
        .delete(`/__mock/tenants/${created.tenant.id}`)
        .set('X-Mock-Token', created.token);
      expect(dropped.status).toBe(200);
      const after = await generate(b.url, key);
      expect([after.status, after.body.message]).toEqual([401, 'Invalid API key']);
      // Nothing was charged or created anywhere meanwhile.
      expect((await a.http.get('/__mock/invariants')).body.data.ok).toBe(true);
    });
  });
});
