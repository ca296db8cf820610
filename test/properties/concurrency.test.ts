/**
 * The debit is atomic under load (issue 6): 2,000 generate requests sent at once over real sockets
 * (a loopback server, node's http.Agent with hundreds of sockets, rate limit off) against a key
 * funded for exactly 1,000 of them. Exactly 1,000 are accepted and 1,000 refused with 402, the
 * balance ends at 0, 1,000 tasks exist and the ledger holds 1,000 debits: nothing is spent twice
 * and nothing is lost, whatever the interleaving.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import { listenOnLoopback, type Listening } from './support.js';

const KEY = 'sk-concurrency-test-0001';
const PRICE = 12; // text-to-image, basic (generated/credit-table.ts)
const FUNDED_FOR = 1_000;
const REQUESTS = 2_000;
const REFUND_KEY = 'sk-concurrency-refunds-02';
const REFUND_FUNDED_FOR = 50;
const REFUND_REQUESTS = 1_000;

interface Answer {
  status: number;
  body: { code: number; message: string; data: Record<string, unknown> };
}

function post(
  agent: Agent,
  port: number,
  path: string,
  body: unknown,
  { key = KEY, headers = {} }: { key?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          ...headers,
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          'Content-Length': String(payload.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('2,000 simultaneous generate requests against a balance for 1,000', () => {
  let sim: TestSimulator;
  let listening: Listening;
  let agent: Agent;

  beforeAll(async () => {
    sim = await testSimulator([
      `--key=${KEY}=${PRICE * FUNDED_FOR}`,
      `--key=${REFUND_KEY}=${PRICE * REFUND_FUNDED_FOR}`,
      '--rate-limit=off',
    ]);
    listening = await listenOnLoopback(sim.app, 4096);
    agent = new Agent({ keepAlive: true, maxSockets: 512 });
  });

  afterAll(async () => {
    agent?.destroy();
    await listening?.close();
  });

  it('accepts exactly 1,000, refuses exactly 1,000 with 402, and spends the balance to 0', async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        post(agent, listening.port, '/api/generate', {
          prompt: `Concurrent fox number ${i}, paper-cut style`,
          aspectRatio: '1:1',
          quality: 'basic',
        }),
      ),
    );
    const elapsed = performance.now() - started;

    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    console.log(
      `concurrency: ${REQUESTS} requests in ${Math.round(elapsed)} ms over ${
        Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length
      } sockets: ${[...byStatus].map(([s, n]) => `${s}x${n}`).join(', ')}`,
    );
    expect(Object.fromEntries(byStatus)).toEqual({ 200: FUNDED_FOR, 402: REQUESTS - FUNDED_FOR });

    const accepted = answers.filter((a) => a.status === 200).map((a) => a.body.data.task_id as string);
    expect(new Set(accepted).size, 'task ids are unique').toBe(FUNDED_FOR);
    for (const refused of answers.filter((a) => a.status === 402)) {
      // Refused only once the balance could not cover the price: it was 0 then, exactly.
      expect(refused.body).toEqual({
        code: 402,
        message: `Insufficient credits: this request costs ${PRICE}, the balance is 0`,
        data: { type: 'insufficient_credits', required_credits: PRICE, balance: 0 },
      });
    }

    expect(await sim.balance(KEY)).toBe(0);
    expect(await sim.taskCount()).toBe(FUNDED_FOR);
    const tasks = await sim.store.listTasks({ owner: ownerOf(KEY) });
    expect(tasks.map((t) => t.id).sort()).toEqual([...accepted].sort());

    const { ledger } = (await sim.simulator.account(KEY))!;
    const debits = ledger.filter((e) => e.kind === 'debit');
    expect(debits).toHaveLength(FUNDED_FOR);
    expect(debits.every((e) => e.amount === -PRICE)).toBe(true);
    expect(new Set(debits.map((e) => e.taskId))).toEqual(new Set(accepted));
    expect(ledger.filter((e) => e.kind === 'refund')).toHaveLength(0);
    // The ledger chains from the funded balance down to 0 with no gap and no double spend.
    expect(ledger[0]).toMatchObject({ kind: 'set', balanceAfter: PRICE * FUNDED_FOR });
    for (let i = 1; i < ledger.length; i++) {
      expect(ledger[i]!.balanceAfter).toBe(ledger[i - 1]!.balanceAfter + ledger[i]!.amount);
    }
    expect(ledger.at(-1)!.balanceAfter).toBe(0);
  }, 60_000);

  it('keeps debits and refunds consistent when half the tasks fail at once and refund', async () => {
    // Tasks that fail at acceptance (duration 0) refund before the next debit of the key: the
    // credits they free are spent again by requests still in flight.
    const answers = await Promise.all(
      Array.from({ length: REFUND_REQUESTS }, (_, i) =>
        post(
          agent,
          listening.port,
          '/api/generate',
          { prompt: `Refund race ${i}`, aspectRatio: '16:9', quality: 'basic' },
          {
            key: REFUND_KEY,
            headers: { 'X-Mock-Outcome': i % 2 === 0 ? 'failed' : 'success', 'X-Mock-Duration-Ms': '0' },
          },
        ).then((a) => ({ ...a, fails: i % 2 === 0 })),
      ),
    );
    expect(answers.every((a) => a.status === 200 || a.status === 402)).toBe(true);
    const accepted = answers.filter((a) => a.status === 200);
    const succeeded = accepted.filter((a) => !a.fails).length;
    const failed = accepted.length - succeeded;
    console.log(
      `concurrency (refunds): ${REFUND_REQUESTS} requests: ${accepted.length} accepted ` +
        `(${succeeded} to succeed, ${failed} to fail and refund), ${REFUND_REQUESTS - accepted.length} refused`,
    );
    // Successes keep their credits: never more of them than the balance paid for.
    expect(succeeded).toBeLessThanOrEqual(REFUND_FUNDED_FOR);

    const balance = await sim.balance(REFUND_KEY); // settles every due task first
    expect(balance).toBe(PRICE * (REFUND_FUNDED_FOR - succeeded));
    const { ledger } = (await sim.simulator.account(REFUND_KEY))!;
    expect(ledger.filter((e) => e.kind === 'debit')).toHaveLength(accepted.length);
    expect(ledger.filter((e) => e.kind === 'refund')).toHaveLength(failed);
    for (let i = 1; i < ledger.length; i++) {
      expect(ledger[i]!.balanceAfter).toBe(ledger[i - 1]!.balanceAfter + ledger[i]!.amount);
      expect(ledger[i]!.balanceAfter).toBeGreaterThanOrEqual(0);
    }
    const tasks = await sim.store.listTasks({ owner: ownerOf(REFUND_KEY) });
    expect(tasks).toHaveLength(accepted.length);
    expect(tasks.filter((t) => t.status === 'FAILED')).toHaveLength(failed);
    expect(tasks.filter((t) => t.status === 'SUCCESS')).toHaveLength(succeeded);
  }, 60_000);
});
