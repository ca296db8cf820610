/**
 * Open tenant creation, shared fairly. One tokenless caller once took all 1,000 tenants (20 keys each,
 * a 7-day idle time-out) in 1.9 s, and everyone else got 503 for a week. Each caller (by address) now
 * has a share: a creation rate (--tenant-creation-rate), a number of live tenants
 * (--max-tenants-per-caller, a quarter of --max-tenants by default), and bounds on what it may ask
 * for (--tenant-max-keys, --tenant-max-idle-timeout). The operator (the control token) has no share.
 * Time is the system clock the composition is given: the tests move it, they never wait.
 */
import { describe, expect, it } from 'vitest';
import { compose } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import { callerShareOf } from '../../mock-server/src/tenancy/creation-shares.js';
import { loadControlConformance } from '../support/conformance.js';
import { BASE_ARGS } from '../support/harness.js';
import { startRedis } from '../support/redis-server.js';
import { listenOnLoopback, type Listening } from '../properties/support.js';
import { Caller } from '../../scripts/bench/hostile-tenant.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Json;
}

/** A request sent from `from` (a loopback address: 127.0.0.2 is another caller than 127.0.0.1). */
async function send(
  port: number,
  from: string,
  method: string,
  path: string,
  options: { token?: string; tenant?: string; body?: unknown } = {},
): Promise<Answer> {
  const caller = new Caller(`http://127.0.0.1:${port}`, from, 1);
  try {
    return (await caller.send(method, path, {
      ...(options.body === undefined ? {} : { body: options.body }),
      headers: {
        ...(options.token ? { 'X-Mock-Token': options.token } : {}),
        ...(options.tenant ? { 'X-Mock-Tenant': options.tenant } : {}),
      },
    })) as Answer;
  } finally {
    caller.close();
  }
}

async function exposed(args: string[], clock = { now: Date.UTC(2026, 0, 1) }) {
  // Two replicas of a fleet share one control token, as a fleet's processes do.
  const config = parseConfig([...BASE_ARGS, '--host=0.0.0.0', '--control-token=operator-token', ...args], {});
  const { app, backend } = await compose(config, { systemNow: () => clock.now });
  const listening: Listening = await listenOnLoopback(app);
  const token = config.controlToken!;
  const create = (from: string, body: object = {}, withToken?: string) =>
    send(listening.port, from, 'POST', '/__mock/tenants', {
      body,
      ...(withToken ? { token: withToken } : {}),
    });
  const close = async () => {
    await listening.close();
    await backend.close();
  };
  return { clock, config, listening, token, create, port: listening.port, close };
}

