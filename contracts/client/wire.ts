/**
 * Runtime checks of what the server sent, so that an off-spec answer becomes an
 * `UnexpectedResponseError` at the boundary instead of an `undefined` deep inside a caller.
 *
 * They check what the client relies on (envelope, field presence and primitive types, the closed enums),
 * not every constraint of the spec: the contract tests (Pact, pact-to-spec, provider verification) check
 * the rest, and a reference client that refused a new image host or an id of another length would break
 * against the live API for no gain. The lists below are tied to the generated types, so a spec change
 * that adds a status, an error type or a record field fails compilation here.
 */
import { UnexpectedResponseError } from './errors.js';
import type { ErrorResponse, ErrorType, TaskRecord, TaskStatus } from './types.js';

/** Compiles only when `List` names every member of `Union`. */
type Exhaustive<Union extends string, List extends readonly Union[]> = [
  Exclude<Union, List[number]>,
] extends [never]
  ? List
  : { missing: Exclude<Union, List[number]> };

const TASK_STATUS_LIST = ['IN_PROGRESS', 'SUCCESS', 'FAILED'] as const;
export const TASK_STATUSES: Exhaustive<TaskStatus, typeof TASK_STATUS_LIST> = TASK_STATUS_LIST;

const ERROR_TYPE_LIST = [
  'invalid_request',
  'unauthorized',
  'insufficient_credits',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'forbidden',
  'request_timeout',
  'headers_too_large',
  'service_unavailable',
  'bad_gateway',
  'gateway_timeout',
] as const;
export const ERROR_TYPES: Exhaustive<ErrorType, typeof ERROR_TYPE_LIST> = ERROR_TYPE_LIST;

const TASK_RECORD_KEY_LIST = [
  'task_id',
  'status',
  'request',
  'response',
  'consumed_credits',
  'error_message',
  'created_at',
] as const;
/** Every field of a TaskRecord; all are required by the spec. */
export const TASK_RECORD_KEYS: Exhaustive<keyof TaskRecord, typeof TASK_RECORD_KEY_LIST> =
  TASK_RECORD_KEY_LIST;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/**
 * Whether `body` is the spec's error envelope `{code, message, data: {type, ...}}`. The spec says `data`
 * is never null; a provider that sends null anyway is still read as an error of its status's kind.
 */
export function isErrorEnvelope(body: unknown): body is ErrorResponse {
  if (!isObject(body) || !isInteger(body.code) || typeof body.message !== 'string') return false;
  const data = body.data as unknown;
  if (data === null) return true;
  if (!isObject(data) || !isOneOf(ERROR_TYPES, data.type)) return false;
  if (data.errors !== undefined) {
    if (!Array.isArray(data.errors)) return false;
    const allFieldErrors = data.errors.every(
      (e) => isObject(e) && typeof e.field === 'string' && typeof e.message === 'string',
    );
    if (!allFieldErrors) return false;
  }
  for (const key of ['required_credits', 'balance', 'retry_after_seconds'] as const) {
    if (data[key] !== undefined && !isInteger(data[key])) return false;
  }
  return true;
}

/** The success envelope's `data`, or an `UnexpectedResponseError` naming what is wrong. */
function successData(status: number, body: unknown): unknown {
  if (!isObject(body)) throw new UnexpectedResponseError(status, 'the body is not a JSON object', body);
  if (body.code !== 200) {
    throw new UnexpectedResponseError(status, `envelope code is ${String(body.code)}, expected 200`, body);
  }
  if (!('data' in body)) throw new UnexpectedResponseError(status, 'the envelope has no data', body);
  return body.data;
}

/** `POST /api/generate` 200: the new task's id. */
export function parseGenerateResponse(status: number, body: unknown): string {
  const data = successData(status, body);
  if (!isObject(data) || typeof data.task_id !== 'string' || data.task_id === '') {
    throw new UnexpectedResponseError(status, 'data.task_id is missing or not a string', body);
  }
  return data.task_id;
}

/** `GET|POST /api/status` 200: the task record. */
export function parseTaskStatusResponse(status: number, body: unknown): TaskRecord {
  const data = successData(status, body);
  if (!isObject(data)) throw new UnexpectedResponseError(status, 'data is not an object', body);
  const missing = TASK_RECORD_KEYS.filter((key) => !(key in data));
  if (missing.length > 0) {
    throw new UnexpectedResponseError(status, `data lacks ${missing.join(', ')}`, body);
  }
  const problems: string[] = [];
  if (typeof data.task_id !== 'string') problems.push('task_id is not a string');
  if (!isOneOf(TASK_STATUSES, data.status)) problems.push(`status ${JSON.stringify(data.status)} is unknown`);
  if (!isObject(data.request)) problems.push('request is not an object');
  if (!Array.isArray(data.response) || !data.response.every((url) => typeof url === 'string')) {
    problems.push('response is not an array of strings');
  }
  if (!isInteger(data.consumed_credits) || data.consumed_credits < 0) {
    problems.push('consumed_credits is not a non-negative integer');
  }
  if (data.error_message !== null && typeof data.error_message !== 'string') {
    problems.push('error_message is neither a string nor null');
  }
  if (typeof data.created_at !== 'string') problems.push('created_at is not a string');
  if (problems.length > 0) throw new UnexpectedResponseError(status, problems.join('; '), body);
  // Every field was checked above against the generated type's shape.
  return data as unknown as TaskRecord;
}
