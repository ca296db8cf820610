/**
 * Per-key token buckets on the simulator's clock (generate and status apart), and seeded chaos.
 * A 429 carries Retry-After and X-RateLimit-*, deducts nothing and counts no poll; the virtual clock
 * refills the bucket; another key is unaffected. Chaos fails the same requests for the same seed and
 * never moves a balance.
 */
import { describe, expect, it } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  OTHER_KEY,
  PRICE,
  START_BALANCE,
  controlConforms,
  generate,
  journal,
  newTask,
  status,
  taskView,
} from './qa-support.js';

const LIMITS = '--rate-limit=generate=3/10s,status=5/10s';

function rateHeaders(res: { headers: Record<string, string> }) {
  return {
    limit: res.headers['x-ratelimit-limit'],
    remaining: res.headers['x-ratelimit-remaining'],
    reset: res.headers['x-ratelimit-reset'],
  };
}

describe('rate limiting on generate (3 per 10 s)', () => {
  it('the 4th generate within the window is a 429 with Retry-After and X-RateLimit-*, nothing deducted', async () => {
    const sim = await testSimulator([LIMITS, `--key=${OTHER_KEY}=100`]);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await generate(sim);
      expect(res.status).toBe(200);
      expect(rateHeaders(res)).toMatchObject({ limit: '3' });
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await generate(sim);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      code: 429,
      message: 'Too many requests: retry after 4 s',
      data: { type: 'rate_limited', retry_after_seconds: 4 },
    });
    // 3 per 10 s refills one token every 3.33 s.
    expect(refused.headers['retry-after']).toBe('4');
    expect(rateHeaders(refused)).toEqual({ limit: '3', remaining: '0', reset: '10' });
    expect(await sim.balance()).toBe(START_BALANCE - 3 * PRICE);
    expect(await sim.taskCount()).toBe(3);
  });

  it('is per key: another key still has its own bucket', async () => {
    const sim = await testSimulator([LIMITS, `--key=${OTHER_KEY}=100`]);
    for (let i = 0; i < 3; i++) await generate(sim);
    expect((await generate(sim)).status).toBe(429);
    const other = await generate(sim, {}, BODY, OTHER_KEY);
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('advancing the virtual clock refills the bucket: Retry-After is enough', async () => {
    const sim = await testSimulator([LIMITS]);
    for (let i = 0; i < 3; i++) await generate(sim);
    const refused = await generate(sim);
    const retryAfter = Number(refused.headers['retry-after']);
    sim.advance(retryAfter * 1000 - 1000);
    expect((await generate(sim)).status).toBe(429);
    sim.advance(1000);
    expect((await generate(sim)).status).toBe(200);
    // A full window later the whole burst is back.
    await controlConforms(await sim.http.post('/__mock/clock/advance').send({ ms: 10_000 }));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await generate(sim)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('generate and status have separate buckets', async () => {
    const sim = await testSimulator([LIMITS]);
    const taskId = await newTask(sim);
    for (let i = 0; i < 2; i++) await generate(sim);
    expect((await generate(sim)).status).toBe(429);
    expect((await status(sim, taskId)).status).toBe(200);
  });

  it('a bad key is refused 401 before the limiter, and takes no token', async () => {
    const sim = await testSimulator([LIMITS]);
    for (let i = 0; i < 5; i++) {
      expect(
        sim.conforms(await sim.http.post('/api/generate').set(sim.auth('sk-unknown-key-x')).send(BODY))
          .status,
      ).toBe(401);
    }
    expect((await generate(sim)).headers['x-ratelimit-remaining']).toBe('2');
  });

  it('the 429 is journaled as injected by the rate limit', async () => {
    const sim = await testSimulator([LIMITS]);
    for (let i = 0; i < 4; i++) await generate(sim);
    const [entry] = (await journal(sim, { status: '429' })).entries;
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/api/generate',
      injected: 'rate-limit',
      api_key: 'sk-d…-dev#d88b21',
    });
  });

  // BUG: README: "Injected responses carry X-Mock-Injected: header (or the rule id, chaos, rate-limit)";
  // rate-limit.ts sets res.locals.injected = 'rate-limit' (journal) but never the X-Mock-Injected header.
  it('the 429 carries X-Mock-Injected: rate-limit', async () => {
    const sim = await testSimulator([LIMITS]);
    for (let i = 0; i < 3; i++) await generate(sim);
    const refused = await generate(sim);
    expect(refused.status).toBe(429);
    expect(refused.headers['x-mock-injected']).toBe('rate-limit');
  });
});

