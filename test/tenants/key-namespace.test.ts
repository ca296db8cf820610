/**
 * Which key names a tenant may create (PUT /__mock/accounts/{apiKey}). A tenant that could create any
 * unused name could squat a key another team is about to use (`sk-qa-poor`): every request sent with
 * it would land in the tenant's world and show its prompts in the tenant's journal. So a tenant
 * creates keys in its own namespace only (`sk-<tenant id>-...`), besides the keys made with it; no
 * other world may create a name of a tenant's namespace; and the operator is told which tenant holds
 * a key, and how to get it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { listenOnLoopback, type Listening } from '../properties/support.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;
const CONFIGURED = 'sk-ci-team-configured';

async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; tenant?: string; key?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(options.token ? { 'X-Mock-Token': options.token } : {}),
      ...(options.tenant ? { 'X-Mock-Tenant': options.tenant } : {}),
      ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('a tenant creates keys in its own namespace only', () => {
  let sim: TestSimulator;
  let listening: Listening;
  let url: string;
  let operator: string;
  let tenant: { id: string; token: string; key: string };
  let other: { id: string; token: string; key: string };

  const createTenant = async () => {
    const created = await call(url, 'POST', '/__mock/tenants', { body: { name: 'squatter' } });
    expect(created.status).toBe(201);
    const { tenant: t, token, keys } = created.body.data;
    return { id: t.id as string, token: token as string, key: keys[0].apiKey as string };
  };

  beforeAll(async () => {
    // Exposed: a control token, and tenants created by anyone who reaches /__mock without it.
    sim = await testSimulator(['--host=0.0.0.0', `--key=${CONFIGURED}=50`]);
    listening = await listenOnLoopback(sim.app);
    url = listening.origin;
    operator = sim.config.controlToken!;
    tenant = await createTenant();
    other = await createTenant();
  });
  afterAll(() => listening?.close());

  it('refuses a name outside its namespace (sk-qa-poor), saying what it may name, and claims nothing', async () => {
    const squat = await call(url, 'PUT', '/__mock/accounts/sk-qa-poor', {
      token: tenant.token,
      body: { balance: 20 },
    });
    expect(squat.status).toBe(403);
    expect(squat.body).toMatchObject({ code: 403, data: { type: 'forbidden' } });
    expect(squat.body.message).toContain(`sk-${tenant.id}-`);
    // The key is nobody's: a request with it is refused in the default world, and the operator
    // creates it there as the QA guide says.
    const gen = await call(url, 'POST', '/api/generate', { key: 'sk-qa-poor', body: BODY });
    expect(gen.status).toBe(401);
    const made = await call(url, 'PUT', '/__mock/accounts/sk-qa-poor', {
      token: operator,
      body: { balance: 20 },
    });
    expect(made.status).toBe(200);
    expect((await call(url, 'POST', '/api/generate', { key: 'sk-qa-poor', body: BODY })).status).toBe(200);
    expect((await call(url, 'GET', '/__mock/journal', { token: tenant.token })).body.data.entries).toEqual(
      [],
    );
  });

  it('never claims the dev key or a configured key, whatever it sends', async () => {
    for (const key of [DEV_KEY, CONFIGURED]) {
      const res = await call(url, 'PUT', `/__mock/accounts/${key}`, {
        token: tenant.token,
        body: { balance: 1 },
      });
      expect(res.status, key).toBe(403);
      expect(res.body.message, key).toContain(`sk-${tenant.id}-`);
    }
    expect(await sim.balance(DEV_KEY)).toBe(1000);
    expect(await sim.balance(CONFIGURED)).toBe(50);
    const gen = await call(url, 'POST', '/api/generate', { key: CONFIGURED, body: BODY });
    expect(gen.status).toBe(200);
    expect((await call(url, 'GET', '/__mock/tasks', { token: tenant.token })).body.data.tasks).toEqual([]);
  });

  it('creates keys in its namespace, and sets the balance of the keys it was made with', async () => {
    const own = `sk-${tenant.id}-poor`;
    const made = await call(url, 'PUT', `/__mock/accounts/${own}`, {
      token: tenant.token,
      body: { balance: 12 },
    });
    expect(made.status).toBe(200);
    expect(made.body.data.balance).toBe(12);
    expect((await call(url, 'POST', '/api/generate', { key: own, body: BODY })).status).toBe(200);
    expect((await call(url, 'GET', '/__mock/tasks', { token: tenant.token })).body.data.tasks).toHaveLength(
      1,
    );
    const refund = await call(url, 'PUT', `/__mock/accounts/${tenant.key}`, {
      token: tenant.token,
      body: { balance: 7 },
    });
    expect(refund.status).toBe(200);
    expect(refund.body.data.balance).toBe(7);
  });

  it("refuses another tenant's namespace, to a tenant and to the operator acting elsewhere", async () => {
    const theirs = `sk-${other.id}-mine`;
    const byTenant = await call(url, 'PUT', `/__mock/accounts/${theirs}`, {
      token: tenant.token,
      body: { balance: 1 },
    });
    expect(byTenant.status).toBe(403);
    for (const scope of [{}, { tenant: tenant.id }]) {
      const byOperator = await call(url, 'PUT', `/__mock/accounts/${theirs}`, {
        token: operator,
        ...scope,
        body: { balance: 1 },
      });
      expect(byOperator.status, JSON.stringify(scope)).toBe(403);
      expect(byOperator.body.message).toContain(`X-Mock-Tenant: ${other.id}`);
    }
    // In its own tenant, the operator may.
    const inside = await call(url, 'PUT', `/__mock/accounts/${theirs}`, {
      token: operator,
      tenant: other.id,
      body: { balance: 3 },
    });
    expect(inside.status).toBe(200);
    expect(
      (await call(url, 'GET', `/__mock/accounts/${theirs}`, { token: other.token })).body.data.balance,
    ).toBe(3);
  });

  it('tells the operator which tenant holds a key, and how to get it back', async () => {
    const put = await call(url, 'PUT', `/__mock/accounts/${tenant.key}`, {
      token: operator,
      body: { balance: 1 },
    });
    expect(put.status).toBe(403);
    expect(put.body.message).toContain(tenant.id);
    expect(put.body.message).toContain(`DELETE /__mock/tenants/${tenant.id}`);
    expect(put.body.message).not.toMatch(/tenant credential/);
    const get = await call(url, 'GET', `/__mock/accounts/${tenant.key}`, { token: operator });
    expect(get.status).toBe(403);
    expect(get.body.message).toContain(`X-Mock-Tenant: ${tenant.id}`);
    // Acting in another tenant, a key of the default world.
    const fromTenant = await call(url, 'PUT', '/__mock/accounts/sk-qa-poor', {
      token: operator,
      tenant: tenant.id,
      body: { balance: 1 },
    });
    expect(fromTenant.status).toBe(403);
    expect(fromTenant.body.message).toMatch(/default world/);
    // Dropped, the tenant gives its keys back.
    expect((await call(url, 'DELETE', `/__mock/tenants/${tenant.id}`, { token: operator })).status).toBe(200);
    expect(
      (await call(url, 'PUT', `/__mock/accounts/${tenant.key}`, { token: operator, body: { balance: 1 } }))
        .status,
    ).toBe(200);
  });
});
