/** `waitForTask`: cadence, backoff, Retry-After, deadline and abort, in virtual time. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING_POLICY, DreamCoreClient, type PollEvent } from './dreamcore-client.js';
import {
  AbortedError,
  NotFoundError,
  ServerError,
  TaskFailedError,
  TimeoutError,
  UnauthorizedError,
  UnexpectedResponseError,
} from './errors.js';
import {
  errorResponse,
  neverAnswers,
  scriptedFetch,
  status,
  textResponse,
  VirtualTime,
  type Responder,
} from './fake-fetch.js';

const TASK_ID = 'sd45_b83bf7c0c51a4c71';
const IMAGE = 'https://img.test/sd45_b83bf7c0c51a4c71/0.jpg';

const inProgress = (): Responder => status({ status: 'IN_PROGRESS' });
const success = (): Responder => status({ status: 'SUCCESS', response: [IMAGE], consumed_credits: 18 });
const serverError = (): Responder => errorResponse(500, { type: 'internal_error' });
const rateLimited = (seconds: number): Responder =>
  errorResponse(
    429,
    { type: 'rate_limited', retry_after_seconds: seconds },
    { 'Retry-After': String(seconds) },
  );

function setup(responders: Responder[], random = 0.5) {
  const fetch = scriptedFetch(...responders);
  const time = new VirtualTime();
  const client = new DreamCoreClient({
    baseUrl: 'http://dreamcore.test',
    apiKey: 'sk-dreamcore-dev',
    fetch,
    sleep: time.sleep,
    now: time.now,
    random: () => random,
  });
  return { client, fetch, time };
}

describe('waitForTask cadence', () => {
  it('waits the initial delay, then polls at a growing interval until SUCCESS', async () => {
    const events: PollEvent[] = [];
    const { client, fetch, time } = setup([
      inProgress(),
      inProgress(),
      inProgress(),
      inProgress(),
      success(),
    ]);
    const record = await client.waitForTask(TASK_ID, { onPoll: (e) => events.push(e) });
    expect(record).toMatchObject({ status: 'SUCCESS', response: [IMAGE] });
    // 15 s, then 3 s stretched x1.5 per poll up to 6 s (the documented defaults).
    expect(time.sleeps).toEqual([15_000, 3_000, 4_500, 6_000, 6_000]);
    expect(fetch.calls).toHaveLength(5);
    expect(
      fetch.calls.every((c) => c.method === 'GET' && c.url.searchParams.get('task_id') === TASK_ID),
    ).toBe(true);
    expect(events.map((e) => [e.attempt, e.elapsedMs, e.record?.status, e.nextDelayMs])).toEqual([
      [1, 15_000, 'IN_PROGRESS', 3_000],
      [2, 18_000, 'IN_PROGRESS', 4_500],
      [3, 22_500, 'IN_PROGRESS', 6_000],
      [4, 28_500, 'IN_PROGRESS', 6_000],
      [5, 34_500, 'SUCCESS', undefined],
    ]);
  });

  it('documents its defaults as the reseller-informed cadence', () => {
    expect(DEFAULT_POLLING_POLICY).toEqual({
      timeoutMs: 600_000,
      initialDelayMs: 15_000,
      pollIntervalMs: 3_000,
      maxPollIntervalMs: 6_000,
      pollBackoffFactor: 1.5,
    });
  });

  it('takes per-call and per-client cadence options', async () => {
    const fetch = scriptedFetch(inProgress(), inProgress(), success());
    const time = new VirtualTime();
    const client = new DreamCoreClient({
      baseUrl: 'http://dreamcore.test',
      apiKey: 'k',
      fetch,
      sleep: time.sleep,
      now: time.now,
      polling: { initialDelayMs: 1_000, pollBackoffFactor: 2 },
    });
    await client.waitForTask(TASK_ID, { pollIntervalMs: 500, maxPollIntervalMs: 800, timeoutMs: undefined });
    expect(time.sleeps).toEqual([1_000, 500, 800]);
  });

  it('polls with POST when asked', async () => {
    const { client, fetch } = setup([success()]);
    await client.waitForTask(TASK_ID, { method: 'POST' });
    expect(fetch.calls[0]).toMatchObject({ method: 'POST', body: { task_id: TASK_ID } });
  });

  it('FAILED throws TaskFailedError carrying the refunded record', async () => {
    const message = 'The request failed because the output image may contain sensitive information.';
    const { client } = setup([
      inProgress(),
      status({ status: 'FAILED', consumed_credits: 0, error_message: message }),
    ]);
    const error = await client.waitForTask(TASK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    const failed = error as TaskFailedError;
    expect(failed.record).toMatchObject({ status: 'FAILED', consumed_credits: 0, error_message: message });
    expect(failed).toMatchObject({ type: 'task_failed', status: 200 });
    expect(failed.message).toContain(message);
  });
});

describe('waitForTask under errors', () => {
  it('on 429 waits Retry-After when it is longer than the interval, and slows the cadence', async () => {
    const { client, time } = setup([inProgress(), rateLimited(10), inProgress(), success()]);
    await client.waitForTask(TASK_ID);
    expect(time.sleeps).toEqual([15_000, 3_000, 10_000, 6_000]);
  });

  it('on 429 with a short Retry-After still waits at least the interval', async () => {
    const { client, time } = setup([rateLimited(1), success()]);
    await client.waitForTask(TASK_ID);
    expect(time.sleeps).toEqual([15_000, 3_000]);
  });

  it('retries 5xx and network failures with full-jitter backoff, reset by a good poll', async () => {
    const events: PollEvent[] = [];
    const { client, time } = setup([
      serverError(),
      textResponse(503, 'Service Unavailable', 'text/plain'),
      () => Promise.reject(new TypeError('fetch failed')),
      inProgress(),
      serverError(),
      success(),
    ]);
    await client.waitForTask(TASK_ID, { onPoll: (e) => events.push(e) });
    // random() = 0.5 of 1 s, 2 s, 4 s; then an IN_PROGRESS poll (3 s), then the first ceiling again.
    expect(time.sleeps).toEqual([15_000, 500, 1_000, 2_000, 3_000, 500]);
    expect(events.map((e) => e.error?.name ?? e.record?.status)).toEqual([
      'ServerError',
      'ServerError',
      'NetworkError',
      'IN_PROGRESS',
      'ServerError',
      'SUCCESS',
    ]);
  });

  it('on 503 waits its Retry-After when it is longer than the backoff', async () => {
    const { client, time } = setup([
      errorResponse(503, { type: 'service_unavailable' }, { 'Retry-After': '5' }),
      errorResponse(503, { type: 'service_unavailable' }, { 'Retry-After': '1' }),
      success(),
    ]);
    await client.waitForTask(TASK_ID);
    // 5 s asked > 0.5 s of jitter; then 1 s asked = the jitter's 0.5 of 2 s.
    expect(time.sleeps).toEqual([15_000, 5_000, 1_000]);
  });

  it.each([
    { what: '404', responder: errorResponse(404, { type: 'not_found' }), error: NotFoundError },
    { what: '401', responder: errorResponse(401, { type: 'unauthorized' }), error: UnauthorizedError },
    {
      what: 'an off-spec record',
      responder: status({ status: 'DONE' as never }),
      error: UnexpectedResponseError,
    },
  ])('stops at once on $what', async ({ responder, error }) => {
    const { client, fetch } = setup([inProgress(), responder, success()]);
    await expect(client.waitForTask(TASK_ID)).rejects.toBeInstanceOf(error);
    expect(fetch.calls).toHaveLength(2);
  });
});

describe('waitForTask deadline and abort', () => {
  it('cuts the last wait at the deadline, polls once more, then throws TimeoutError', async () => {
    const { client, fetch, time } = setup([inProgress(), inProgress(), inProgress(), success()]);
    const error = await client.waitForTask(TASK_ID, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ type: 'timeout', status: null, elapsedMs: 20_000 });
    expect((error as TimeoutError).lastRecord?.status).toBe('IN_PROGRESS');
    expect((error as TimeoutError).message).toMatch(/still IN_PROGRESS after 20000 ms/);
    expect(time.sleeps).toEqual([15_000, 3_000, 2_000]);
    expect(fetch.calls).toHaveLength(3);
  });

  it('a timeout shorter than the initial delay still makes one poll, at the deadline', async () => {
    const { client, time } = setup([success()]);
    await expect(client.waitForTask(TASK_ID, { timeoutMs: 5_000 })).resolves.toMatchObject({
      status: 'SUCCESS',
    });
    expect(time.sleeps).toEqual([5_000]);
  });

  it('when every poll failed, the TimeoutError has no record and keeps the last error as cause', async () => {
    const { client } = setup(Array.from({ length: 10 }, serverError), 1);
    const error = await client.waitForTask(TASK_ID, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).lastRecord).toBeUndefined();
    expect((error as TimeoutError).cause).toBeInstanceOf(ServerError);
  });

  it('a Retry-After beyond the deadline is cut at the deadline', async () => {
    const { client, time } = setup([rateLimited(120), inProgress()]);
    await expect(client.waitForTask(TASK_ID, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(TimeoutError);
    expect(time.sleeps).toEqual([15_000, 45_000]);
  });

  it('aborting during a wait throws AbortedError and polls no more', async () => {
    const controller = new AbortController();
    const { client, fetch, time } = setup([inProgress(), inProgress(), success()]);
    time.onSleep = () => {
      if (time.sleeps.length === 1) controller.abort(new Error('cancelled by user'));
    };
    const error = await client.waitForTask(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).cause).toEqual(new Error('cancelled by user'));
    expect(fetch.calls).toHaveLength(1);
  });

  it('aborting during a poll in flight throws AbortedError', async () => {
    const controller = new AbortController();
    const { client } = setup([neverAnswers()]);
    const pending = client.waitForTask(TASK_ID, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it('with the real sleep, an abort ends a long wait promptly', async () => {
    const controller = new AbortController();
    const client = new DreamCoreClient({
      baseUrl: 'http://dreamcore.test',
      apiKey: 'k',
      fetch: scriptedFetch(success()),
    });
    const started = performance.now();
    const pending = client.waitForTask(TASK_ID, { signal: controller.signal, initialDelayMs: 60_000 });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