describe('rate limiting on status (5 per 10 s)', () => {
  it('polling faster than the limit is a 429 that counts no poll', async () => {
    const sim = await testSimulator([LIMITS]);
    const taskId = await newTask(sim, { 'X-Mock-Polls': '6' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await status(sim, taskId);
      statuses.push(res.status);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      if (res.status === 429) {
        expect(res.headers['retry-after']).toBe('2');
        expect(res.body.data).toEqual({ type: 'rate_limited', retry_after_seconds: 2 });
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect((await taskView(sim, taskId)).polls).toBe(5); // the refused polls were not counted
    sim.advance(2000);
    expect((await status(sim, taskId)).body.data.status).toBe('SUCCESS'); // the 6th counted poll
  });

  it('POST /api/status shares the same bucket', async () => {
    const sim = await testSimulator([LIMITS]);
    const taskId = await newTask(sim);
    for (let i = 0; i < 5; i++) await status(sim, taskId);
    const res = sim.conforms(await sim.http.post('/api/status').set(sim.auth()).send({ task_id: taskId }));
    expect(res.status).toBe(429);
  });

  it('200 answers carry X-RateLimit-Limit, -Remaining and -Reset', async () => {
    const sim = await testSimulator([LIMITS]);
    const taskId = await newTask(sim);
    const res = await status(sim, taskId);
    expect(res.status).toBe(200);
    expect(rateHeaders(res)).toEqual({ limit: '5', remaining: '4', reset: '2' });
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('--rate-limit=off sends no X-RateLimit-* and never answers 429', async () => {
    const sim = await testSimulator(['--rate-limit=off']);
    const taskId = await newTask(sim);
    for (let i = 0; i < 100; i++) {
      const res = await sim.http.get('/api/status').query({ task_id: taskId }).set(sim.auth());
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('every 429 carries Retry-After and X-RateLimit-* while rate limiting is on (README gap 8)', () => {
  // BUG: README gap 8: "429 always carries Retry-After (seconds) and X-RateLimit-Limit/Remaining/Reset".
  // A 429 forced by a header, a rule or chaos is answered by fault-injection.ts before the limiter
  // runs, with Retry-After only.
  async function expect429WithLimits(sim: TestSimulator, headers: Record<string, string> = {}) {
    const res = await generate(sim, headers);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(rateHeaders(res)).toEqual({
      limit: expect.stringMatching(/^\d+$/),
      remaining: expect.stringMatching(/^\d+$/),
      reset: expect.stringMatching(/^\d+$/),
    });
  }

  it('a 429 forced by X-Mock-Status', async () => {
    await expect429WithLimits(await testSimulator([LIMITS]), { 'X-Mock-Status': '429' });
  });

  it('a 429 forced by a fault rule', async () => {
    const sim = await testSimulator([LIMITS]);
    await controlConforms(await sim.http.post('/__mock/faults').send({ action: { status: 429 } }));
    await expect429WithLimits(sim);
  });

  it('a 429 drawn by chaos', async () => {
    await expect429WithLimits(await testSimulator([LIMITS, '--chaos=429=1']));
  });
});

describe('chaos (--chaos=500=0.3,429=0.1)', () => {
  async function run(seed = 'test-seed', n = 50) {
    const sim = await testSimulator(['--chaos=500=0.3,429=0.1', `--seed=${seed}`]);
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await generate(sim);
      statuses.push(res.status);
      if (res.status !== 200) expect(res.headers['x-mock-injected']).toBe('chaos');
      if (res.status === 429) expect(res.headers['retry-after']).toBe('1');
    }
    return { sim, statuses };
  }

  it('the same seed fails the same requests in two fresh simulators', async () => {
    const first = await run();
    const second = await run();
    expect(second.statuses).toEqual(first.statuses);
    expect(first.statuses).toContain(500);
    expect(first.statuses).toContain(429);
    expect(first.statuses).toContain(200);
    expect(first.statuses.every((s) => [200, 429, 500].includes(s))).toBe(true);
  });

  it('another seed fails other requests', async () => {
    expect((await run('test-seed')).statuses).not.toEqual((await run('other-seed')).statuses);
  });

  it('never changes a balance nor creates a task when it fails a request', async () => {
    const { sim, statuses } = await run();
    const accepted = statuses.filter((s) => s === 200).length;
    expect(await sim.balance()).toBe(START_BALANCE - accepted * PRICE);
    expect(await sim.taskCount()).toBe(accepted);
    const failures = (await journal(sim, { status: '5xx' })).entries;
    expect(failures.every((e) => e.injected === 'chaos' && e.task_id === null)).toBe(true);
  });

  it('acts on status polls too, and reset replays the same draws', async () => {
    const sim = await testSimulator(['--chaos=500=0.3,429=0.1']);
    const poll = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push(
          (await sim.http.get('/api/status').query({ task_id: 'sd45_0123456789abcdef' }).set(sim.auth()))
            .status,
        );
      }
      return statuses;
    };
    const first = await poll();
    expect(first).toContain(500);
    expect(first).toContain(404);
    await controlConforms(await sim.http.post('/__mock/reset'));
    expect(await poll()).toEqual(first);
  });

  it('leaves the control API alone', async () => {
    const sim = await testSimulator(['--chaos=500=1']);
    for (let i = 0; i < 5; i++) expect((await sim.http.get('/__mock/clock')).status).toBe(200);
    expect((await generate(sim)).status).toBe(500);
  });
});
