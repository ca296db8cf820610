/**
 * The reference client against the real simulator (not a scripted fetch): the simulator runs in this
 * process on a free loopback port, and the client talks to it over HTTP like any application would.
 *
 * Nothing sleeps for real. The simulator's clock is virtual, and the client's injected `sleep` moves it
 * through the control API (`POST /__mock/clock/advance`), so a 45 s render, a 15 s initial delay or a
 * Retry-After cost a round trip each. Latencies are `realistic` (the upstream's figures) precisely to
 * show that: each lifecycle spans tens of virtual seconds in a few real milliseconds.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ControlApi } from '../provider/control-api.js';
import { startSimulator, type InProcessSimulator } from '../provider/in-process-simulator.js';
import { DEV_API_KEY, UNKNOWN_API_KEY, UNKNOWN_TASK_ID } from '../provider-states.js';
import {
  DreamCoreClient,
  type DreamCoreClientOptions,
  type PollEvent,
  type RetryEvent,
} from './dreamcore-client.js';
import {
  InsufficientCreditsError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TaskFailedError,
  UnauthorizedError,
} from './errors.js';
import type { GenerateRequest } from './types.js';

const SIMULATOR_ARGS = [
  '--clock=virtual',
  '--latency=realistic',
  '--failure-rate=0',
  '--rate-limit=off',
  '--seed=client-against-simulator',
  '--log-level=silent',
  '--request-log=off',
  '--validate-responses=on',
];

const BASIC: GenerateRequest = {
  prompt: 'A lighthouse in a storm, oil painting',
  aspectRatio: '9:16',
  quality: 'basic',
};
const HIGH: GenerateRequest = {
  prompt: 'Cinematic photo of an obsidian smartwatch on a marble plinth, volumetric lighting',
  aspectRatio: '4:3',
  quality: 'high',
  imageUrls: [],
};
const BURST: GenerateRequest = {
  prompt: 'Four variations of a paper-cut fox in a snowy forest',
  aspectRatio: '16:9',
  quality: 'basic',
  numImages: 4,
};

/** The simulator's virtual clock as the client's `now` and `sleep`: a sleep is a clock advance. */
class SimulatorTime {
  private current = 0;
  readonly sleeps: number[] = [];

  constructor(private readonly control: ControlApi) {}

  async sync(): Promise<void> {
    this.current = (await this.control.clock()).now;
  }

  readonly now = (): number => this.current;

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.current = (await this.control.advanceClock(ms)).now;
  };

  get slept(): number {
    return this.sleeps.reduce((a, b) => a + b, 0);
  }
}

interface Harness {
  sim: InProcessSimulator;
  time: SimulatorTime;
  client(options?: Partial<DreamCoreClientOptions>): DreamCoreClient;
}

async function harness(args: string[]): Promise<Harness> {
  const sim = await startSimulator(args);
  const time = new SimulatorTime(sim.control);
  return {
    sim,
    time,
    client: (options = {}) =>
      new DreamCoreClient({
        baseUrl: sim.url,
        apiKey: DEV_API_KEY,
        sleep: time.sleep,
        now: time.now,
        random: () => 0.5,
        ...options,
      }),
  };
}

/** Statuses of the journal's entries for a route, oldest first. */
async function statusesOf(control: ControlApi, method: string, path: string): Promise<number[]> {
  const entries = await control.journal({ method, path });
  return entries.map((e) => e.status).reverse();
}

let h: Harness;

beforeAll(async () => {
  h = await harness(SIMULATOR_ARGS);
});

afterAll(async () => {
  await h?.sim.close();
});

beforeEach(async () => {
  await h.sim.control.reset();
  await h.time.sync();
  h.time.sleeps.length = 0;
});

