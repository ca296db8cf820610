/** Requests, error mapping and `createTask` retries, against a scripted fetch and virtual time. */
import { describe, expect, it } from 'vitest';
import { DreamCoreClient, type DreamCoreClientOptions } from './dreamcore-client.js';
import {
  AbortedError,
  BadRequestError,
  DreamCoreError,
  InsufficientCreditsError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  UnexpectedResponseError,
} from './errors.js';
import {
  errorResponse,
  generated,
  jsonResponse,
  neverAnswers,
  scriptedFetch,
  status,
  textResponse,
  VirtualTime,
  type Responder,
  type ScriptedFetch,
} from './fake-fetch.js';
import type { GenerateRequest } from './types.js';

const TASK_ID = 'sd45_b83bf7c0c51a4c71';
const REQUEST: GenerateRequest = {
  prompt: 'Cinematic photo of an obsidian smartwatch on a marble plinth, volumetric lighting',
  aspectRatio: '4:3',
  quality: 'high',
  imageUrls: [],
};

function setup(responders: Responder[], options: Partial<DreamCoreClientOptions> = {}) {
  const fetch = scriptedFetch(...responders);
  const time = new VirtualTime();
  const client = new DreamCoreClient({
    baseUrl: 'http://dreamcore.test',
    apiKey: 'sk-dreamcore-dev',
    fetch,
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...options,
  });
  return { client, fetch, time };
}

function onlyCall(fetch: ScriptedFetch) {
  expect(fetch.calls).toHaveLength(1);
  return fetch.calls[0]!;
}

describe('requests', () => {
  it('createTask posts the request as JSON with the bearer key and returns the task id', async () => {
    const { client, fetch } = setup([generated(TASK_ID)]);
    await expect(client.createTask(REQUEST)).resolves.toEqual({ taskId: TASK_ID });
    const call = onlyCall(fetch);
    expect(call.method).toBe('POST');
    expect(call.url.href).toBe('http://dreamcore.test/api/generate');
    expect(call.headers.get('authorization')).toBe('Bearer sk-dreamcore-dev');
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.headers.get('accept')).toBe('application/json');
    expect(call.headers.get('user-agent')).toMatch(/^dreamcore-reference-client\//);
    expect(call.body).toEqual(REQUEST);
  });

  it('keeps a base URL path prefix and drops its trailing slashes', async () => {
    const { client, fetch } = setup([generated(TASK_ID)], { baseUrl: 'https://gw.test/dreamcore//' });
    await client.createTask(REQUEST);
    expect(onlyCall(fetch).url.href).toBe('https://gw.test/dreamcore/api/generate');
  });

  it('sends no Authorization header for an empty key and a custom User-Agent when given', async () => {
    const { client, fetch } = setup([generated(TASK_ID)], { apiKey: '', userAgent: 'qa-bot/1' });
    await client.createTask(REQUEST);
    const call = onlyCall(fetch);
    expect(call.headers.has('authorization')).toBe(false);
    expect(call.headers.get('user-agent')).toBe('qa-bot/1');
  });

  it('getTask GETs /api/status with task_id in the query and no body', async () => {
    const { client, fetch } = setup([status({ status: 'SUCCESS', response: ['https://img.test/1.jpg'] })]);
    const record = await client.getTask(TASK_ID);
    expect(record.status).toBe('SUCCESS');
    expect(record.response).toEqual(['https://img.test/1.jpg']);
    const call = onlyCall(fetch);
    expect(call.method).toBe('GET');
    expect(call.url.pathname).toBe('/api/status');
    expect(call.url.searchParams.get('task_id')).toBe(TASK_ID);
    expect(call.body).toBeUndefined();
    expect(call.headers.has('content-type')).toBe(false);
  });

  it.each([
    { taskIdIn: undefined, inQuery: true, inBody: true },
    { taskIdIn: 'both', inQuery: true, inBody: true },
    { taskIdIn: 'query', inQuery: true, inBody: false },
    { taskIdIn: 'body', inQuery: false, inBody: true },
  ] as const)('getTask POST with taskIdIn=$taskIdIn', async ({ taskIdIn, inQuery, inBody }) => {
    const { client, fetch } = setup([status()]);
    await client.getTask(TASK_ID, { method: 'POST', taskIdIn });
    const call = onlyCall(fetch);
    expect(call.method).toBe('POST');
    expect(call.url.searchParams.get('task_id')).toBe(inQuery ? TASK_ID : null);
    expect(call.body).toEqual(inBody ? { task_id: TASK_ID } : undefined);
    expect(call.headers.get('content-type')).toBe(inBody ? 'application/json' : null);
  });
});

