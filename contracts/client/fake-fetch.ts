/**
 * Test doubles for the client's injected dependencies: a scripted `fetch` that records what the client
 * sent, and a virtual clock whose `sleep` moves time instead of waiting. Used by the unit tests here;
 * a test against the simulator swaps `fetch` for the real one and `sleep` for the simulator's clock.
 */
import type { FetchLike, SleepFn } from './dreamcore-client.js';
import type { ErrorDetails, TaskRecord } from './types.js';

export interface RecordedRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** The parsed JSON body, or undefined when none was sent. */
  body: unknown;
}

/** Answers one request; may wait on `signal` to model a server that never answers. */
export type Responder = (
  request: RecordedRequest,
  signal: AbortSignal | undefined,
) => Response | Promise<Response>;

export interface ScriptedFetch extends FetchLike {
  readonly calls: RecordedRequest[];
}

/** A fetch answering the n-th request with the n-th responder; one request too many fails the test. */
export function scriptedFetch(...responders: Responder[]): ScriptedFetch {
  const calls: RecordedRequest[] = [];
  const fetchFn = async (url: string, init: RequestInit): Promise<Response> => {
    const text = typeof init.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      url: new URL(url),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: text === undefined ? undefined : (JSON.parse(text) as unknown),
    };
    calls.push(request);
    const responder = responders[calls.length - 1];
    if (!responder) throw new Error(`Unscripted request #${calls.length}: ${request.method} ${url}`);
    return responder(request, init.signal ?? undefined);
  };
  return Object.assign(fetchFn, { calls });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    });
}

export function textResponse(status: number, text: string, contentType = 'text/html'): Responder {
  return () => new Response(text, { status, headers: { 'Content-Type': contentType } });
}

/** The spec's error envelope. */
export function errorResponse(
  status: number,
  data: ErrorDetails | null,
  headers: Record<string, string> = {},
  message = `error ${status}`,
): Responder {
  return jsonResponse(status, { code: status, message, data }, headers);
}

export function generated(taskId: string): Responder {
  return jsonResponse(200, { code: 200, message: 'success', data: { task_id: taskId } });
}

export function taskRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    task_id: 'sd45_b83bf7c0c51a4c71',
    status: 'IN_PROGRESS',
    request: { prompt: 'A lighthouse in a storm', aspectRatio: '9:16', quality: 'basic' },
    response: [],
    consumed_credits: 12,
    error_message: null,
    created_at: '2025-06-14T05:21:11Z',
    ...overrides,
  };
}

export function status(overrides: Partial<TaskRecord> = {}): Responder {
  return jsonResponse(200, { code: 200, message: 'success', data: taskRecord(overrides) });
}

/** A responder that answers only when aborted (then rejects like fetch does), i.e. a hung server. */
export function neverAnswers(): Responder {
  return (_request, signal) =>
    new Promise<Response>((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
}

/** Virtual time: `sleep` advances `now` at once and records each wait. */
export class VirtualTime {
  current: number;
  readonly sleeps: number[] = [];
  /** Called at the start of every sleep, before time moves; tests use it to abort mid-wait. */
  onSleep: ((ms: number) => void) | undefined;

  constructor(start = Date.UTC(2025, 5, 14, 5, 21, 11)) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly sleep: SleepFn = async (ms, signal) => {
    this.onSleep?.(ms);
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.current += ms;
  };
}
