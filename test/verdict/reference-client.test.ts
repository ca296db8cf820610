/**
 * The careful client is the project's own reference client (contracts/client): driven against a
 * small stand-in for the simulator that answers at random with chaos 500s, 503s and rate-limit 429s
 * with Retry-After, broken connections and failed renders, on the world's virtual clock (its sleep
 * moves the clock), it must never be found at fault. A naive client against the same world is.
 *
 * The 503s with Retry-After held the client to the fix of its defect: it used to retry a 503 after
 * its own backoff without reading the header, which retry-after-ignored reported.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DreamCoreClient, type FetchLike } from '../../contracts/client/dreamcore-client.js';
import { RateLimitedError, ServerError } from '../../contracts/client/errors.js';
import { taskRecord } from '../../contracts/client/fake-fetch.js';
import { fcParams } from '../properties/support.js';
import { DEV_KEY, World } from './support.js';

/** A small seeded generator (mulberry32): the same seed gives the same bad day. */
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

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function failure(status: number, type: string): Response {
  return json(status, { code: status, message: `error ${status}`, data: { type } });
}

/** A 503 that asks to wait `seconds` (a rule's), as the simulator words it. */
function overloaded(seconds: number): Response {
  return json(
    503,
    { code: 503, message: 'overloaded', data: { type: 'service_unavailable', retry_after_seconds: seconds } },
    { 'Retry-After': String(seconds) },
  );
}

/** The simulator's answers, drawn from `random`, each recorded in `w` as the request path would. */
function badDay(w: World, random: () => number): FetchLike {
  const plans = new Map<string, { readyAt: number; outcome: 'success' | 'failed' }>();
  return async (url, init) => {
    const u = new URL(url);
    const draw = random();
    if (u.pathname === '/api/generate') {
      const body = init.body as string;
      if (draw < 0.2) {
        w.generate(body, { status: 500, injected: 'chaos' });
        return failure(500, 'internal_error');
      }
      if (draw < 0.3) {
        const seconds = 1 + Math.floor(random() * 4);
        w.generate(body, { status: 503, retryAfterSeconds: seconds, injected: 'rule_1' });
        return overloaded(seconds);
      }
      if (draw < 0.45) {
        const seconds = 1 + Math.floor(random() * 4);
        w.generate(body, { status: 429, retryAfterSeconds: seconds, injected: 'rate-limit' });
        return json(
          429,
          { code: 429, message: 'slow down', data: { type: 'rate_limited' } },
          { 'Retry-After': String(seconds) },
        );
      }
      const outcome = random() < 0.2 ? 'failed' : 'success';
      const o = w.accepted(body, { durationMs: 2000 + Math.floor(random() * 40_000), outcome });
      plans.set(o.taskId!, { readyAt: o.plan!.readyAt!, outcome });
      return json(200, { code: 200, message: 'success', data: { task_id: o.taskId } });
    }
    const taskId = u.searchParams.get('task_id')!;
    if (draw < 0.1) {
      w.poll(taskId, { fault: 'reset', injected: 'chaos' });
      throw new TypeError('fetch failed');
    }
    if (draw < 0.2) {
      w.poll(taskId, { status: 500, injected: 'chaos' });
      return failure(500, 'internal_error');
    }
    if (draw < 0.25) {
      const seconds = 1 + Math.floor(random() * 4);
      w.poll(taskId, { status: 503, retryAfterSeconds: seconds, injected: 'rule_1' });
      return overloaded(seconds);
    }
    if (draw < 0.35) {
      const seconds = 1 + Math.floor(random() * 8);
      w.poll(taskId, { status: 429, retryAfterSeconds: seconds, injected: 'rate-limit' });
      return json(
        429,
        { code: 429, message: 'slow down', data: { type: 'rate_limited' } },
        { 'Retry-After': String(seconds) },
      );
    }
    const plan = plans.get(taskId)!;
    const status = w.now < plan.readyAt ? 'IN_PROGRESS' : plan.outcome === 'failed' ? 'FAILED' : 'SUCCESS';
    w.poll(taskId, { taskStatus: status });
    return json(200, {
      code: 200,
      message: 'success',
      data: taskRecord({
        task_id: taskId,
        status,
        response: status === 'SUCCESS' ? [`http://sim.test/files/${taskId}/0.jpg`] : [],
        consumed_credits: status === 'FAILED' ? 0 : 12,
        error_message: status === 'FAILED' ? 'InternalServiceError' : null,
      }),
    });
  };
}

const PROMPTS = ['a red fox', 'a grey wolf', 'a snow hare'];

describe('the reference client on a bad day', () => {
  it('is never found at fault, whatever the draws', async () => {
    let retried = 0;
    let unavailable = 0;
    let polledThroughFaults = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const w = new World();
        const random = seeded(seed);
        const client = new DreamCoreClient({
          baseUrl: 'http://sim.test',
          apiKey: DEV_KEY,
          fetch: badDay(w, random),
          sleep: async (ms) => void w.advance(ms),
          now: () => w.now,
          random: seeded(seed ^ 0x5eed),
        });
        for (const prompt of PROMPTS) {
          await client.generate({ prompt, aspectRatio: '1:1', quality: 'basic' }).catch((error: unknown) => {
            // Out of retries on a 429 or a 503, the client hands its Retry-After to the caller to
            // reschedule: a careful caller waits it out (going on at once is what retry-after-ignored
            // catches).
            if (error instanceof RateLimitedError || error instanceof ServerError)
              w.advance(error.retryAfterMs ?? 1000);
          });
        }
        const report = await w.report(w.now + 60_000);
        retried += report.coverage.seen.find((s) => s.outcome === 'generate:500')?.count ?? 0;
        unavailable += report.coverage.seen.find((s) => s.outcome === 'generate:503')?.count ?? 0;
        polledThroughFaults +=
          report.coverage.seen.find((s) => s.outcome === 'status:fault:reset')?.count ?? 0;
        expect(report.findings).toEqual([]);
      }),
      fcParams(150),
    );
    // The draws did give it a bad day to survive.
    expect(retried).toBeGreaterThan(100);
    expect(unavailable).toBeGreaterThan(50);
    expect(polledThroughFaults).toBeGreaterThan(100);
  });
});

describe('a naive client on the same day', () => {
  it('is found at fault: no waiting on 429, immediate retries, polling in a tight loop', async () => {
    const w = new World();
    const fetchFn = badDay(w, seeded(42));
    for (const prompt of PROMPTS) {
      const body = JSON.stringify({ prompt, aspectRatio: '1:1', quality: 'basic' });
      let taskId: string | undefined;
      for (let attempt = 0; attempt < 20 && taskId === undefined; attempt++) {
        const answer = await fetchFn('http://sim.test/api/generate', { method: 'POST', body });
        if (answer.ok) taskId = ((await answer.json()) as { data: { task_id: string } }).data.task_id;
      }
      for (let polls = 0; polls < 500; polls++) {
        w.advance(200);
        const answer = await fetchFn(`http://sim.test/api/status?task_id=${taskId}`, {}).catch(() => null);
        const status = answer?.ok
          ? ((await answer.json()) as { data: { status: string } }).data.status
          : null;
        if (status === 'SUCCESS' || status === 'FAILED') break;
      }
    }
    const rules = (await w.report()).findings.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['retry-after-ignored', 'poll-too-fast']));
  });
});
