/**
 * The reference client under the judge: through bad days on a real simulator (chaos, fault rules
 * with Retry-After, broken connections, failed renders, the rate limiter), its sleep on the
 * simulator's virtual clock, it gets no finding (GET /__mock/report).
 *
 * No hang here: the client would give up on it after its request time-out in real time (30 s), and
 * a shorter one would also give up on a generate that was only slow, leaving its task unread.
 *
 * Each day is a tenant of its own, with its own seed. The caller does what the client's documentation
 * asks of one: it waits out the Retry-After of an error the client hands back, and gives a prompt up
 * when the client does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSimulator, startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import { NetworkError, RateLimitedError, ServerError, TaskFailedError } from './errors.js';

let sim: SimulatorHandle;

beforeAll(async () => {
  // Chaos in every world: 8 % of requests answered 500, 4 % 429, drawn from each world's seed.
  sim = await startSimulator({
    clock: 'virtual',
    seed: 'bad-days',
    chaos: '500=0.08,429=0.04',
    maxDelayMs: 5_000,
  });
});

afterAll(() => sim?.stop());

/** The day's fault rules: they fire on a seeded share of the requests they match. */
async function badDay(world: SimulatorHandle): Promise<void> {
  const generate = { path: '/api/generate' } as const;
  const status = { path: '/api/status' } as const;
  await world.rules.add({
    match: generate,
    action: { status: 503, retryAfterSeconds: 2 },
    probability: 0.15,
  });
  await world.rules.add({
    match: generate,
    action: { status: 429, retryAfterSeconds: 4 },
    probability: 0.15,
  });
  await world.rules.add({ match: status, action: { fault: 'reset' }, probability: 0.08 });
  await world.rules.add({ match: status, action: { fault: 'empty' }, probability: 0.06 });
  await world.rules.add({ match: status, action: { status: 503, retryAfterSeconds: 3 }, probability: 0.08 });
  await world.rules.add({ match: status, action: { status: 429, retryAfterSeconds: 2 }, probability: 0.08 });
}

/** A small seeded generator (mulberry32), for the client's jitter: the same seed, the same day. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROMPTS = [
  'a red fox',
  'a grey wolf',
  'a snow hare',
  'an owl at dusk',
  'a lynx in fog',
  'a heron at dawn',
  'a bear by a river',
  'a seal on ice',
];

describe('the reference client through bad days, judged', () => {
  it.each([1, 2, 3, 4, 5, 6])('day %i: no finding', async (day) => {
    await using world = await connectSimulator(sim.url, {
      // Realistic renders (15 to 70 s): a few polls each, each a chance of a bad answer.
      create: { clock: 'virtual', seed: `day-${day}`, latency: 'realistic', failureRate: 0.2 },
    });
    await badDay(world);
    const client = world.client({ sleep: world.clock.sleep, random: seeded(day) });
    const outcomes: string[] = [];
    for (const [i, prompt] of PROMPTS.entries()) {
      try {
        const record = await client.generate({
          prompt,
          aspectRatio: '1:1',
          quality: i % 2 ? 'high' : 'basic',
        });
        outcomes.push(record.status);
      } catch (error) {
        outcomes.push((error as Error).name);
        // Handed back with a Retry-After: the caller waits it out before its next request.
        if (error instanceof RateLimitedError || error instanceof ServerError)
          await world.clock.sleep(error.retryAfterMs ?? 0);
        else if (!(error instanceof TaskFailedError || error instanceof NetworkError)) throw error;
      }
    }
    await world.clock.sleep(60_000);

    const report = await world.assertNoFindings();
    // It was a bad day: failures met and survived.
    const failures = report.coverage.seen.filter((s) => /:(429|500|503)$|:fault:/.test(s.outcome));
    const met = failures.reduce((n, s) => n + s.count, 0);
    expect(met, JSON.stringify(report.coverage.seen)).toBeGreaterThanOrEqual(8);
    expect(outcomes).toHaveLength(PROMPTS.length);
    expect(report.blind_spots.complete).toBe(true);
  });
});
