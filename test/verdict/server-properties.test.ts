/**
 * Properties of the verdict on a running simulator (memory store, virtual clock), over random days:
 *
 * - whatever the requests, the report's spend is the ledger's, per key and in all, and its `seen`
 *   outcomes are exactly those the journal shows, with their counts;
 * - nothing the simulator does on its own (chaos, the rate limiter, fault rules of any status or
 *   network fault) is a finding, when the client reacts well.
 *
 * One simulator per property, its world reset between runs (a reset starts the verdict again).
 * Seeded (FC_SEED replays a run, test/properties/support.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSimulator,
  type FaultRuleInput,
  type JournalEntry,
  type SimulatorHandle,
} from '../../mock-server/src/index.js';
import { OPERATION_GROUP, type ObservedOperation } from '../../mock-server/src/verdict/observation.js';
import { fcParams } from '../properties/support.js';

const RICH = 'sk-dc-rich-00000000001';
const POOR = 'sk-dc-poor-00000000001';
const UNKNOWN = 'sk-dc-nobody-000000001';
const PROMPTS = ['a red fox', 'a grey wolf', 'a snow hare'];

interface Sent {
  status: number;
  retryAfterMs: number | null;
  data: { task_id?: string; status?: string } | undefined;
}

async function call(
  url: string,
  key: string | null,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Sent> {
  try {
    const res = await fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(key === null ? {} : { Authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const parsed = (await res.json().catch(() => undefined)) as { data?: Sent['data'] } | undefined;
    const retryAfter = res.headers.get('retry-after');
    return {
      status: res.status,
      retryAfterMs: retryAfter === null ? null : Number(retryAfter) * 1000,
      data: parsed?.data,
    };
  } catch {
    return { status: 0, retryAfterMs: null, data: undefined };
  }
}

/** Every journal entry of the world, oldest first. */
async function journal(sim: SimulatorHandle): Promise<JournalEntry[]> {
  return (await sim.journal.list({ limit: 500 })).reverse();
}

/** The outcome a journal entry shows, named as the catalogue names them (verdict/outcomes.ts). */
function outcomeOfEntry(e: JournalEntry): string | null {
  if (e.operation === null || !(e.operation in OPERATION_GROUP)) return null;
  const group = OPERATION_GROUP[e.operation as ObservedOperation];
  const fault = e.request_headers?.['x-mock-fault'];
  if (e.injected === 'header' && fault !== undefined) return `${group}:fault:${fault}`;
  if (e.status === 0) return null;
  const body = e.response_body as { data?: { status?: string } } | undefined;
  if (group === 'status' && e.status === 200) return `status:200:${body!.data!.status!}`;
  return `${group}:${e.status}`;
}

const count = (items: (string | null)[]) => {
  const out: Record<string, number> = {};
  for (const i of items) if (i !== null) out[i] = (out[i] ?? 0) + 1;
  return out;
};

// --- spend and coverage: any requests --------------------------------------------------------------

/** `arb` once in `1 + nulls` draws, else null. */
function sometimes<T>(arb: fc.Arbitrary<T>, nulls: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: nulls }, { arbitrary: arb, weight: 1 });
}

const anyRequest = fc.record({
  kind: fc.constantFrom('generate', 'generate', 'poll', 'post', 'advance', 'fail', 'succeed', 'topUp'),
  key: fc.constantFrom(RICH, RICH, POOR, UNKNOWN, null),
  prompt: fc.constantFrom(...PROMPTS, ''),
  task: fc.nat(),
  status: sometimes(fc.constantFrom('400', '401', '402', '404', '429', '500', '503'), 5),
  fault: sometimes(fc.constantFrom('reset', 'empty', 'malformed'), 8),
  outcome: sometimes(fc.constantFrom('success', 'failed'), 1),
  durationMs: sometimes(fc.integer({ min: 0, max: 30_000 }), 1),
  advanceMs: fc.integer({ min: 0, max: 20_000 }),
});

