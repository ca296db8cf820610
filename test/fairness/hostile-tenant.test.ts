/**
 * The fair-share suite: ONE real simulator process (the built one, every limit at its default,
 * node --max-old-space-size=96) shared by a victim tenant, the default world and a hostile tenant
 * that attacks it from an address of its own (scripts/bench/hostile-tenant.ts): 100 long-polls and
 * 500 streams held on its journal with a `q=` filter, a journal flood of large requests, rule,
 * account and task floods, and a tenant flood. The followers stay open while the floods come, the
 * worst of them together.
 *
 * While each attack is on, the victim and the default world must get what they always get (a task,
 * its status, their balances to the credit, their journals whole, health `ok`), the hostile exactly
 * the documented refusals (docs/reference/resource-model.md, the specs), and the process must live.
 * What the attacks cost the others in throughput is the fair-share benchmark's figure
 * (scripts/bench/fair-share.ts), never asserted here; work is counted from the metrics instead.
 *
 * The simulator has a control token, as a shared one has (one listening beyond loopback makes one):
 * without it every caller on loopback is the operator, who has no share of tenant creation. The rate
 * limit is off: a key's rate limit would stop the floods before they reach the journal and the
 * memory budget, which are what is tested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_STREAMS, DEFAULT_MAX_WAITS } from '../../mock-server/src/http/admin/journal-feed.js';
import { DEV_KEY, DEV_KEY_BALANCE } from '../../mock-server/src/config.js';
import {
  Caller,
  accountFlood,
  createTenant,
  flood,
  holdWaits,
  journalFloodRequest,
  oneAccount,
  oneRule,
  openStreams,
  ruleFlood,
  taskFlood,
  tenantFlood,
  type Answer,
  type Followers,
  type HostileTenant,
} from '../../scripts/bench/hostile-tenant.js';
import { loadConformance, loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { jsonCaller, spawnSimulator, type SimulatorProcess } from '../support/spawn-simulator.js';
import { eventually } from '../qa/journal-follow-support.js';

const HEAP_MB = 96;
/** What a basic text-to-image generate costs (openapi.yaml's x-credit-cost). */
const BASIC = 12;
/** Journal flood: large requests, 16 at a time. */
const FLOOD_REQUESTS = 1_500;
const OPERATOR = { 'x-mock-token': 'fair-share-operator' };

let sim: SimulatorProcess;
let hostile: Caller;
let attacker: HostileTenant;
let api: SpecConformance;
let control: SpecConformance;
/** Followers the hostile holds open from its attack on: closed in afterAll, whatever failed. */
const held: Followers[] = [];

/** A client served while the hostile attacks: what it has been charged, and what it sent. */
interface Party {
  name: string;
  key: string;
  /** The headers of its control calls: its tenant's token, or the operator's for the default world. */
  control: Record<string, string>;
  balance: number;
  journaled: number;
}
let victim: Party;
let home: Party;

beforeAll(async () => {
  [api, control] = await Promise.all([loadConformance(), loadControlConformance()]);
  sim = await spawnSimulator(
    [
      '--log-level=warn',
      '--request-log=off',
      '--rate-limit=off',
      '--clock=virtual',
      `--control-token=${OPERATOR['x-mock-token']}`,
      // The share of a busy process's time is fair-share.test.ts's: here the floods must reach the
      // limits they test, however busy this machine makes the process.
      '--fair-share-busy=off',
    ],
    { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
  );
  hostile = new Caller(sim.url);
  attacker = await createTenant(hostile);
  const made = await call('POST', '/__mock/tenants', { keys: [{ balance: 1000 }] });
  expect(made.status).toBe(201);
  const data = made.body.data as { token: string; keys: Array<{ apiKey: string }> };
  victim = {
    name: 'victim',
    key: data.keys[0]!.apiKey,
    control: { 'x-mock-token': data.token },
    balance: 1000,
    journaled: 0,
  };
  home = { name: 'default world', key: DEV_KEY, control: OPERATOR, balance: DEV_KEY_BALANCE, journaled: 0 };
}, 60_000);

afterAll(async () => {
  for (const f of held) f.close();
  hostile?.close();
  await sim?.stop();
});

/** A request of the victim or the default world, from 127.0.0.1. */
const call = jsonCaller(() => sim.url);

/** The sum of a metric's series whose labels include `labels` (the operator's view). */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${sim.url}/__mock/metrics`, { headers: OPERATOR })).text();
  let total = 0;
  for (const m of text.matchAll(/^(\w+)(?:\{([^}]*)\})? ([0-9.e+-]+)$/gm))
    if (m[1] === name && (m[2] ?? '').includes(labels)) total += Number(m[3]);
  return total;
}
const queries = () => metric('dreamcore_store_operation_duration_seconds_count', 'operation="queryJournal"');

/**
 * What a client gets from a shared simulator however it is attacked: a task, its status (SUCCESS on
 * the first poll, X-Mock-Polls), its balance to the credit, every request it made in its journal.
 */
async function served(party: Party): Promise<void> {
  const auth = { authorization: `Bearer ${party.key}` };
  const generated = await call(
    'POST',
    '/api/generate',
    { prompt: `${party.name}: a lighthouse at dusk`, aspectRatio: '1:1', quality: 'basic' },
    { ...auth, 'x-mock-polls': '1' },
  );
  expect(generated.status, `${party.name}: ${generated.body.message}`).toBe(200);
  const taskId = (generated.body.data as { task_id: string }).task_id;
  expect(taskId).toMatch(/^sd45_/);
  party.balance -= BASIC;
  const status = await call('GET', `/api/status?task_id=${taskId}`, undefined, auth);
  party.journaled += 2;
  expect(status.status).toBe(200);
  expect(status.body.data).toMatchObject({ task_id: taskId, status: 'SUCCESS', consumed_credits: BASIC });
  const account = await call('GET', `/__mock/accounts/${party.key}`, undefined, party.control);
  expect(account.status).toBe(200);
  expect(account.body.data.balance, party.name).toBe(party.balance);
  const journal = await call('GET', '/__mock/journal?limit=1000', undefined, party.control);
  expect((journal.body.data.entries as unknown[]).length, `${party.name}'s journal`).toBe(party.journaled);
}

