/**
 * Every failure the client reports is a `DreamCoreError`, so a caller can catch one class and branch on
 * `type` (the spec's machine-readable `ErrorType`, or one of the client's own kinds below) instead of
 * parsing messages. Subclasses exist for the cases a caller handles differently: fix the request (400),
 * fix the key (401), top up (402), give up on the id (404), wait (429), retry (500), and the polling
 * outcomes (failed task, deadline, abort).
 */
import type { ErrorResponse, ErrorType, FieldError, TaskRecord } from './types.js';

/** Failures that do not come from an error envelope: the client's own kinds. */
export type ClientErrorType = 'task_failed' | 'timeout' | 'aborted' | 'network_error' | 'unexpected_response';

export type DreamCoreErrorType = ErrorType | ClientErrorType;

export interface DreamCoreErrorInit {
  /** HTTP status of the response, or null when there was no response (network, timeout, abort). */
  status: number | null;
  type: DreamCoreErrorType;
  /** The parsed response body (an error envelope, a status envelope) or the raw text when not JSON. */
  body: unknown;
  cause?: unknown;
}

export class DreamCoreError extends Error {
  readonly status: number | null;
  readonly type: DreamCoreErrorType;
  readonly body: unknown;

  constructor(message: string, init: DreamCoreErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.type = init.type;
    this.body = init.body;
  }
}

/** An error answered with the spec's error envelope: `body` is that envelope. */
export abstract class DreamCoreApiError extends DreamCoreError {
  declare readonly body: ErrorResponse;
  declare readonly status: number;

  constructor(status: number, body: ErrorResponse) {
    super(body.message, { status, type: body.data?.type ?? fallbackType(status), body });
  }
}

/**
 * 400 (and 405/413/415, which are also the request's fault and never worth retrying). `fieldErrors` comes
 * from `data.errors`: one entry per offending field, e.g. `{ field: 'body.aspectRatio', message }`.
 */
export class BadRequestError extends DreamCoreApiError {
  readonly fieldErrors: readonly FieldError[];

  constructor(status: number, body: ErrorResponse) {
    super(status, body);
    this.fieldErrors = body.data?.errors ?? [];
  }
}

/** 401: the key is missing or unknown. The API does not say which. */
export class UnauthorizedError extends DreamCoreApiError {}

/** 402: the balance could not cover the price; nothing was deducted and no task was created. */
export class InsufficientCreditsError extends DreamCoreApiError {
  /** The price of the refused request, when the server says it. */
  readonly requiredCredits: number | undefined;
  /** The balance that could not cover it, when the server says it. */
  readonly balance: number | undefined;

  constructor(status: number, body: ErrorResponse) {
    super(status, body);
    this.requiredCredits = body.data?.required_credits;
    this.balance = body.data?.balance;
  }
}

/** 404: no task with this id belongs to the key (unknown and foreign ids are not told apart). */
export class NotFoundError extends DreamCoreApiError {}

/**
 * 429: too many requests; nothing was deducted. `retryAfterMs` is read from the `Retry-After` header,
 * else from `data.retry_after_seconds`; undefined when the server gave neither.
 */
export class RateLimitedError extends DreamCoreError {
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: unknown, retryAfterMs: number | undefined) {
    super(envelopeMessage(body) ?? `Rate limited (HTTP ${status})`, {
      status,
      type: 'rate_limited',
      body,
    });
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * 5xx: documented as transient ("retry with exponential backoff"). Classified by status alone, even when
 * the body is not the envelope, because a gateway in front of the API answers 502/503/504 with its own
 * page and those are just as transient. `retryAfterMs`, as on a 429: a 503 says when to come back
 * (every operation documents its Retry-After), and a retry sooner is refused again.
 */
export class ServerError extends DreamCoreError {
  declare readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: unknown, retryAfterMs?: number) {
    super(envelopeMessage(body) ?? `Server error (HTTP ${status})`, { status, type: 'internal_error', body });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The task ended `FAILED`. `record.consumed_credits` is 0 once the provider has refunded it. */
export class TaskFailedError extends DreamCoreError {
  readonly record: TaskRecord;

  constructor(record: TaskRecord) {
    super(`Task ${record.task_id} failed: ${record.error_message ?? 'no error message given'}`, {
      status: 200,
      type: 'task_failed',
      body: record,
    });
    this.record = record;
  }
}

/** `waitForTask` reached its deadline with the task still `IN_PROGRESS` (or unreachable). */
export class TimeoutError extends DreamCoreError {
  /** The last record seen, if any poll succeeded. */
  readonly lastRecord: TaskRecord | undefined;
  readonly elapsedMs: number;

  constructor(message: string, lastRecord: TaskRecord | undefined, elapsedMs: number, cause?: unknown) {
    super(message, { status: null, type: 'timeout', body: lastRecord ?? null, cause });
    this.lastRecord = lastRecord;
    this.elapsedMs = elapsedMs;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class AbortedError extends DreamCoreError {
  constructor(reason: unknown) {
    super('The operation was aborted', { status: null, type: 'aborted', body: null, cause: reason });
  }
}

/** No HTTP response: connection refused or reset, DNS failure, or no answer within `requestTimeoutMs`. */
export class NetworkError extends DreamCoreError {
  constructor(message: string, cause: unknown) {
    super(message, { status: null, type: 'network_error', body: null, cause });
  }
}

/** A response the spec does not allow: not JSON, not the envelope, a missing field, an unknown status. */
export class UnexpectedResponseError extends DreamCoreError {
  constructor(status: number, reason: string, body: unknown) {
    super(`Unexpected response (HTTP ${status}): ${reason}`, { status, type: 'unexpected_response', body });
  }
}

function fallbackType(status: number): ErrorType {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'unauthorized';
    case 402:
      return 'insufficient_credits';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'internal_error';
  }
}

function envelopeMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return body.message;
  }
  return undefined;
}