describe('on any day', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'any-day',
      keys: { [RICH]: 1_000, [POOR]: 30 },
      devKey: false,
      rateLimit: 'generate=5/10s,status=20/10s',
    });
  });
  afterAll(() => sim?.stop());

  it("the spend is the ledger's, and the coverage is the journal's", async () => {
    let observed = 0;
    let refunded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyRequest, { minLength: 5, maxLength: 40, size: 'medium' }),
        async (steps) => {
          await sim.reset();
          const tasks: string[] = [];
          let sent = 0;
          for (const s of steps) {
            const headers: Record<string, string> = {};
            if (s.status !== null) headers['X-Mock-Status'] = s.status;
            else if (s.fault !== null) headers['X-Mock-Fault'] = s.fault;
            if (s.outcome !== null) headers['X-Mock-Outcome'] = s.outcome;
            if (s.durationMs !== null) headers['X-Mock-Duration-Ms'] = String(s.durationMs);
            const taskId =
              tasks.length > 0 && s.task % 4 !== 0 ? tasks[s.task % tasks.length]! : 'sd45_ffffffffffffffff';
            if (s.kind === 'generate' || s.kind === 'poll' || s.kind === 'post') sent++;
            if (s.kind === 'generate') {
              const body =
                s.prompt === '' ? '{}' : { prompt: s.prompt, aspectRatio: '1:1', quality: 'basic' };
              const sent = await call(sim.url, s.key, '/api/generate', body, headers);
              if (sent.status === 200 && sent.data?.task_id) tasks.push(sent.data.task_id);
            } else if (s.kind === 'poll')
              await call(sim.url, s.key, `/api/status?task_id=${taskId}`, undefined, headers);
            else if (s.kind === 'post')
              await call(sim.url, s.key, '/api/status', { task_id: taskId }, headers);
            else if (s.kind === 'advance') await sim.clock.advance(s.advanceMs);
            else if (s.kind === 'topUp') await sim.accounts.setBalance(POOR, 30);
            else if (tasks.length > 0)
              await (s.kind === 'fail' ? sim.tasks.fail(taskId) : sim.tasks.succeed(taskId)).catch(
                () => undefined,
              );
          }

          // A broken connection is observed when the server sees it close: wait for the last of them.
          await expect
            .poll(async () => (await sim.report()).requests.observed, { timeout: 5_000 })
            .toBe(sent);
          const report = await sim.report();
          const entries = await journal(sim);
          // Coverage: what the journal shows, outcome by outcome, with the counts.
          const seen = Object.fromEntries(report.coverage.seen.map((s) => [s.outcome, s.count]));
          expect(seen).toEqual(count(entries.map(outcomeOfEntry)));
          expect(report.requests.observed).toBe(entries.filter((e) => e.operation !== null).length);
          observed += report.requests.observed;

          // Spend: the ledger's debits and refunds, per key and in all.
          const { accounts } = await listAccounts(sim);
          const ledgerSpend = accounts
            .map((a) => ({
              key: a.apiKey,
              debited: a.ledger.filter((e) => e.kind === 'debit').reduce((n, e) => n - e.amount, 0),
              refunded: a.ledger.filter((e) => e.kind === 'refund').reduce((n, e) => n + e.amount, 0),
            }))
            .filter((k) => k.debited > 0 || k.refunded > 0)
            .map((k) => ({ ...k, net: k.debited - k.refunded }))
            .sort((a, b) => a.key.localeCompare(b.key));
          expect(report.spend.by_key).toEqual(ledgerSpend);
          expect(report.spend.debited).toBe(ledgerSpend.reduce((n, k) => n + k.debited, 0));
          expect(report.spend.refunded).toBe(ledgerSpend.reduce((n, k) => n + k.refunded, 0));
          refunded += report.spend.refunded;
        },
      ),
      fcParams(30),
    );
    // The days had requests, and refunds among them.
    expect(observed).toBeGreaterThan(200);
    expect(refunded).toBeGreaterThan(0);
  }, 120_000);
});

/** GET /__mock/accounts with each account's whole ledger (a day here has far fewer than 100 entries). */
async function listAccounts(sim: SimulatorHandle) {
  const res = await fetch(`${sim.url}/__mock/accounts?ledger=100`);
  return (
    (await res.json()) as {
      data: { accounts: Array<{ apiKey: string; ledger: Array<{ kind: string; amount: number }> }> };
    }
  ).data;
}

