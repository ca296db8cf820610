/**
 * Reference client for the DreamCore API: what a careful consumer of `openapi.yaml` looks like. The Pact
 * consumer tests drive it, so the pact file records the requests a real client makes, not requests
 * written by hand for the test.
 *
 * Time, randomness, sleeping and the transport are injected (`now`, `random`, `sleep`, `fetch`): unit
 * tests run the retry and polling logic without waiting, and a test against the simulator can make
 * `sleep` advance the simulator's virtual clock so a 45 s render takes no real time.
 */
import {
  fullJitterDelay,
  nextPollInterval,
  parseRetryAfter,
  realSleep,
  type BackoffPolicy,
} from './backoff.js';
import {
  AbortedError,
  BadRequestError,
  InsufficientCreditsError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TaskFailedError,
  TimeoutError,
  UnauthorizedError,
  UnexpectedResponseError,
  type DreamCoreError,
} from './errors.js';
import type { GenerateRequest, StatusRequest, TaskId, TaskRecord } from './types.js';
import { isErrorEnvelope, parseGenerateResponse, parseTaskStatusResponse } from './wire.js';

/** The part of `fetch` the client uses; the global `fetch` and a small test double both fit. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Resolves after `ms` (real or virtual), or rejects when `signal` aborts. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy extends BackoffPolicy {
  /** Retries of `createTask` after a 429 or a 5xx (0 disables them). */
  maxRetries: number;
  /**
   * A `Retry-After` longer than this is not slept through by `createTask`: the `RateLimitedError` is
   * thrown so the caller can reschedule the work rather than hold a request open for minutes.
   */
  maxRetryAfterMs: number;
}

/**
 * Retry defaults. The provider documents 500 as "transient; retry with exponential backoff" without
 * numbers: a 1 s first ceiling doubling to 16 s gives four attempts within about half a minute, which
 * outlasts a brief upstream hiccup without hiding an outage.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxRetries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 16_000,
  maxRetryAfterMs: 60_000,
};

export interface PollingPolicy {
  /** Total budget of `waitForTask`, from its call to its last poll. */
  timeoutMs: number;
  /** Wait before the first poll: a render is never ready sooner. */
  initialDelayMs: number;
  /** Interval after the first IN_PROGRESS poll. */
  pollIntervalMs: number;
  /** The interval grows by `pollBackoffFactor` per IN_PROGRESS or 429 poll, up to this. */
  maxPollIntervalMs: number;
  pollBackoffFactor: number;
}

/**
 * Polling defaults, from the upstream's published latencies (docs/provider/upstream-facts.md): a basic 2K
 * render takes 15 to 35 s (median 22 s), a high 4K one 40 to 60 s (median 45 s, p95 70 s), a 4-image
 * burst up to about 150 s (about 280 s for four high renders), and each IN_PROGRESS poll makes the
 * provider query the upstream again, so polls are not free for it.
 *
 * - `initialDelayMs` 15 s: the fastest basic renders finish around 12 to 15 s, so polling sooner only
 *   spends requests. One reseller advises 20 s; 15 s saves about 5 s on a typical basic render.
 * - `pollIntervalMs` 3 s, as that reseller advises, then x1.5 per poll up to 6 s: tight while a basic
 *   render is likely to finish, looser for the long tail, and never more than one request per 3 s,
 *   far below a "20 requests per 10 s" reseller limit. A high render costs about 8 polls.
 * - `timeoutMs` 10 min: twice the slowest burst, so a timeout means something is wrong.
 */
export const DEFAULT_POLLING_POLICY: Readonly<PollingPolicy> = {
  timeoutMs: 600_000,
  initialDelayMs: 15_000,
  pollIntervalMs: 3_000,
  maxPollIntervalMs: 6_000,
  pollBackoffFactor: 1.5,
};

export interface DreamCoreClientOptions {
  /** e.g. `https://seedream45ai.org` or `http://localhost:4010`; a path prefix is kept. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. An empty key sends no Authorization header at all. */
  apiKey: string;
  fetch?: FetchLike;
  sleep?: SleepFn;
  /** Uniform in [0, 1); drives the jitter. */
  random?: () => number;
  /** Milliseconds since the epoch; bounds `waitForTask` and dates `Retry-After`. */
  now?: () => number;
  userAgent?: string;
  /**
   * Per-request budget, in real time, for a response to arrive; beyond it the request is abandoned with
   * a `NetworkError`. Infinity disables it.
   */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  polling?: Partial<PollingPolicy>;
}

