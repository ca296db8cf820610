/**
 * Tenants (issue 12): isolated worlds in one simulator, over real sockets. Each tenant has its own
 * keys and balances, tasks, fault rules, clock, random streams, buckets and journal; its credential
 * reaches it and nothing else; the operator's global reset stays; idle tenants are dropped.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import { connectSimulator, startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import { fcParams, listenOnLoopback } from '../properties/support.js';
import { BASE_ARGS, SAMPLE_REQUEST } from '../support/harness.js';

/** Answers are read loosely here: the response validator holds them to the spec. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;

async function call(
  url: string,
  method: string,
  path: string,
  {
    token,
    tenant,
    key,
    body,
    headers = {},
  }: {
    token?: string;
    tenant?: string;
    key?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { 'X-Mock-Token': token } : {}),
      ...(tenant ? { 'X-Mock-Tenant': tenant } : {}),
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('tenants over real sockets', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'tenants',
      rateLimit: 'off',
      validateResponses: true,
    });
  });
  afterAll(() => sim.stop());

  it('one call creates a tenant with fresh keys, a balance and a credential that controls only it', async () => {
    const created = await call(sim.url, 'POST', '/__mock/tenants', {
      body: { name: 'ci-job-1', keys: [{ balance: 100 }, { balance: 20 }] },
    });
    expect(created.status).toBe(201);
    const { tenant, token, keys } = created.body.data;
    expect(tenant).toMatchObject({ id: expect.stringMatching(/^t-[0-9a-f]{12}$/), name: 'ci-job-1' });
    expect(keys.map((k: { balance: number }) => k.balance)).toEqual([100, 20]);
    // The keys work on the public API, in the tenant's world.
    const gen = await call(sim.url, 'POST', '/api/generate', { key: keys[0].apiKey, body: BODY });
    expect(gen.status).toBe(200);
    const account = await call(sim.url, 'GET', `/__mock/accounts/${keys[0].apiKey}`, { token });
    expect(account.body.data.balance).toBe(88);
    // The default world does not know them, nor they it.
    expect((await call(sim.url, 'GET', `/__mock/accounts/${keys[0].apiKey}`)).status).toBe(403);
    expect((await call(sim.url, 'GET', `/__mock/accounts/${sim.key}`, { token })).status).toBe(403);
    expect((await call(sim.url, 'GET', '/__mock/tasks', { token })).body.data.tasks).toHaveLength(1);
    expect((await call(sim.url, 'GET', '/__mock/tasks')).body.data.tasks).toHaveLength(0);
  });

  it('a tenant credential cannot reach another tenant: 403 in the envelope, and nothing changes', async () => {
    const a = await connectSimulator(sim.url);
    const b = await connectSimulator(sim.url);
    try {
      // A second credential of the same kind as a's, made by hand to send raw requests with.
      const aToken = (await call(sim.url, 'POST', '/__mock/tenants', {})).body.data.token as string;
      const other = b.tenant;
      const before = await b.accounts.get(b.key);
      const tries: Array<[string, string, unknown?]> = [
        ['POST', '/__mock/reset'],
        ['POST', '/__mock/clock/advance', { ms: 60_000 }],
        ['PUT', `/__mock/accounts/${b.key}`, { balance: 0 }],
        ['POST', '/__mock/faults', { action: { status: 500 } }],
        ['DELETE', '/__mock/faults'],
        ['GET', '/__mock/journal'],
      ];
      for (const [method, path, body] of tries) {
        const res = await call(sim.url, method, path, { token: aToken, tenant: other, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body).toMatchObject({ code: 403, data: { type: 'forbidden' } });
      }
      expect((await call(sim.url, 'GET', `/__mock/tenants/${other}`, { token: aToken })).status).toBe(403);
      expect((await call(sim.url, 'DELETE', `/__mock/tenants/${other}`, { token: aToken })).status).toBe(403);
      expect(
        (await call(sim.url, 'PUT', `/__mock/accounts/${b.key}`, { token: aToken, body: { balance: 1 } }))
          .status,
      ).toBe(403);
      expect(await b.accounts.get(b.key)).toEqual(before);
      expect(await b.rules.list()).toEqual([]);
      expect((await b.clock.get()).now).toBe((await a.clock.get()).now);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('tenants driven at the same time never see each other: tasks, balances, rules, clock, reset', async () => {
    const [a, b] = await Promise.all([connectSimulator(sim.url), connectSimulator(sim.url)]);
    try {
      const drive = async (h: SimulatorHandle, n: number) => {
        await h.rules.add({ match: { path: '/api/generate' }, action: { status: 500 }, times: 1 });
        const client = h.client({ retry: { maxRetries: 0 } });
        const first = await fetch(`${h.url}/api/generate`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${h.key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(BODY),
        });
        expect(first.status).toBe(500); // its own rule, once
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push((await client.createTask({ ...BODY })).taskId);
        await h.clock.advance(3_600_000);
        for (const id of ids) expect((await client.getTask(id)).status).toBe('SUCCESS');
        return ids;
      };
      const [idsA, idsB] = await Promise.all([drive(a, 5), drive(b, 3)]);
      expect((await a.tasks.list()).map((t) => t.record.task_id).sort()).toEqual([...idsA].sort());
      expect((await b.tasks.list()).map((t) => t.record.task_id).sort()).toEqual([...idsB].sort());
      expect((await a.accounts.get(a.key)).balance).toBe(1000 - 5 * 12);
      expect((await b.accounts.get(b.key)).balance).toBe(1000 - 3 * 12);
      // Another tenant's task is unknown here (404), whatever its id.
      const status = await fetch(`${a.url}/api/status?task_id=${idsB[0]}`, {
        headers: { Authorization: `Bearer ${a.key}` },
      });
      expect(status.status).toBe(404);
      // Scoped reset: a is back to its start, b untouched; the default world too.
      const defaultClock = (await sim.clock.get()).now;
      await a.reset();
      expect(await a.tasks.list()).toEqual([]);
      expect((await a.accounts.get(a.key)).balance).toBe(1000);
      expect((await b.tasks.list()).length).toBe(3);
      expect((await sim.clock.get()).now).toBe(defaultClock);
      // Scoped time: a's clock moved (then reset); b's stayed where b put it.
      expect((await b.clock.get()).now - (await a.clock.get()).now).toBe(3_600_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("a tenant's image links name the tenant, and serve its own task", async () => {
    const a = await connectSimulator(sim.url, { create: { seed: 'same-seed' } });
    const b = await connectSimulator(sim.url, { create: { seed: 'same-seed' } });
    try {
      const ta = await a.client().createTask({ ...BODY, quality: 'high' });
      const tb = await b.client().createTask({ ...BODY, aspectRatio: '16:9' });
      expect(ta.taskId).toBe(tb.taskId); // one seed, one id: only the tenant tells them apart
      await a.clock.advance(3_600_000);
      await b.clock.advance(3_600_000);
      const [urlA] = (await a.client().getTask(ta.taskId)).response;
      const [urlB] = (await b.client().getTask(tb.taskId)).response;
      expect(urlA).toContain(`?tenant=${a.tenant}`);
      expect(urlA).not.toBe(urlB);
      const [imgA, imgB] = await Promise.all([fetch(urlA!), fetch(urlB!)]);
      expect([imgA.status, imgB.status]).toEqual([200, 200]);
      expect((await imgA.arrayBuffer()).byteLength).not.toBe((await imgB.arrayBuffer()).byteLength);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('the operator sees every tenant, acts in one with X-Mock-Tenant, and a global reset drops them', async () => {
    const a = await connectSimulator(sim.url);
    await a.client().createTask({ ...BODY });
    const listed = await call(sim.url, 'GET', '/__mock/tenants');
    expect(listed.body.data.tenants.map((t: { id: string }) => t.id)).toContain(a.tenant);
    const tasks = await call(sim.url, 'GET', '/__mock/tasks', { tenant: a.tenant });
    expect(tasks.body.data.tasks).toHaveLength(1);
    // A reset naming the default world resets only it.
    expect((await call(sim.url, 'POST', '/__mock/reset', { tenant: 'default' })).status).toBe(200);
    expect((await call(sim.url, 'GET', `/__mock/tenants/${a.tenant}`)).status).toBe(200);
    // The operator's reset, naming none, is the global one.
    expect((await call(sim.url, 'POST', '/__mock/reset')).status).toBe(200);
    expect((await call(sim.url, 'GET', `/__mock/tenants/${a.tenant}`)).status).toBe(404);
    const gone = await fetch(`${sim.url}/api/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${a.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(SAMPLE_REQUEST),
    });
    expect(gone.status).toBe(401);
    await a.stop(); // its tenant is gone already: stop is still clean
  });
});

describe('the journal of a tenant', () => {
  it('holds its own requests only, readable as soon as the answer arrived, and waitFor returns on the match', async () => {
    await using sim = await startSimulator({ clock: 'virtual', rateLimit: 'off' });
    await using a = await connectSimulator(sim.url);
    await using b = await connectSimulator(sim.url);
    const { taskId } = await a.client().createTask({ ...BODY });
    // No sleep: the entry was written before the answer's last byte.
    const [newest] = await a.journal.list({ limit: 1 });
    expect(newest).toMatchObject({ path: '/api/generate', status: 200, task_id: taskId });
    expect(await b.journal.list()).toEqual([]);
    expect(await sim.journal.list()).toEqual([]);
    // waitFor: returns when the request it waits for comes, not before, not after a fixed sleep.
    const waiting = b.journal.waitFor({ path: '/api/status', status: '404' }, { timeoutMs: 10_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await b
      .client({ retry: { maxRetries: 0 } })
      .getTask('sd45_0000000000000000')
      .catch(() => undefined);
    const entry = await waiting;
    expect(settled).toBe(true);
    expect(entry).toMatchObject({ path: '/api/status', status: 404 });
    await expect(a.journal.waitFor({ path: '/nowhere' }, { timeoutMs: 50 })).rejects.toThrow(/within 50 ms/);
  });
});

describe('idle tenants', () => {
  it('are dropped after --tenant-idle-timeout without a request, their keys no longer work', async () => {
    let now = Date.UTC(2026, 0, 1);
    const config = parseConfig([...BASE_ARGS, '--tenant-idle-timeout=60'], {});
    const { app } = await compose(config, { systemNow: () => now });
    const listening = await listenOnLoopback(app);
    try {
      const url = listening.origin;
      const kept = (await call(url, 'POST', '/__mock/tenants', {})).body.data;
      const idle = (await call(url, 'POST', '/__mock/tenants', { body: { idleTimeoutS: 600 } })).body.data;
      const dropped = (await call(url, 'POST', '/__mock/tenants', {})).body.data;
      now += 30_000;
      expect(
        (await call(url, 'POST', '/api/generate', { key: kept.keys[0].apiKey, body: BODY })).status,
      ).toBe(200);
      now += 45_000; // 75 s after creation, 45 s after kept's last request
      const ids = (await call(url, 'GET', '/__mock/tenants')).body.data.tenants.map(
        (t: { id: string }) => t.id,
      );
      expect(ids).toContain(kept.tenant.id);
      expect(ids).toContain(idle.tenant.id);
      expect(ids).not.toContain(dropped.tenant.id);
      expect(
        (await call(url, 'POST', '/api/generate', { key: dropped.keys[0].apiKey, body: BODY })).status,
      ).toBe(401);
      expect((await call(url, 'GET', '/__mock/clock', { token: dropped.token })).status).toBe(401);
      expect(ids).toContain('default'); // never idle
    } finally {
      await listening.close();
    }
  });
});

describe('scoped determinism', () => {
  type Command =
    | { kind: 'generate'; failed: boolean }
    | { kind: 'poll'; n: number }
    | { kind: 'advance'; ms: number }
    | { kind: 'rule' };
  const command = fc.oneof(
    fc.record({ kind: fc.constant('generate' as const), failed: fc.boolean() }),
    fc.record({ kind: fc.constant('poll' as const), n: fc.nat(10) }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
    fc.record({ kind: fc.constant('rule' as const) }),
  );

  /** Runs `commands` in a tenant; returns everything a client of it observes. */
  async function runIn(
    h: SimulatorHandle,
    commands: Command[],
    step: () => Promise<void>,
  ): Promise<unknown[]> {
    const seen: unknown[] = [];
    const ids: string[] = [];
    for (const c of commands) {
      await step();
      if (c.kind === 'generate') {
        const res = await fetch(`${h.url}/api/generate`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${h.key}`,
            'Content-Type': 'application/json',
            ...(c.failed ? { 'X-Mock-Outcome': 'failed' } : {}),
          },
          body: JSON.stringify(BODY),
        });
        const body = (await res.json()) as { data: { task_id?: string } };
        if (body.data.task_id) ids.push(body.data.task_id);
        seen.push(['generate', res.status, body.data.task_id ?? null]);
      } else if (c.kind === 'poll') {
        const id = ids[c.n % Math.max(1, ids.length)];
        if (!id) continue;
        const res = await fetch(`${h.url}/api/status?task_id=${id}`, {
          headers: { Authorization: `Bearer ${h.key}` },
        });
        const body = (await res.json()) as { data: { status: string; error_message: string | null } };
        seen.push(['poll', res.status, body.data.status, body.data.error_message]);
      } else if (c.kind === 'advance') seen.push(['advance', (await h.clock.advance(c.ms)).now]);
      else
        seen.push(['rule', (await h.rules.add({ action: { status: 500 }, probability: 0.5, times: 3 })).id]);
    }
    seen.push(['balance', (await h.accounts.get(h.key)).balance]);
    return seen;
  }

  it("a tenant's seeded run replays identically whatever another tenant does at the same time", async () => {
    await using sim = await startSimulator({
      clock: 'virtual',
      rateLimit: 'off',
      latency: 'fast',
      failureRate: 0.3,
    });
    const seedA = { seed: 'tenant-a', clock: 'virtual' as const, failureRate: 0.3 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 5, maxLength: 25 }),
        fc.array(command, { minLength: 5, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 60 }),
        async (forA, forB, interleaving) => {
          await using alone = await connectSimulator(sim.url, { create: seedA });
          const expected = await runIn(alone, forA, async () => undefined);
          await using a = await connectSimulator(sim.url, { create: seedA });
          await using b = await connectSimulator(sim.url, { create: { seed: 'tenant-b', clock: 'virtual' } });
          // b runs its own commands in between a's, at random points, concurrently.
          let next = 0;
          let i = 0;
          const bSteps: Array<Promise<unknown>> = [];
          const step = async () => {
            if (interleaving[i++ % interleaving.length] && next < forB.length) {
              const c = forB.slice(next, ++next);
              bSteps.push(runIn(b, c, async () => undefined));
            }
          };
          const observed = await runIn(a, forA, step);
          await Promise.all(bSteps);
          expect(observed).toEqual(expected);
        },
      ),
      fcParams(12),
    );
  });
});
