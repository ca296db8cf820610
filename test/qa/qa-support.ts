/**
 * Helpers shared by the QA-control tests: one-line public calls, control-API conformance (the
 * control spec, like `sim.conforms` for the public one), journal reads, and a real client socket
 * (node:http on `app.listen(0, '127.0.0.1')`) for the network faults supertest cannot show.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type supertest from 'supertest';
import { beforeAll, beforeEach, expect } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';

/**
 * One simulator per file, put back to its start state before each test by POST /__mock/reset
 * (itself tested on fresh simulators in control-api.test.ts): building the app costs far more than a
 * reset. Call at the top of a file or describe; the getter gives the simulator inside tests.
 */
export function resetBeforeEach(args: string[] = []): () => TestSimulator {
  let shared: TestSimulator | undefined;
  beforeAll(async () => {
    shared = await testSimulator(args);
  });
  beforeEach(async () => {
    const res = await shared!.http.post('/__mock/reset');
    expect(res.status).toBe(200);
  });
  return () => shared!;
}

/** A text-to-image basic request: 12 credits. */
export const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;
export const PRICE = 12;
export const START_BALANCE = 1000;
export const HOUR = 3_600_000;
/** The virtual clock's start instant (the provider's sample created_at). */
export const CLOCK_START = Date.UTC(2025, 5, 14, 5, 21, 11);
export const OTHER_KEY = 'sk-other-team-key';

export type Headers = Record<string, string>;

export async function generate(
  sim: TestSimulator,
  headers: Headers = {},
  body: object = BODY,
  key: string = DEV_KEY,
): Promise<supertest.Response> {
  return sim.conforms(await sim.http.post('/api/generate').set(sim.auth(key)).set(headers).send(body));
}

export async function status(
  sim: TestSimulator,
  taskId: string,
  headers: Headers = {},
  key: string = DEV_KEY,
): Promise<supertest.Response> {
  return sim.conforms(
    await sim.http.get('/api/status').query({ task_id: taskId }).set(sim.auth(key)).set(headers),
  );
}

/** A task created normally (no fault), its id. */
export async function newTask(sim: TestSimulator, headers: Headers = {}, key: string = DEV_KEY) {
  const res = await generate(sim, headers, BODY, key);
  expect(res.status).toBe(200);
  return res.body.data.task_id as string;
}

let control: Promise<SpecConformance> | undefined;

/** Asserts a control-API response conforms to mock-server/control-api.yaml. */
export async function controlConforms(res: supertest.Response): Promise<supertest.Response> {
  const spec = await (control ??= loadControlConformance());
  const req = (res as unknown as { req: { method: string; path: string } }).req;
  expect(spec.check(req.method, req.path, res), `${req.method} ${req.path} -> ${res.status}`).toEqual([]);
  return res;
}

export interface JournalEntryView {
  id: number;
  at: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  status: number;
  duration_ms: number;
  api_key: string | null;
  task_id: string | null;
  injected: string | null;
  operation: string | null;
  request_headers?: Record<string, string>;
  request_body?: unknown;
  response_body?: unknown;
}

export async function journal(
  sim: TestSimulator,
  query: Record<string, string> = {},
  headers: Headers = {},
): Promise<{ capacity: number; entries: JournalEntryView[] }> {
  const res = await controlConforms(await sim.http.get('/__mock/journal').query(query).set(headers));
  expect(res.status).toBe(200);
  return res.body.data;
}

export async function addRule(
  sim: TestSimulator,
  rule: object,
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await controlConforms(await sim.http.post('/__mock/faults').send(rule));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
}

export async function taskView(sim: TestSimulator, taskId: string) {
  const res = await controlConforms(await sim.http.get(`/__mock/tasks/${taskId}`));
  expect(res.status).toBe(200);
  return res.body.data as {
    record: { status: string; consumed_credits: number; error_message: string | null };
    polls: number;
    plan: {
      outcome: string;
      error_message: string | null;
      ready_at: string | null;
      complete_on_poll: number | null;
    };
  };
}

/** What a real client saw: a response (status, headers, raw body) or a socket error. */
export type RawOutcome =
  | { kind: 'response'; status: number; headers: http.IncomingHttpHeaders; body: string; elapsedMs: number }
  | { kind: 'error'; code: string | undefined; message: string; elapsedMs: number };

export interface Listening {
  port: number;
  /** Resolves when the server has received its first request. */
  received: Promise<void>;
  close(): Promise<void>;
}

export async function listen(sim: TestSimulator): Promise<Listening> {
  const server = sim.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const received = new Promise<void>((resolve) => server.once('request', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Headers;
  body?: object;
  /** The client gives up (destroys its socket) when this resolves. */
  abortWhen?: Promise<unknown>;
}

/** One request over a fresh connection (no keep-alive agent), as curl would make it. */
export function rawRequest(port: number, request: RawRequest = {}): Promise<RawOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method ?? 'POST',
        path: request.path ?? '/api/generate',
        agent: false,
        headers: {
          Authorization: `Bearer ${DEV_KEY}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...request.headers,
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () =>
          resolve({
            kind: 'response',
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data,
            elapsedMs: elapsed(),
          }),
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ kind: 'error', code: e.code, message: e.message, elapsedMs: elapsed() }),
        );
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ kind: 'error', code: e.code, message: e.message, elapsedMs: elapsed() }),
    );
    void request.abortWhen?.then(() =>
      req.destroy(Object.assign(new Error('client gave up'), { code: 'ABORTED' })),
    );
    req.end(body);
  });
}

/** Resolves after `ms` of real time: only for a client's own patience, never for the simulator. */
export const clientPatience = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