export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: DreamCoreError;
}

export interface CreateTaskOptions {
  signal?: AbortSignal;
  /** Overrides the client's `retry.maxRetries` for this call. */
  maxRetries?: number;
  onRetry?: (event: RetryEvent) => void;
}

export interface CreateTaskResult {
  taskId: TaskId;
}

export interface GetTaskOptions {
  /** `GET` (the documented sample) or `POST` (also documented). */
  method?: 'GET' | 'POST';
  /**
   * Where a POST carries the id. `query` is the documented way; the JSON body is this project's reading
   * of "GET / POST" (gap 3). The default `both` is understood by a server that reads either, and the
   * spec requires the two to be equal, which they are.
   */
  taskIdIn?: 'query' | 'body' | 'both';
  signal?: AbortSignal;
}

export interface PollEvent {
  /** 1 for the first poll. */
  attempt: number;
  elapsedMs: number;
  /** The record this poll returned, if it succeeded. */
  record?: TaskRecord;
  /** The transient error this poll met (429, 5xx, network), if it failed. */
  error?: DreamCoreError;
  /** The wait before the next poll; absent when the task reached a terminal state. */
  nextDelayMs?: number;
}

export interface WaitForTaskOptions extends Partial<PollingPolicy> {
  signal?: AbortSignal;
  /** Polling method, as `getTask`. */
  method?: 'GET' | 'POST';
  onPoll?: (event: PollEvent) => void;
}

interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  isJson: boolean;
}