describe('the whole lifecycle', () => {
  it('generates, polls on the virtual clock and gets the images; the ledger shows one debit', async () => {
    const started = performance.now();
    const polls: PollEvent[] = [];
    const record = await h.client().generate(HIGH, { onPoll: (e) => polls.push(e) });

    expect(record).toMatchObject({ status: 'SUCCESS', consumed_credits: 18, error_message: null });
    expect(record.request).toEqual({ prompt: HIGH.prompt, aspectRatio: '4:3', quality: 'high' });
    expect(record.response).toHaveLength(1);
    // A high render takes 30 s or more upstream: that much virtual time passed, in no real time.
    expect(h.time.sleeps[0]).toBe(15_000);
    expect(h.time.slept).toBeGreaterThanOrEqual(30_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(polls.at(-1)).toMatchObject({ record: { status: 'SUCCESS' } });
    expect(polls.slice(0, -1).every((p) => p.record?.status === 'IN_PROGRESS')).toBe(true);

    const image = await fetch(record.response[0]!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');

    const account = await h.sim.control.account(DEV_API_KEY);
    expect(account?.balance).toBe(1000 - 18);
    expect(account?.ledger.map((e) => [e.kind, e.amount])).toEqual([
      ['set', 1000],
      ['debit', -18],
    ]);
  });

  it('a burst returns four images for 48 credits; POST status with the id in the body works too', async () => {
    const client = h.client();
    const { taskId } = await client.createTask(BURST);
    const record = await client.waitForTask(taskId, { method: 'POST' });
    expect(record).toMatchObject({ status: 'SUCCESS', consumed_credits: 48, request: { numImages: 4 } });
    expect(record.response).toHaveLength(4);
    const byBody = await client.getTask(taskId, { method: 'POST', taskIdIn: 'body' });
    expect(byBody).toEqual(record);
    expect((await h.sim.control.account(DEV_API_KEY))?.balance).toBe(1000 - 48);
  });

  it('X-Mock-Polls: a task told to end on its third poll ends on the third poll', async () => {
    // The client sends no QA header itself; a wrapped fetch adds one to generate, as a QA harness would.
    const client = h.client({
      fetch: (url, init) =>
        globalThis.fetch(url, {
          ...init,
          headers: url.includes('/api/generate') ? { ...init.headers, 'X-Mock-Polls': '3' } : init.headers,
        }),
    });
    const polls: PollEvent[] = [];
    const record = await client.generate(BASIC, { onPoll: (e) => polls.push(e) });
    expect(record.status).toBe('SUCCESS');
    expect(polls.map((p) => p.record?.status)).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'SUCCESS']);
    expect((await h.sim.control.task(record.task_id))?.polls).toBe(3);
  });
});