// --- what the simulator does on its own ------------------------------------------------------------

const anyRule = fc.record({
  match: fc.record({ path: fc.constantFrom('/api/generate', '/api/status') }),
  action: fc.oneof(
    fc.record({ status: fc.constantFrom(400, 401, 500) }),
    fc.record({ status: fc.constantFrom(429, 503), retryAfterSeconds: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ fault: fc.constantFrom('reset' as const, 'empty' as const, 'malformed' as const) }),
  ),
  probability: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
});

/**
 * A client that reacts well: it waits Retry-After, backs off (doubling) after a 500 or a broken
 * connection, gives a job up on a client error or when it cannot know whether a paid request went
 * through, polls every few seconds until the end, and never sends a paid request twice.
 */
async function carefulJob(sim: SimulatorHandle, key: string, prompt: string): Promise<void> {
  const sleep = sim.clock.sleep;
  let backoffMs = 1_000;
  const failed = async (sent: Sent): Promise<'retry' | 'stop'> => {
    if (sent.status === 429 || sent.status === 503) {
      await sleep(Math.max(sent.retryAfterMs ?? 1_000, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 16_000);
      return 'retry';
    }
    if (sent.status === 0 || sent.status >= 500) {
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 16_000);
      return 'retry';
    }
    return 'stop';
  };
  let taskId: string | undefined;
  for (let attempt = 0; attempt < 30 && taskId === undefined; attempt++) {
    const sent = await call(sim.url, key, '/api/generate', { prompt, aspectRatio: '1:1', quality: 'basic' });
    if (sent.status === 200 && sent.data?.task_id) taskId = sent.data.task_id;
    // A broken connection or a broken body on a paid request: it may have gone through. Not resent.
    else if (sent.status === 0 || sent.status === 200) return;
    else if ((await failed(sent)) === 'stop') return;
  }
  if (taskId === undefined) throw new Error(`gave up on ${prompt} after 30 attempts`);
  backoffMs = 1_000;
  await sleep(3_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const sent = await call(sim.url, key, `/api/status?task_id=${taskId}`);
    const status = sent.status === 200 ? sent.data?.status : undefined;
    if (status === 'SUCCESS' || status === 'FAILED') return;
    if (status === 'IN_PROGRESS') {
      backoffMs = 1_000;
      await sleep(3_000);
    } else if (sent.status === 200) {
      // A broken body: the poll may be asked again, after a while.
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 16_000);
    } else if ((await failed(sent)) === 'stop') return;
  }
  throw new Error(`task ${taskId} never ended`);
}

describe('what the simulator does on its own', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'own-doing',
      keys: { [RICH]: 100_000 },
      devKey: false,
      chaos: '500=0.1,429=0.05',
      rateLimit: 'generate=2/10s,status=3/10s',
      failureRate: 0.3,
    });
  });
  afterAll(() => sim?.stop());

  it('is never a finding when the client reacts well', async () => {
    const injected = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyRule, { maxLength: 4 }),
        fc.integer({ min: 1, max: 6 }),
        async (rules, jobs) => {
          await sim.reset();
          for (const rule of rules) await sim.rules.add(rule as FaultRuleInput);
          for (let i = 0; i < jobs; i++) await carefulJob(sim, RICH, `${PROMPTS[i % 3]} ${i}`);
          await sim.clock.sleep(60_000);
          const report = await sim.report();
          for (const e of await sim.journal.list({ limit: 500 }))
            if (e.injected !== null) {
              const source = e.injected.startsWith('rule_') ? 'rule' : e.injected;
              injected.set(source, (injected.get(source) ?? 0) + 1);
            }
          expect(report.findings).toEqual([]);
        },
      ),
      fcParams(40),
    );
    // The simulator did plenty on its own: chaos, the rate limiter and the rules, each many times.
    expect([...injected.keys()].sort()).toEqual(['chaos', 'rate-limit', 'rule']);
    expect(Math.min(...injected.values())).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