describe('a share of open tenant creation per caller', () => {
  it('caps the live tenants of one caller at a quarter of --max-tenants; others and the operator go on', async () => {
    const sim = await exposed(['--max-tenants=8']);
    const conformance = await loadControlConformance();
    try {
      const first = await sim.create('127.0.0.1');
      expect(first.status).toBe(201);
      expect((await sim.create('127.0.0.1')).status).toBe(201);
      sim.clock.now += 10 * 60_000; // the first's idle time-out (1 h) is 50 min away
      const refused = await sim.create('127.0.0.1');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 429, data: { type: 'rate_limited' } });
      expect(refused.body.message).toContain('--max-tenants-per-caller');
      expect(refused.headers['retry-after']).toBe(String(50 * 60));
      expect(refused.body.data.retry_after_seconds).toBe(50 * 60);
      // Another caller has its own share; the operator has none.
      expect((await sim.create('127.0.0.2')).status).toBe(201);
      expect((await sim.create('127.0.0.1', {}, sim.token)).status).toBe(201);
      // Dropping one of its tenants gives the caller its place back.
      const { tenant, token } = first.body.data;
      expect(
        (await send(sim.port, '127.0.0.1', 'DELETE', `/__mock/tenants/${tenant.id}`, { token })).status,
      ).toBe(200);
      expect((await sim.create('127.0.0.1')).status).toBe(201);
      // The 429 is as the control API's spec says.
      expect(conformance.check('POST', '/__mock/tenants', refused)).toEqual([]);
      expect(sim.config.tenantShares.perCaller).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it('holds the tenants of one caller to --caller-memory-share of the memory budget together; other callers keep their room', async () => {
    const sim = await exposed([
      '--memory-budget-mb=1',
      '--tenant-memory-share=0.3',
      '--caller-memory-share=0.5',
      '--max-rules=10000',
      '--max-tenants-per-caller=10',
    ]);
    const conformance = await loadControlConformance();
    const fatRule = (i: number) => ({
      match: { path: '/api/status' },
      action: { status: 500, message: `${i} ${'m'.repeat(1990)}` },
    });
    /** Adds rules to the tenant until one is refused: how many went in, and the refusal. */
    const fill = async (from: string, token: string) => {
      for (let i = 0; i < 1000; i++) {
        const res = await send(sim.port, from, 'POST', '/__mock/faults', { token, body: fatRule(i) });
        if (res.status !== 201) return { added: i, refused: res };
      }
      throw new Error('never refused');
    };
    try {
      const tokenOf = (created: Answer) => created.body.data.token as string;
      const first = await fill('127.0.0.1', tokenOf(await sim.create('127.0.0.1')));
      expect(first.refused.body.message).toContain('--tenant-memory-share');
      // The same caller's second tenant has room of its own, but not the caller: it stops at half the budget.
      const second = await fill('127.0.0.1', tokenOf(await sim.create('127.0.0.1')));
      expect(second.added).toBeGreaterThan(0);
      expect(second.added).toBeLessThan(first.added);
      expect(second.refused.status).toBe(429);
      expect(second.refused.body).toMatchObject({ code: 429, data: { type: 'quota_exceeded' } });
      expect(second.refused.body.message).toMatch(
        /The tenants your address created hold .* together .*\(--caller-memory-share 0\.5 of --memory-budget-mb 1\.0 MiB\)/,
      );
      expect(second.refused.headers['retry-after']).toBe('60');
      expect(conformance.check('POST', '/__mock/faults', second.refused)).toEqual([]);
      // Another caller, and the operator's tenant, still get their tenants' share.
      const other = await fill('127.0.0.2', tokenOf(await sim.create('127.0.0.2')));
      expect(other.added).toBeGreaterThan(second.added);
      expect(other.refused.body.message).not.toContain('--caller-memory-share');
    } finally {
      await sim.close();
    }
  });

  it('limits the rate of creation per caller (--tenant-creation-rate), refilled as time passes', async () => {
    const sim = await exposed(['--tenant-creation-rate=3/1m', '--max-tenants-per-caller=100']);
    try {
      for (let i = 0; i < 3; i++) expect((await sim.create('127.0.0.1')).status).toBe(201);
      const refused = await sim.create('127.0.0.1');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toContain('--tenant-creation-rate');
      expect(refused.headers['retry-after']).toBe('20');
      expect((await sim.create('127.0.0.2')).status).toBe(201);
      sim.clock.now += 19_000;
      expect((await sim.create('127.0.0.1')).status).toBe(429);
      sim.clock.now += 1_000;
      expect((await sim.create('127.0.0.1')).status).toBe(201);
      // The operator is not limited.
      for (let i = 0; i < 5; i++) expect((await sim.create('127.0.0.1', {}, sim.token)).status).toBe(201);
    } finally {
      await sim.close();
    }
  });

  it('bounds what a caller may ask: keys (--tenant-max-keys) and idle time-out (--tenant-max-idle-timeout)', async () => {
    const sim = await exposed(['--tenant-max-keys=3', '--tenant-max-idle-timeout=7200']);
    try {
      const keys = (n: number) => Array.from({ length: n }, () => ({ balance: 10 }));
      const many = await sim.create('127.0.0.1', { keys: keys(4) });
      expect(many.status).toBe(400);
      expect(many.body.message).toContain('--tenant-max-keys');
      expect(many.body.data.errors[0].field).toBe('body.keys');
      const long = await sim.create('127.0.0.1', { idleTimeoutS: 7201 });
      expect(long.status).toBe(400);
      expect(long.body.message).toContain('--tenant-max-idle-timeout');
      expect(long.body.data.errors[0].field).toBe('body.idleTimeoutS');
      expect((await sim.create('127.0.0.1', { keys: keys(3), idleTimeoutS: 7200 })).status).toBe(201);
      // The operator may ask for more, up to the spec's own bounds.
      expect(
        (await sim.create('127.0.0.1', { keys: keys(20), idleTimeoutS: 604_800 }, sim.token)).status,
      ).toBe(201);
    } finally {
      await sim.close();
    }
  });

  it('a tenant holds at most --tenant-max-keys keys, the names it creates included', async () => {
    const sim = await exposed(['--tenant-max-keys=2']);
    try {
      const created = await sim.create('127.0.0.1');
      const { tenant, token, keys } = created.body.data;
      const put = (key: string, balance: number) =>
        send(sim.port, '127.0.0.1', 'PUT', `/__mock/accounts/${key}`, { token, body: { balance } });
      expect((await put(`sk-${tenant.id}-a`, 5)).status).toBe(200);
      const third = await put(`sk-${tenant.id}-b`, 5);
      expect(third.status).toBe(403);
      expect(third.body.message).toContain('--tenant-max-keys');
      // Keys it has are still its own to fund.
      expect((await put(keys[0].apiKey, 50)).status).toBe(200);
      expect((await put(`sk-${tenant.id}-a`, 6)).status).toBe(200);
      // The operator is not bound.
      const byOperator = await send(sim.port, '127.0.0.1', 'PUT', `/__mock/accounts/sk-${tenant.id}-b`, {
        token: sim.token,
        tenant: tenant.id,
        body: { balance: 5 },
      });
      expect(byOperator.status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('a share in a fleet', () => {
  it('counts a caller’s live tenants in the shared store, whichever replica created them', async () => {
    const redis = await startRedis();
    const clock = { now: Date.UTC(2026, 0, 1) };
    const args = ['--store=redis', `--redis-url=${redis.url}`, '--max-tenants=8'];
    const a = await exposed(args, clock);
    const b = await exposed(args, clock);
    try {
      expect((await a.create('127.0.0.1')).status).toBe(201);
      expect((await b.create('127.0.0.1')).status).toBe(201);
      const refused = await a.create('127.0.0.1');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toContain('--max-tenants-per-caller');
      expect((await b.create('127.0.0.1')).status).toBe(429);
      expect((await b.create('127.0.0.2')).status).toBe(201);
    } finally {
      await a.close();
      await b.close();
      await redis.stop({ cleanup: true });
    }
  });
});

describe('the options of tenant creation', () => {
  it('default to a day at most of idle time-out, 20 keys, 30 creations a minute, a quarter of --max-tenants', () => {
    const config = parseConfig([...BASE_ARGS], {});
    expect(config.tenantIdleTimeoutMs).toBe(3_600_000);
    expect(config.tenantShares).toEqual({
      rate: { limit: 30, windowMs: 60_000 },
      perCaller: 250,
      maxKeys: 20,
      maxIdleTimeoutMs: 86_400_000,
    });
    expect(parseConfig([...BASE_ARGS, '--max-tenants=1'], {}).tenantShares.perCaller).toBe(1);
  });

  it('refuse a default idle time-out beyond the longest one a caller may ask', () => {
    expect(() => parseConfig([...BASE_ARGS, '--tenant-idle-timeout=90000'], {})).toThrow(
      /--tenant-max-idle-timeout/,
    );
  });
});

describe('a caller is its address', () => {
  it('an IPv4 address (mapped into IPv6 or not) as it is; an IPv6 address by its /64, one host’s usual allocation', () => {
    expect(callerShareOf('127.0.0.1')).toBe('127.0.0.1');
    expect(callerShareOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(callerShareOf('2001:db8:1:2::1')).toBe(callerShareOf('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(callerShareOf('2001:db8:1:2::1')).not.toBe(callerShareOf('2001:db8:1:3::1'));
    expect(callerShareOf('::1')).toBe(callerShareOf('::2'));
    expect(callerShareOf(undefined)).toBe('unknown');
  });
});
