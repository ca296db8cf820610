/**
 * What a client of the fleet meets when its Redis misbehaves (docs/guides/fleet-failure-modes.md):
 * Redis paused (SIGSTOP: connected, answering nothing), full (maxmemory with noeviction), flushed
 * (FLUSHALL under running replicas), restarted without persistence. Real redis-server and simulator
 * processes. Real time here bounds a hang (an answer must come within about the command time-out
 * of 2 s; the test's own waits are generous), it never measures speed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../mock-server/src/store/redis/connection.js';
import { StoreUnavailableError } from '../../mock-server/src/store/store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import type { SimulatorProcess } from '../support/spawn-simulator.js';
import {
  BODY,
  KEY,
  PRICE,
  call,
  eventually,
  expectBooksHold,
  json,
  replicas,
  stopStarted,
  track,
  type Answer,
} from './processes.js';

afterEach(stopStarted);

/** The bound on an answer while Redis does not answer: the 2 s command time-out and some slack. */
const HANG_BOUND_MS = 3_000;
/** How long the test waits for an answer at all: far beyond the bound, so a hang shows as a slow 503 or a 0. */
const PATIENCE_MS = 20_000;

async function ownRedis(options?: { appendOnly?: boolean }): Promise<RedisServer> {
  const redis = await startRedis(options);
  track({ stop: () => redis.stop({ cleanup: true }) });
  return redis;
}

function expectRefusedInTime(answer: Answer): void {
  expect({ status: answer.status, retryAfter: answer.retryAfter }).toEqual({ status: 503, retryAfter: '1' });
  expect(answer.elapsedMs).toBeLessThan(HANG_BOUND_MS);
}

async function generateId(url: string, body: object = BODY): Promise<string> {
  const answer = await call(url, 'POST', '/api/generate', body);
  expect(answer.status).toBe(200);
  return (answer.body!.data as { task_id: string }).task_id;
}

const poll = (url: string, id: string) => call(url, 'GET', `/api/status?task_id=${encodeURIComponent(id)}`);

async function healthOf(url: string): Promise<Answer> {
  return call(url, 'GET', '/__mock/health', undefined, PATIENCE_MS);
}

async function balance(url: string): Promise<number> {
  return ((await json(url, `/__mock/accounts/${KEY}`)).data as { balance: number }).balance;
}