describe('error mapping', () => {
  it('400 is a BadRequestError carrying the field errors', async () => {
    const errors = [{ field: 'body.aspectRatio', message: 'must be equal to one of the allowed values' }];
    const { client } = setup([errorResponse(400, { type: 'invalid_request', errors })]);
    const error = await client.createTask(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toBeInstanceOf(DreamCoreError);
    expect(error).toMatchObject({
      status: 400,
      type: 'invalid_request',
      fieldErrors: errors,
      message: 'error 400',
    });
    expect((error as BadRequestError).body).toEqual({
      code: 400,
      message: 'error 400',
      data: { type: 'invalid_request', errors },
    });
  });

  it('401 is an UnauthorizedError', async () => {
    const { client } = setup([errorResponse(401, { type: 'unauthorized' })]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({
      name: 'UnauthorizedError',
      status: 401,
      type: 'unauthorized',
    });
  });

  it('402 is an InsufficientCreditsError with the price and the balance', async () => {
    const { client, fetch } = setup([
      errorResponse(402, { type: 'insufficient_credits', required_credits: 18, balance: 6 }),
    ]);
    const error = await client.createTask(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ requiredCredits: 18, balance: 6, status: 402 });
    expect(fetch.calls).toHaveLength(1); // not retried
  });

  it('404 is a NotFoundError', async () => {
    const { client } = setup([errorResponse(404, { type: 'not_found' })]);
    await expect(client.getTask(TASK_ID)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([405, 413, 415])('%i is a BadRequestError: the request is at fault', async (code) => {
    const type = (
      { 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' } as const
    )[code as 405 | 413 | 415];
    const { client } = setup([errorResponse(code, { type })]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({
      name: 'BadRequestError',
      status: code,
      type,
    });
  });

  it('an envelope with data null falls back to the type implied by the status', async () => {
    const { client } = setup([errorResponse(401, null)]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({
      name: 'UnauthorizedError',
      type: 'unauthorized',
    });
  });

  it('429 is a RateLimitedError whose retryAfterMs comes from the Retry-After header first', async () => {
    const { client } = setup([
      errorResponse(429, { type: 'rate_limited', retry_after_seconds: 9 }, { 'Retry-After': '2' }),
    ]);
    const error = await client.getTask(TASK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, type: 'rate_limited', retryAfterMs: 2_000 });
  });

  it('429 without the header falls back to data.retry_after_seconds, then to undefined', async () => {
    const { client } = setup([
      errorResponse(429, { type: 'rate_limited', retry_after_seconds: 3 }),
      errorResponse(429, { type: 'rate_limited' }),
    ]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({ retryAfterMs: 3_000 });
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({ retryAfterMs: undefined });
  });

  it('429 with an HTTP-date Retry-After is timed against the injected clock', async () => {
    const { client } = setup([
      errorResponse(429, { type: 'rate_limited' }, { 'Retry-After': 'Sat, 14 Jun 2025 05:21:18 GMT' }),
    ]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({ retryAfterMs: 7_000 });
  });

  it('500 is a ServerError', async () => {
    const { client } = setup([errorResponse(500, { type: 'internal_error' })]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({
      name: 'ServerError',
      status: 500,
      type: 'internal_error',
    });
  });

  it('503 is a ServerError whose retryAfterMs comes from the Retry-After header, as on 429', async () => {
    const { client } = setup([
      errorResponse(503, { type: 'service_unavailable', retry_after_seconds: 7 }, { 'Retry-After': '4' }),
    ]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({
      name: 'ServerError',
      status: 503,
      retryAfterMs: 4_000,
    });
  });

  it('a 5xx without Retry-After falls back to data.retry_after_seconds, then to undefined', async () => {
    const { client } = setup([
      errorResponse(503, { type: 'service_unavailable', retry_after_seconds: 7 }),
      errorResponse(500, { type: 'internal_error' }),
    ]);
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({ retryAfterMs: 7_000 });
    await expect(client.getTask(TASK_ID)).rejects.toMatchObject({ retryAfterMs: undefined });
  });

  it("a gateway's HTML 502 is still a ServerError (transient by status), with the raw text as body", async () => {
    const { client } = setup([textResponse(502, '<html>Bad Gateway</html>')]);
    const error = await client.getTask(TASK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 502, body: '<html>Bad Gateway</html>' });
  });

  it.each([
    { what: 'a 401 that is not JSON', responder: textResponse(401, 'Unauthorized', 'text/plain'), code: 401 },
    {
      what: 'a 404 that is JSON but not the envelope',
      responder: jsonResponse(404, { error: 'nope' }),
      code: 404,
    },
    {
      what: 'an envelope with an unknown error type',
      responder: jsonResponse(400, { code: 400, message: 'bad', data: { type: 'teapot' } }),
      code: 400,
    },
    {
      what: 'a status the spec does not list',
      responder: errorResponse(418, { type: 'invalid_request' }),
      code: 418,
    },
    { what: 'a 200 that is not JSON', responder: textResponse(200, '<html>ok</html>'), code: 200 },
    { what: 'a redirect', responder: textResponse(302, ''), code: 302 },
  ])('$what is an UnexpectedResponseError', async ({ responder, code }) => {
    const { client } = setup([responder]);
    const error = await client.getTask(TASK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error).toMatchObject({ status: code, type: 'unexpected_response' });
  });

  it.each([
    { what: 'task_id renamed', body: { code: 200, message: 'success', data: { taskId: TASK_ID } } },
    { what: 'no envelope', body: { task_id: TASK_ID } },
    { what: 'a code other than 200', body: { code: 0, message: 'success', data: { task_id: TASK_ID } } },
  ])('an off-spec generate response ($what) is an UnexpectedResponseError', async ({ body }) => {
    const { client, fetch } = setup([jsonResponse(200, body)]);
    await expect(client.createTask(REQUEST)).rejects.toBeInstanceOf(UnexpectedResponseError);
    expect(fetch.calls).toHaveLength(1);
  });

  it.each([
    { what: 'an unknown status', data: { status: 'DONE' }, reason: /status "DONE" is unknown/ },
    { what: 'a missing field', data: { created_at: undefined }, reason: /lacks created_at/ },
    { what: 'a null response', data: { response: null }, reason: /response is not an array/ },
    { what: 'fractional credits', data: { consumed_credits: 1.5 }, reason: /consumed_credits/ },
  ])('an off-spec status record ($what) is an UnexpectedResponseError', async ({ data, reason }) => {
    const { client } = setup([status(data as never)]);
    await expect(client.getTask(TASK_ID)).rejects.toThrow(reason);
  });

  it('a fetch that throws is a NetworkError with the cause kept', async () => {
    const cause = new TypeError('fetch failed');
    const { client } = setup([
      () => {
        throw cause;
      },
    ]);
    const error = await client.getTask(TASK_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ status: null, type: 'network_error', cause });
  });

  it('a server that never answers is abandoned after requestTimeoutMs as a NetworkError', async () => {
    const { client } = setup([neverAnswers()], { requestTimeoutMs: 20 });
    await expect(client.getTask(TASK_ID)).rejects.toThrow(/No response to GET \/api\/status within 20 ms/);
  });
});

describe('createTask retries', () => {
  it('retries 500 with full-jitter backoff, then succeeds', async () => {
    const events: unknown[] = [];
    const { client, fetch, time } = setup([
      errorResponse(500, { type: 'internal_error' }),
      errorResponse(500, { type: 'internal_error' }),
      generated(TASK_ID),
    ]);
    const result = await client.createTask(REQUEST, { onRetry: (e) => events.push(e.delayMs) });
    expect(result.taskId).toBe(TASK_ID);
    expect(fetch.calls).toHaveLength(3);
    // random() = 0.5 of the ceilings 1 s, 2 s.
    expect(time.sleeps).toEqual([500, 1_000]);
    expect(events).toEqual([500, 1_000]);
    expect(fetch.calls.every((c) => JSON.stringify(c.body) === JSON.stringify(REQUEST))).toBe(true);
  });

  it('honours Retry-After on 429, falling back to jitter when it is absent', async () => {
    const { client, time } = setup([
      errorResponse(429, { type: 'rate_limited' }, { 'Retry-After': '2' }),
      errorResponse(429, { type: 'rate_limited' }),
      generated(TASK_ID),
    ]);
    await client.createTask(REQUEST);
    expect(time.sleeps).toEqual([2_000, 1_000]);
  });

  it('honours Retry-After on 503 (every operation documents it), not its own shorter backoff', async () => {
    const unavailable = (seconds: string) =>
      errorResponse(503, { type: 'service_unavailable', retry_after_seconds: 1 }, { 'Retry-After': seconds });
    const { client, time } = setup([unavailable('3'), unavailable('1'), generated(TASK_ID)]);
    await client.createTask(REQUEST);
    // Retry-After when it is longer than the jitter (0.5 of the ceilings 1 s, 2 s); the jitter when longer.
    expect(time.sleeps).toEqual([3_000, 1_000]);
  });

  it('does not sleep through a 503 Retry-After longer than maxRetryAfterMs: the error carries it', async () => {
    const { client, fetch, time } = setup([
      errorResponse(503, { type: 'service_unavailable' }, { 'Retry-After': '3600' }),
    ]);
    await expect(client.createTask(REQUEST)).rejects.toMatchObject({ status: 503, retryAfterMs: 3_600_000 });
    expect(fetch.calls).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const { client, fetch, time } = setup(
      [
        errorResponse(500, { type: 'internal_error' }),
        errorResponse(500, { type: 'internal_error' }),
        errorResponse(500, { type: 'internal_error' }),
      ],
      { retry: { maxRetries: 2 } },
    );
    await expect(client.createTask(REQUEST)).rejects.toBeInstanceOf(ServerError);
    expect(fetch.calls).toHaveLength(3);
    expect(time.sleeps).toEqual([500, 1_000]);
  });

  it('maxRetries: 0 on the call makes exactly one attempt', async () => {
    const { client, fetch, time } = setup([errorResponse(500, { type: 'internal_error' })]);
    await expect(client.createTask(REQUEST, { maxRetries: 0 })).rejects.toBeInstanceOf(ServerError);
    expect(fetch.calls).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('does not sleep through a Retry-After longer than maxRetryAfterMs', async () => {
    const { client, fetch, time } = setup([
      errorResponse(429, { type: 'rate_limited' }, { 'Retry-After': '3600' }),
    ]);
    await expect(client.createTask(REQUEST)).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
    expect(fetch.calls).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it.each([
    {
      what: '400',
      responder: errorResponse(400, { type: 'invalid_request', errors: [] }),
      error: BadRequestError,
    },
    { what: '401', responder: errorResponse(401, { type: 'unauthorized' }), error: UnauthorizedError },
    {
      what: '402',
      responder: errorResponse(402, { type: 'insufficient_credits', required_credits: 12, balance: 0 }),
      error: InsufficientCreditsError,
    },
    {
      what: 'a network failure (the task may exist)',
      responder: () => Promise.reject(new TypeError('socket hang up')),
      error: NetworkError,
    },
  ])('does not retry $what', async ({ responder, error }) => {
    const { client, fetch } = setup([responder]);
    await expect(client.createTask(REQUEST)).rejects.toBeInstanceOf(error);
    expect(fetch.calls).toHaveLength(1);
  });
});

describe('abort', () => {
  it('an already aborted signal sends nothing', async () => {
    const { client, fetch } = setup([generated(TASK_ID)]);
    const signal = AbortSignal.abort(new Error('user left'));
    const error = await client.createTask(REQUEST, { signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ type: 'aborted', status: null });
    expect((error as AbortedError).cause).toEqual(new Error('user left'));
    expect(fetch.calls).toHaveLength(0);
  });

  it('aborting during a retry wait stops the retries', async () => {
    const controller = new AbortController();
    const { client, fetch, time } = setup([
      errorResponse(500, { type: 'internal_error' }),
      generated(TASK_ID),
    ]);
    time.onSleep = () => controller.abort();
    await expect(client.createTask(REQUEST, { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(fetch.calls).toHaveLength(1);
  });

  it('aborting while the request is in flight cancels it', async () => {
    const controller = new AbortController();
    const { client } = setup([neverAnswers()]);
    const pending = client.getTask(TASK_ID, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it('an injected sleep that ignores the signal cannot outlive the abort', async () => {
    const controller = new AbortController();
    const { client, fetch } = setup([errorResponse(500, { type: 'internal_error' }), generated(TASK_ID)], {
      sleep: async () => {
        controller.abort();
      },
    });
    await expect(client.createTask(REQUEST, { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(fetch.calls).toHaveLength(1);
  });
});