/** The victim, the default world and health, all answered as ever. */
async function othersServed(): Promise<void> {
  const health = await call('GET', '/__mock/health');
  expect(health.status).toBe(200);
  expect(health.body.data.status).toBe('ok');
  await served(victim);
  await served(home);
}

/** A refusal as documented: its status, type, Retry-After, the option its message names, and the spec. */
function refusedAsDocumented(
  a: Answer,
  spec: SpecConformance,
  [method, path]: [string, string],
  expected: { status: number; type: string; retryAfter?: number; names: RegExp },
): void {
  expect(a.status, a.body.message).toBe(expected.status);
  expect(a.body.data.type).toBe(expected.type);
  expect(a.body.message).toMatch(expected.names);
  if (expected.retryAfter === undefined) expect(a.headers['retry-after']).toBeUndefined();
  else {
    expect(a.headers['retry-after']).toBe(String(expected.retryAfter));
    expect(a.body.data.retry_after_seconds).toBe(expected.retryAfter);
  }
  expect(spec.check(method, path, a)).toEqual([]);
}

describe(`a hostile tenant against one simulator process (--max-old-space-size=${HEAP_MB})`, () => {
  it('100 long-polls with q=: as many held as --max-journal-waits allows, the rest refused 429; the others served, at no query per request', async () => {
    const before = await queries();
    const waits = holdWaits(hostile, attacker.token, 100);
    held.push(waits);
    await waits.refusedAtLeast(100 - DEFAULT_MAX_WAITS);
    // Each held wait looks at the journal once, when it starts.
    await eventually(
      async () => (await queries()) === before + DEFAULT_MAX_WAITS,
      'every accepted wait is held',
    );
    expect(waits.held()).toBe(DEFAULT_MAX_WAITS);
    expect(waits.refused.toJSON()).toEqual({ '429 rate_limited': 100 - DEFAULT_MAX_WAITS });
    refusedAsDocumented(
      waits.refused.first.get('429 rate_limited')!,
      control,
      ['GET', '/__mock/journal/wait'],
      {
        status: 429,
        type: 'rate_limited',
        retryAfter: 1,
        names: /--max-journal-waits/,
      },
    );

    const queried = await queries();
    await othersServed();
    // The others' requests, their journal reads aside, cost the held waits nothing.
    expect(await queries()).toBe(queried + 2);
    expect(waits.held()).toBe(DEFAULT_MAX_WAITS);
  });

  it('500 streams with q=: as many open as --max-journal-streams allows, the rest refused 429; the others served', async () => {
    const streams = await openStreams(hostile, attacker.token, 500);
    held.push(streams);
    expect(streams.held()).toBe(DEFAULT_MAX_STREAMS);
    expect(streams.refused.toJSON()).toEqual({ '429 rate_limited': 500 - DEFAULT_MAX_STREAMS });
    refusedAsDocumented(
      streams.refused.first.get('429 rate_limited')!,
      control,
      ['GET', '/__mock/journal/stream'],
      { status: 429, type: 'rate_limited', retryAfter: 5, names: /--max-journal-streams/ },
    );
    expect(await metric('dreamcore_journal_streams_open')).toBe(DEFAULT_MAX_STREAMS);
    await othersServed();
  });

  it('a journal flood of large requests, past its share, under the held followers: each answered as it would be; the others’ journals whole', async () => {
    const answers = await flood(FLOOD_REQUESTS, 16, () => journalFloodRequest(hostile, attacker.keys[0]!));
    expect(answers.toJSON()).toEqual({ '400 invalid_request': FLOOD_REQUESTS });
    expect(api.check('POST', '/api/generate', answers.first.get('400 invalid_request')!)).toEqual([]);
    // Its journal gave way to its share (6 MiB of a 48 MiB budget): it keeps fewer than it was sent.
    const journal = await hostile.send('GET', '/__mock/journal?limit=1000', {
      headers: { 'x-mock-token': attacker.token },
    });
    expect((journal.body.data.entries as unknown[]).length).toBeLessThan(FLOOD_REQUESTS);
    await othersServed();
  });

  it('a rule flood and an account flood: refused at --max-rules (429) and --tenant-max-keys (403); the others’ keys out of reach', async () => {
    const rules = await ruleFlood(hostile, attacker.token);
    expect(rules.added).toBe(1000);
    refusedAsDocumented(rules.refusal, control, ['POST', '/__mock/scenario'], {
      status: 429,
      type: 'quota_exceeded',
      names: /--max-rules/,
    });
    refusedAsDocumented(await oneRule(hostile, attacker.token), control, ['POST', '/__mock/faults'], {
      status: 429,
      type: 'quota_exceeded',
      names: /--max-rules/,
    });
    const accounts = await accountFlood(hostile, attacker);
    expect(accounts.created).toBe(20 - attacker.keys.length);
    refusedAsDocumented(accounts.refusal, control, ['PUT', '/__mock/accounts/{apiKey}'], {
      status: 403,
      type: 'forbidden',
      names: /--tenant-max-keys/,
    });
    // The victim's key and the default world's are not the hostile's to set.
    for (const key of [victim.key, DEV_KEY]) {
      const taken = await hostile.send('PUT', `/__mock/accounts/${key}`, {
        body: { balance: 0 },
        headers: { 'x-mock-token': attacker.token },
      });
      expect(taken.status).toBe(403);
      expect(taken.body.data.type).toBe('forbidden');
    }
    await othersServed();
  });

  it('a task flood fills a tenant’s share: its generates 503, its new rules and keys 429, with Retry-After; the others served', async () => {
    const second = await createTenant(hostile);
    const tasks = await taskFlood(hostile, second.keys[0]!);
    const counts = tasks.toJSON();
    expect(Object.keys(counts).sort()).toEqual(['200', '503 service_unavailable']);
    expect(counts['200']).toBeGreaterThan(1000);
    refusedAsDocumented(tasks.first.get('503 service_unavailable')!, api, ['POST', '/api/generate'], {
      status: 503,
      type: 'service_unavailable',
      retryAfter: 60,
      names: /--tenant-memory-share/,
    });
    refusedAsDocumented(await oneRule(hostile, second.token), control, ['POST', '/__mock/faults'], {
      status: 429,
      type: 'quota_exceeded',
      retryAfter: 60,
      names: /--tenant-memory-share/,
    });
    refusedAsDocumented(await oneAccount(hostile, second, 0), control, ['PUT', '/__mock/accounts/{apiKey}'], {
      status: 429,
      type: 'quota_exceeded',
      retryAfter: 60,
      names: /--tenant-memory-share/,
    });
    await othersServed();
  });

  it('a tenant flood from one caller: refused 429 at its creation rate, with Retry-After; another caller still creates one', async () => {
    const tenants = await tenantFlood(hostile);
    expect(tenants.created.length).toBeGreaterThanOrEqual(28); // 30 a minute, two made before
    refusedAsDocumented(tenants.refusal, control, ['POST', '/__mock/tenants'], {
      status: 429,
      type: 'rate_limited',
      retryAfter: tenants.refusal.body.data.retry_after_seconds!,
      names: /--tenant-creation-rate/,
    });
    const ours = await call('POST', '/__mock/tenants', {});
    expect(ours.status).toBe(201);
    await othersServed();
  });

  it('the process lives, within its budget, and still answers the hostile as documented', async () => {
    const health = await call('GET', '/__mock/health', undefined, OPERATOR);
    expect(health.status).toBe(200);
    const memory = health.body.data.memory as { used_bytes: number; limit_bytes: number };
    expect(memory.limit_bytes).toBe((HEAP_MB / 2) * 1024 * 1024);
    expect(memory.used_bytes).toBeLessThanOrEqual(memory.limit_bytes);
    expect(await flood(64, 16, () => journalFloodRequest(hostile, attacker.keys[0]!))).toMatchObject({
      counts: new Map([['400 invalid_request', 64]]),
    });
    expect((await oneRule(hostile, attacker.token)).status).toBe(429);
    await othersServed();
    expect(sim.child.exitCode).toBeNull();
    expect(sim.output()).not.toMatch(/heap out of memory|FATAL ERROR/i);
  });
});