/** Log lines (pino JSON) of a replica whose message (`msg`) starts with `message`. */
function logLines(sim: SimulatorProcess, message: string): string[] {
  return sim
    .output()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${message}`));
}

function expectNoStackLogged(sim: SimulatorProcess): void {
  expect(sim.output()).not.toMatch(/"stack"|unhandled error/);
}

describe('Redis paused (answers nothing, connection open)', () => {
  it('the connection: a command times out, later ones are refused unsent, a late reply is its own command’s', async () => {
    const redis = await ownRedis();
    const connection = await RedisConnection.open({ url: redis.url, commandTimeoutMs: 500 });
    try {
      expect(await connection.command(['SET', 'before', '1'])).toBe('OK');
      redis.pause();
      let late: Promise<unknown>;
      try {
        // Written to the socket, unanswered: refused after the time-out, whatever node-redis does.
        late = connection.command(['SET', 'written', '1']);
        const bounded = Promise.race([
          late.then(
            () => 'answered',
            (err: unknown) => err,
          ),
          new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
        ]);
        expect(await bounded).toBeInstanceOf(StoreUnavailableError);
        // Refused at once, never sent: nothing piles up behind a Redis that does not answer.
        await expect(connection.command(['SET', 'never-sent', '1'])).rejects.toBeInstanceOf(
          StoreUnavailableError,
        );
        expect((await connection.ping()).ok).toBe(false);
      } finally {
        redis.resume();
      }
      await eventually(async () => (await connection.ping()).ok, PATIENCE_MS, 'the connection recovers');
      // The late reply went to the command that was written (its caller already had its refusal), and
      // every command since gets its own reply.
      expect(await connection.command(['ECHO', 'mine'])).toBe('mine');
      expect(await connection.command(['GET', 'written'])).toBe('1');
      expect(await connection.command(['EXISTS', 'never-sent'])).toBe(0);
    } finally {
      await connection.close();
    }
  }, 60_000);

  it('a generate and the health check answer 503 with Retry-After within the time-out; service and exact books after', async () => {
    const redis = await ownRedis();
    const [a, b] = (await replicas(redis, 2)) as [SimulatorProcess, SimulatorProcess];
    const before = await generateId(a.url);
    redis.pause();
    try {
      const [generate, health] = await Promise.all([
        call(a.url, 'POST', '/api/generate', BODY, PATIENCE_MS),
        healthOf(b.url),
      ]);
      expectRefusedInTime(generate);
      expectRefusedInTime(health);
      expect((health.body!.data as { status: string }).status).toBe('unavailable');
      // While it stays paused, every request is refused in time, on both replicas, and so is health.
      const more = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(
            i % 2 ? a.url : b.url,
            i % 4 === 3 ? 'GET' : 'POST',
            i % 4 === 3 ? '/__mock/health' : '/api/generate',
            i % 4 === 3 ? undefined : BODY,
            PATIENCE_MS,
          ),
        ),
      );
      for (const answer of more) expectRefusedInTime(answer);
    } finally {
      redis.resume();
    }
    for (const sim of [a, b])
      await eventually(async () => (await healthOf(sim.url)).status === 200, PATIENCE_MS, 'health back');
    const after = await generateId(b.url);
    expect(after).not.toBe(before);
    expect((await poll(a.url, before)).status).toBe(200);
    const report = await expectBooksHold(a.url);
    const tasks = (report.checked as { tasks: number }).tasks;
    expect(await balance(b.url)).toBe(1_000_000 - PRICE * tasks);
    for (const sim of [a, b]) {
      expect(logLines(sim, 'Redis did not answer')).toHaveLength(1);
      expect(logLines(sim, 'Redis answers again')).toHaveLength(1);
      expectNoStackLogged(sim);
    }
  }, 120_000);
});

describe('Redis full (maxmemory, noeviction)', () => {
  it('a generate is refused 503 with Retry-After and charges nothing; health says degraded and why; one log line each way', async () => {
    const redis = await ownRedis();
    const [a] = (await replicas(redis, 1)) as [SimulatorProcess];
    for (let i = 0; i < 3; i++) await generateId(a.url);
    const funded = await balance(a.url);
    await redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await redis.cli('CONFIG', 'SET', 'maxmemory', '1'); // any write now goes over it
    try {
      const refused = await Promise.all(
        Array.from({ length: 30 }, () => call(a.url, 'POST', '/api/generate', BODY, PATIENCE_MS)),
      );
      for (const answer of refused) {
        expectRefusedInTime(answer);
        expect(answer.body).toMatchObject({ code: 503, data: { type: 'service_unavailable' } });
      }
      const health = await healthOf(a.url);
      expect(health.status).toBe(200);
      expect(health.body!.data).toMatchObject({
        status: 'degraded',
        components: { store: { status: 'degraded', error: expect.stringMatching(/full/) } },
      });
      // Reads still work, and nothing was charged.
      expect(await balance(a.url)).toBe(funded);
      expect(((await json(a.url, '/__mock/tasks')).data.tasks as unknown[]).length).toBe(3);
    } finally {
      await redis.cli('CONFIG', 'SET', 'maxmemory', '0');
    }
    await eventually(
      async () => ((await healthOf(a.url)).body?.data as { status?: string } | undefined)?.status === 'ok',
      PATIENCE_MS,
      'health ok again',
    );
    await generateId(a.url);
    const report = await expectBooksHold(a.url);
    expect((report.checked as { tasks: number }).tasks).toBe(4);
    expect(await balance(a.url)).toBe(funded - PRICE);
    expect(logLines(a, 'Redis is full')).toHaveLength(1);
    expect(logLines(a, 'Redis accepts writes again')).toHaveLength(1);
    expectNoStackLogged(a);
  }, 120_000);
});

describe('Redis loses its data under running replicas', () => {
  it('FLUSHALL: the default world comes back with a new id salt; an old id polls 404, never the new task', async () => {
    const redis = await ownRedis();
    const [a, b] = (await replicas(redis, 2)) as [SimulatorProcess, SimulatorProcess];
    const old = await generateId(a.url, { ...BODY, prompt: 'before the flush' });
    await redis.cli('FLUSHALL');
    const fresh = await generateId(a.url, { ...BODY, prompt: 'after the flush' });
    const other = await generateId(b.url, { ...BODY, prompt: 'after the flush' });
    expect(new Set([old, fresh, other]).size).toBe(3);
    expect((await poll(a.url, old)).status).toBe(404);
    expect((await poll(b.url, old)).status).toBe(404);
    const polled = await poll(b.url, fresh);
    expect(polled.status).toBe(200);
    expect(JSON.stringify(polled.body)).not.toContain('before the flush');
    await expectBooksHold(a.url);
  }, 120_000);

  it('restarted without persistence: 503 while down, then service on the default world made again; no id reissued', async () => {
    const redis = await ownRedis();
    // An exact replay asks for ids that follow from the seed alone: still, never one issued before.
    const [a, b] = (await replicas(redis, 2, ['--exact-replay=on'])) as [SimulatorProcess, SimulatorProcess];
    const old = await generateId(a.url);
    await redis.stop();
    const [generate, health] = await Promise.all([
      call(a.url, 'POST', '/api/generate', BODY, PATIENCE_MS),
      healthOf(b.url),
    ]);
    expectRefusedInTime(generate);
    expectRefusedInTime(health);
    const again = await redis.restart();
    track({ stop: () => again.stop({ cleanup: true }) });
    for (const sim of [a, b])
      await eventually(async () => (await healthOf(sim.url)).status === 200, PATIENCE_MS, 'health back');
    const fresh = await generateId(b.url);
    expect(fresh).not.toBe(old);
    expect(await generateId(a.url)).not.toBe(old);
    expect((await poll(a.url, old)).status).toBe(404);
    expect(await balance(a.url)).toBe(1_000_000 - 2 * PRICE);
    await expectBooksHold(b.url);
  }, 120_000);
});