describe('failures the client must handle', () => {
  it('a failed task throws TaskFailedError, and the credits come back', async () => {
    const errorMessage = 'The request failed because the output image may contain sensitive information.';
    await h.sim.control.addFault({
      match: { method: 'POST', path: '/api/generate' },
      action: { task: { outcome: 'failed', errorMessage, durationMs: 20_000 } },
      times: 1,
    });
    const error = await h
      .client()
      .generate(HIGH)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskFailedError);
    const { record } = error as TaskFailedError;
    expect(record).toMatchObject({
      status: 'FAILED',
      consumed_credits: 0,
      response: [],
      error_message: errorMessage,
    });
    const account = await h.sim.control.account(DEV_API_KEY);
    expect(account?.balance).toBe(1000);
    expect(account?.ledger.map((e) => [e.kind, e.amount, e.task_id])).toEqual([
      ['set', 1000, null],
      ['debit', -18, record.task_id],
      ['refund', 18, record.task_id],
    ]);
  });

  it('402: a balance below the price throws InsufficientCreditsError with both numbers, nothing charged', async () => {
    await h.sim.control.setBalance(DEV_API_KEY, 6);
    const error = await h
      .client()
      .createTask(HIGH)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ status: 402, requiredCredits: 18, balance: 6 });
    expect((await h.sim.control.account(DEV_API_KEY))?.balance).toBe(6);
    expect(await h.sim.control.tasks()).toEqual([]);
    // Not retried: one request.
    expect(await statusesOf(h.sim.control, 'POST', '/api/generate')).toEqual([402]);
  });

  it('401: an unknown key and a missing key throw UnauthorizedError, without retrying', async () => {
    for (const apiKey of [UNKNOWN_API_KEY, '']) {
      const client = h.client({ apiKey });
      await expect(client.createTask(BASIC)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(client.getTask(UNKNOWN_TASK_ID)).rejects.toBeInstanceOf(UnauthorizedError);
    }
    expect(await statusesOf(h.sim.control, 'POST', '/api/generate')).toEqual([401, 401]);
    expect(await h.sim.control.tasks()).toEqual([]);
  });

  it("404: an unknown id and another key's task are not found alike; waitForTask gives up at once", async () => {
    const client = h.client();
    await expect(client.getTask(UNKNOWN_TASK_ID)).rejects.toBeInstanceOf(NotFoundError);

    await h.sim.control.setBalance('sk-someone-else', 100);
    const { taskId } = await h.client({ apiKey: 'sk-someone-else' }).createTask(BASIC);
    await expect(client.getTask(taskId)).rejects.toBeInstanceOf(NotFoundError);

    h.time.sleeps.length = 0;
    await expect(client.waitForTask(UNKNOWN_TASK_ID)).rejects.toBeInstanceOf(NotFoundError);
    expect(h.time.sleeps).toEqual([15_000]); // the initial delay, then one poll and no more
  });

  it('500: createTask retries with backoff and succeeds on the third attempt, charging once', async () => {
    await h.sim.control.addFault({
      match: { method: 'POST', path: '/api/generate' },
      action: { status: 500 },
      times: 2,
    });
    const retries: RetryEvent[] = [];
    const { taskId } = await h.client().createTask(BASIC, { onRetry: (e) => retries.push(e) });

    expect(retries.map((r) => [r.retry, r.error.constructor])).toEqual([
      [1, ServerError],
      [2, ServerError],
    ]);
    // Full jitter with random() = 0.5: half of 1 s, then half of 2 s, on the virtual clock.
    expect(retries.map((r) => r.delayMs)).toEqual([500, 1_000]);
    expect(h.time.sleeps).toEqual([500, 1_000]);
    expect(await statusesOf(h.sim.control, 'POST', '/api/generate')).toEqual([500, 500, 200]);
    expect((await h.sim.control.tasks()).map((t) => t.record.task_id)).toEqual([taskId]);
    expect((await h.sim.control.account(DEV_API_KEY))?.balance).toBe(1000 - 12);
  });

  it('500 and a reset connection while polling are retried until the task is done', async () => {
    const client = h.client();
    const { taskId } = await client.createTask(BASIC);
    await h.sim.control.addFault({
      match: { method: 'GET', path: '/api/status' },
      action: { status: 500 },
      times: 1,
    });
    await h.sim.control.addFault({
      match: { method: 'GET', path: '/api/status' },
      action: { fault: 'reset' },
      times: 1,
    });

    const polls: PollEvent[] = [];
    const record = await client.waitForTask(taskId, { onPoll: (e) => polls.push(e) });
    expect(record.status).toBe('SUCCESS');
    expect(polls[0]?.error).toBeInstanceOf(ServerError);
    expect(polls[1]?.error).toBeInstanceOf(NetworkError);
  });
});

describe('429 with the rate limit on', () => {
  let limited: Harness;

  beforeAll(async () => {
    // One generate and one status request per 10 s per key: the client must wait between them.
    limited = await harness([...SIMULATOR_ARGS, '--rate-limit=generate=1/10s,status=1/10s']);
  });

  afterAll(async () => {
    await limited?.sim.close();
  });

  beforeEach(async () => {
    await limited.sim.control.reset();
    await limited.time.sync();
  });

  it('createTask waits Retry-After on the virtual clock, then succeeds', async () => {
    const client = limited.client();
    await client.createTask(BASIC);
    const retries: RetryEvent[] = [];
    await client.createTask(BASIC, { onRetry: (e) => retries.push(e) });

    expect(retries).toHaveLength(1);
    const error = retries[0]!.error as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(retries[0]!.delayMs).toBe(error.retryAfterMs);
    expect(limited.time.sleeps).toEqual([error.retryAfterMs]);
    expect(await statusesOf(limited.sim.control, 'POST', '/api/generate')).toEqual([200, 429, 200]);
    // A refused request charges nothing: two tasks, two debits.
    expect((await limited.sim.control.account(DEV_API_KEY))?.balance).toBe(1000 - 24);
  });

  it('waitForTask slows down to Retry-After when polls are refused, and still gets the result', async () => {
    const client = limited.client();
    const { taskId } = await client.createTask(HIGH);
    const polls: PollEvent[] = [];
    const record = await client.waitForTask(taskId, { onPoll: (e) => polls.push(e) });

    expect(record.status).toBe('SUCCESS');
    const refused = polls.filter((p) => p.error instanceof RateLimitedError);
    expect(refused.length).toBeGreaterThan(0);
    for (const poll of refused) {
      expect(poll.nextDelayMs).toBeGreaterThanOrEqual((poll.error as RateLimitedError).retryAfterMs!);
    }
    const statuses = await statusesOf(limited.sim.control, 'GET', '/api/status');
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(200);
  });
});
