/**
 * The verdict on a fleet: two replica processes on one redis-server of this file's own. A retry that
 * ignored a 429's Retry-After is found though the 429 and the retry went through different replicas,
 * and either replica reads the same report, its spend the ledger's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VerdictReport } from '../../mock-server/src/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { BODY, KEY, PRICE, call, json, replicas, stopStarted } from './processes.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(() => redis?.stop({ cleanup: true }));
afterEach(stopStarted);

async function reportOf(url: string): Promise<VerdictReport> {
  return (await json(url, '/__mock/report')).data as unknown as VerdictReport;
}

const found = (report: VerdictReport) => report.findings.map((f) => [f.rule, f.occurrences]);

describe('two replicas on one Redis', () => {
  it("find a retry that ignored a 429's Retry-After, the 429 from one replica and the retry through the other", async () => {
    const [a, b] = await replicas(redis, 2, ['--redis-prefix=verdict-fleet']);
    const rule = await fetch(`${a!.url}/__mock/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        match: { path: '/api/generate' },
        action: { status: 429, retryAfterSeconds: 5 },
        times: 1,
      }),
    });
    expect(rule.status).toBe(201);

    const limited = await call(a!.url, 'POST', '/api/generate', BODY);
    expect([limited.status, limited.retryAfter]).toEqual([429, '5']);
    expect((await call(b!.url, 'POST', '/api/generate', BODY)).status).toBe(200);

    const [fromA, fromB] = [await reportOf(a!.url), await reportOf(b!.url)];
    expect(found(fromA)).toEqual([['retry-after-ignored', 1]]);
    expect(fromA.findings[0]!.examples[0]!.detail).toBe('sent 0 ms after a 429 that asked to wait 5 s');
    expect(fromB).toEqual(fromA);
    expect(fromA.requests.observed).toBe(2);
    expect(fromA.blind_spots).toMatchObject({ complete: true, unseen: 0 });

    // The ledger, through either replica, is the spend.
    const ledger = (await json(b!.url, `/__mock/accounts/${KEY}`)).data as {
      ledger: Array<{ kind: string; amount: number }>;
    };
    const debited = ledger.ledger.filter((e) => e.kind === 'debit').reduce((n, e) => n - e.amount, 0);
    expect(debited).toBe(PRICE);
    expect(fromA.spend).toMatchObject({ debited: PRICE, refunded: 0, net: PRICE });

    // Waiting it out, through the other replica: nothing more found. The clock moved on one is the
    // world's time on both.
    await fetch(`${b!.url}/__mock/clock/advance`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ms: 5_000 }),
    });
    expect((await call(a!.url, 'POST', '/api/generate', { ...BODY, prompt: 'a patient fox' })).status).toBe(
      200,
    );
    expect(found(await reportOf(b!.url))).toEqual([['retry-after-ignored', 1]]);

    // A reset through one replica starts the verdict again for both.
    await fetch(`${a!.url}/__mock/reset`, { method: 'POST' });
    expect((await reportOf(b!.url)).requests.observed).toBe(0);
  }, 60_000);
});