const DEFAULT_USER_AGENT = 'dreamcore-reference-client/0.1.0';
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class DreamCoreClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchImpl: FetchLike;
  private readonly sleepImpl: SleepFn;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  readonly retryPolicy: Readonly<RetryPolicy>;
  readonly pollingPolicy: Readonly<PollingPolicy>;

  constructor(options: DreamCoreClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    // Bound so that a global fetch is not called with the client as `this` (browsers reject that).
    this.fetchImpl = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.sleepImpl = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...withoutUndefined(options.retry ?? {}) };
    this.pollingPolicy = { ...DEFAULT_POLLING_POLICY, ...withoutUndefined(options.polling ?? {}) };
  }

  /**
   * `POST /api/generate`: submits a job; credits are deducted when it is accepted.
   *
   * Retries 429 (nothing was deducted, so a retry is safe) after `Retry-After`, and 5xx with full-jitter
   * backoff, never sooner than a 503's `Retry-After`, at most `maxRetries` times.
   *
   * Double-charge caveat: a 500 does not prove that no task was created. If the provider accepted the job
   * and deducted the credits before failing (say, while writing the response), a retry creates a second
   * task and pays again, and the first task's id was never seen. The API offers no idempotency key and
   * no way to list tasks, so the client cannot tell. It still retries because the provider documents 500
   * as transient and asks for retries; a caller for whom a double charge is worse than a failed call
   * passes `maxRetries: 0` and reconciles with its credit balance. Network failures are not retried at
   * all, for the same reason and without the provider's instruction to do so.
   */
  async createTask(request: GenerateRequest, options: CreateTaskOptions = {}): Promise<CreateTaskResult> {
    const maxRetries = options.maxRetries ?? this.retryPolicy.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.send('POST', '/api/generate', { body: request, signal: options.signal });
        return { taskId: parseGenerateResponse(response.status, response.body) };
      } catch (error) {
        const delayMs = this.createRetryDelay(error, attempt);
        if (delayMs === undefined || attempt >= maxRetries) throw error;
        options.onRetry?.({ retry: attempt + 1, delayMs, error: error as DreamCoreError });
        await this.pause(delayMs, options.signal);
      }
    }
  }

  /** `GET|POST /api/status`: the task's latest record, in one request (no retries: see `waitForTask`). */
  async getTask(taskId: TaskId, options: GetTaskOptions = {}): Promise<TaskRecord> {
    const method = options.method ?? 'GET';
    const where = method === 'GET' ? 'query' : (options.taskIdIn ?? 'both');
    const query = where === 'body' ? undefined : { task_id: taskId };
    const body: StatusRequest | undefined = where === 'query' ? undefined : { task_id: taskId };
    const response = await this.send(method, '/api/status', { query, body, signal: options.signal });
    return parseTaskStatusResponse(response.status, response.body);
  }

  /**
   * Polls until the task is terminal: resolves with the `SUCCESS` record, throws `TaskFailedError` on
   * `FAILED` (its record shows the refund: `consumed_credits` 0).
   *
   * - IN_PROGRESS: waits the polling interval, which grows to `maxPollIntervalMs`;
   * - 429: waits `Retry-After` (at least the polling interval), and slows the cadence;
   * - 5xx and network failures: full-jitter exponential backoff (`retry` policy), since polling is
   *   idempotent; never sooner than a 503's `Retry-After`;
   * - anything else (401, 404, an off-spec answer): thrown at once, as waiting cannot fix it.
   *
   * All waits are cut at the deadline (`timeoutMs`), where one last poll is made before `TimeoutError`;
   * `signal` aborts at any point with `AbortedError`.
   */
  async waitForTask(taskId: TaskId, options: WaitForTaskOptions = {}): Promise<TaskRecord> {
    const { signal, onPoll, method } = options;
    const policy: PollingPolicy = {
      ...this.pollingPolicy,
      ...withoutUndefined({
        timeoutMs: options.timeoutMs,
        initialDelayMs: options.initialDelayMs,
        pollIntervalMs: options.pollIntervalMs,
        maxPollIntervalMs: options.maxPollIntervalMs,
        pollBackoffFactor: options.pollBackoffFactor,
      }),
    };
    const start = this.now();
    const deadline = start + policy.timeoutMs;
    let delayMs = policy.initialDelayMs;
    let intervalMs = policy.pollIntervalMs;
    let consecutiveFailures = 0;
    let lastRecord: TaskRecord | undefined;
    let lastError: DreamCoreError | undefined;

    for (let attempt = 1; ; attempt++) {
      const remainingMs = deadline - this.now();
      if (remainingMs <= 0) {
        const elapsedMs = this.now() - start;
        const state = lastRecord
          ? `still ${lastRecord.status}`
          : `not seen (${lastError?.message ?? 'no poll'})`;
        throw new TimeoutError(
          `Task ${taskId} ${state} after ${elapsedMs} ms`,
          lastRecord,
          elapsedMs,
          lastError,
        );
      }
      await this.pause(Math.min(delayMs, remainingMs), signal);

      let record: TaskRecord;
      try {
        record = await this.getTask(taskId, { method, signal });
      } catch (error) {
        if (!isTransient(error)) throw error;
        lastError = error;
        if (error instanceof RateLimitedError) {
          delayMs = Math.max(error.retryAfterMs ?? 0, intervalMs);
          intervalMs = nextPollInterval(intervalMs, policy.pollBackoffFactor, policy.maxPollIntervalMs);
        } else {
          // A 503's Retry-After is waited however long (the deadline cuts it), as a 429's is.
          delayMs =
            error instanceof ServerError
              ? this.serverRetryDelay(error, consecutiveFailures, Infinity)!
              : fullJitterDelay(consecutiveFailures, this.retryPolicy, this.random);
          consecutiveFailures++;
        }
        onPoll?.({ attempt, elapsedMs: this.now() - start, error, nextDelayMs: delayMs });
        continue;
      }

      lastRecord = record;
      consecutiveFailures = 0;
      if (record.status === 'SUCCESS' || record.status === 'FAILED') {
        onPoll?.({ attempt, elapsedMs: this.now() - start, record });
        if (record.status === 'FAILED') throw new TaskFailedError(record);
        return record;
      }
      delayMs = intervalMs;
      intervalMs = nextPollInterval(intervalMs, policy.pollBackoffFactor, policy.maxPollIntervalMs);
      onPoll?.({ attempt, elapsedMs: this.now() - start, record, nextDelayMs: delayMs });
    }
  }

  /** `createTask` then `waitForTask`: the whole flow for callers that just want the images. */
  async generate(
    request: GenerateRequest,
    options: WaitForTaskOptions & Pick<CreateTaskOptions, 'maxRetries' | 'onRetry'> = {},
  ): Promise<TaskRecord> {
    const { taskId } = await this.createTask(request, options);
    return this.waitForTask(taskId, options);
  }

  /** How long `createTask` waits before retrying after `error`, or undefined when it must not retry. */
  private createRetryDelay(error: unknown, attempt: number): number | undefined {
    if (error instanceof RateLimitedError) {
      const { retryAfterMs } = error;
      if (retryAfterMs === undefined) return fullJitterDelay(attempt, this.retryPolicy, this.random);
      return retryAfterMs <= this.retryPolicy.maxRetryAfterMs ? retryAfterMs : undefined;
    }
    if (error instanceof ServerError)
      return this.serverRetryDelay(error, attempt, this.retryPolicy.maxRetryAfterMs);
    return undefined;
  }

  /**
   * After a 5xx: full-jitter backoff, but never sooner than the answer's Retry-After (a 503 that says
   * when to come back); undefined when that is more than `maxRetryAfterMs` away.
   */
  private serverRetryDelay(error: ServerError, attempt: number, maxRetryAfterMs: number): number | undefined {
    const backoff = fullJitterDelay(attempt, this.retryPolicy, this.random);
    const { retryAfterMs } = error;
    if (retryAfterMs === undefined) return backoff;
    return retryAfterMs <= maxRetryAfterMs ? Math.max(retryAfterMs, backoff) : undefined;
  }

  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw new AbortedError(signal.reason);
    try {
      await this.sleepImpl(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      throw error;
    }
    // An injected sleep may ignore the signal; the abort still wins.
    if (signal?.aborted) throw new AbortedError(signal.reason);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Record<string, string>; body?: unknown; signal?: AbortSignal | undefined },
  ): Promise<RawResponse> {
    const { signal } = options;
    if (signal?.aborted) throw new AbortedError(signal.reason);
    const search = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (this.apiKey !== '') headers.Authorization = `Bearer ${this.apiKey}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';

    const timeout = Number.isFinite(this.requestTimeoutMs)
      ? AbortSignal.timeout(this.requestTimeoutMs)
      : undefined;
    const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const init: RequestInit = {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
    };

    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      const response = await this.fetchImpl(`${this.baseUrl}${path}${search}`, init);
      status = response.status;
      responseHeaders = response.headers;
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (timeout?.aborted) {
        throw new NetworkError(`No response to ${method} ${path} within ${this.requestTimeoutMs} ms`, error);
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new NetworkError(`${method} ${path} failed: ${reason}`, error);
    }

    let body: unknown = text;
    let isJson = false;
    if (text !== '') {
      try {
        body = JSON.parse(text);
        isJson = true;
      } catch {
        // Left as text: the status decides below whether that is an error.
      }
    }
    const raw: RawResponse = { status, headers: responseHeaders, body, isJson };
    if (status === 200) {
      if (!isJson) throw new UnexpectedResponseError(status, 'the body is not JSON', body);
      return raw;
    }
    throw this.toError(raw);
  }

  /** Maps a non-200 response to its typed error. */
  private toError({ status, headers, body, isJson }: RawResponse): DreamCoreError {
    // 429 and 5xx mean "wait" and "retry" by HTTP itself, so they are classified even when a proxy
    // rather than the API produced the body.
    // Both say when to come back: a 429, and a 503 (the provider overloaded; every operation documents
    // its Retry-After). The header first, then the envelope's retry_after_seconds.
    const fromBody = isErrorEnvelope(body) ? body.data?.retry_after_seconds : undefined;
    const retryAfterMs =
      parseRetryAfter(headers.get('retry-after'), this.now()) ??
      (fromBody === undefined ? undefined : fromBody * 1000);
    if (status === 429) return new RateLimitedError(status, body, retryAfterMs);
    if (status >= 500 && status <= 599) return new ServerError(status, body, retryAfterMs);
    if (!isErrorEnvelope(body)) {
      const reason = isJson
        ? 'the body is not the error envelope {code, message, data}'
        : 'the body is not JSON';
      return new UnexpectedResponseError(status, reason, body);
    }
    switch (status) {
      case 400:
      case 405:
      case 413:
      case 415:
        return new BadRequestError(status, body);
      case 401:
        return new UnauthorizedError(status, body);
      case 402:
        return new InsufficientCreditsError(status, body);
      case 404:
        return new NotFoundError(status, body);
      default:
        return new UnexpectedResponseError(status, `status ${status} is not in the spec`, body);
    }
  }
}

/** Failures that a later poll may not meet again. */
function isTransient(error: unknown): error is RateLimitedError | ServerError | NetworkError {
  return error instanceof RateLimitedError || error instanceof ServerError || error instanceof NetworkError;
}

/** Drops undefined values, so `{ timeoutMs: undefined }` does not override a default. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
