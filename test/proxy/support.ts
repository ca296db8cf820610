/**
 * The proxy's test bench: a second simulator as the "live" API (in this process, on loopback, knowing
 * only a live-looking key), the proxy in front of it (built as main.ts builds it, its logs captured),
 * and plain HTTP calls. A drifting stand-in (contracts/provider/rewriting-proxy.ts) can sit between.
 */
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Cassette, CassetteExchange, CassetteRequest } from '../../mock-server/src/cassette/cassette.js';
import { compose, createLogger, type Composition } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import type { DriftHooks } from '../../mock-server/src/drift/drift-summary.js';
import { ControlApi, type FaultRuleInput } from '../../contracts/provider/control-api.js';
import {
  closeServer,
  startSimulator,
  VERIFICATION_ARGS,
  type InProcessSimulator,
} from '../../contracts/provider/in-process-simulator.js';

/** The "real" key: the only one the live simulator knows. It must never appear outside a request. */
export const LIVE_KEY = 'sk-live-5c1e9a7f3b2d4680-never-leaves';
export const LIVE_BALANCE = 1000;

export const BODY = {
  prompt: 'A paper-cut fox in a snowy forest',
  aspectRatio: '4:3',
  quality: 'high',
} as const;

/** A basic-quality request (12 credits), and the provider's moderation failure, for recordings. */
export const LIGHTHOUSE = {
  prompt: 'A lighthouse at dawn, watercolour',
  aspectRatio: '1:1',
  quality: 'basic',
} as const;
export const FAILURE = 'The request failed because the output image may contain sensitive information.';

/** The live API's bad day, by the step of a recorded session it comes before: one rule each, once. */
export const BAD_DAY_FAULTS: Readonly<Record<string, FaultRuleInput>> = {
  'task fails': {
    match: { path: '/api/generate' },
    action: { task: { outcome: 'failed', errorMessage: FAILURE, durationMs: 20_000 } },
    times: 1,
  },
  'poll limited': { match: { path: '/api/status' }, action: { status: 429, retryAfterSeconds: 4 }, times: 1 },
  'generate fails': {
    match: { path: '/api/generate' },
    action: { status: 500, message: 'Upstream overloaded, retry later' },
    times: 1,
  },
};

/** The live API: a virtual clock, no rate limit, ids that a reset replays (to compare two runs). */
export function startLive(extra: readonly string[] = []): Promise<InProcessSimulator> {
  return startSimulator([
    ...VERIFICATION_ARGS,
    '--dev-key=off',
    `--key=${LIVE_KEY}=${LIVE_BALANCE}`,
    '--exact-replay=on',
    ...extra,
  ]);
}

export interface TestProxy {
  url: string;
  control: ControlApi;
  composition: Composition;
  /** Every log line the proxy wrote. */
  logs(): string;
  close(): Promise<void>;
}

/** The simulator in proxy (or replay) mode: `args` give `--proxy`/`--replay` and the rest. */
export async function startGatewaySimulator(args: readonly string[], hooks?: DriftHooks): Promise<TestProxy> {
  const config = parseConfig(
    [
      '--clock=virtual',
      '--seed=proxy-tests',
      '--log-level=trace',
      '--request-log=on',
      '--dev-key=off',
      // The control API's answers (the drift summary, journal entries with drift) held to its spec.
      '--validate-responses=on',
      ...args,
      '--host=127.0.0.1',
      '--port=0',
    ],
    {},
  );
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const composition = await compose(config, {
    logger: createLogger(config, sink),
    ...(hooks ? { driftHooks: hooks } : {}),
  });
  const server: Server = composition.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    control: new ControlApi(url),
    composition,
    logs: () => lines.join(''),
    close: () => closeServer(server),
  };
}

export function startProxy(target: string, extra: readonly string[] = [], hooks?: DriftHooks) {
  return startGatewaySimulator([`--proxy=${target}`, ...extra], hooks);
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function call(
  url: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** GET /__mock/drift's data. */
export async function driftOf(url: string) {
  return (await call(url, 'GET', '/__mock/drift')).json.data;
}

/** What a client sees of an answer: enough to compare two runs (ids, statuses, messages, headers). */
export function visible(answer: Answer) {
  const headers: Record<string, string> = {};
  for (const name of [
    'content-type',
    'retry-after',
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
  ]) {
    const value = answer.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: answer.status, headers, body: answer.json ?? answer.text };
}

/** A generate as a cassette records it (the live key's label), for crafted cassettes. */
export const RECORDED_GENERATE: CassetteRequest = {
  method: 'POST',
  path: '/api/generate',
  query: {},
  headers: { authorization: 'Bearer sk-l…aves', 'content-type': 'application/json' },
  body: BODY,
};

/**
 * A cassette as the recorder writes one, around the given exchanges (ids 1, 2, ... and offsets in
 * their order); `exchanges` are loose on purpose, to craft the malformed ones.
 */
export function cassetteOf(exchanges: ReadonlyArray<Record<string, unknown>>): Cassette {
  return {
    format: 'dreamcore-cassette',
    version: 1,
    target: 'https://api.example',
    recordedAt: '2026-01-01T00:00:00.000Z',
    recorder: 'dreamcore-simulator 0.1.0',
    exchanges: exchanges.map(
      (e, i) => ({ id: i + 1, startOffsetMs: i * 10, durationMs: 5, ...e }) as unknown as CassetteExchange,
    ),
  };
}

/** Writes a (possibly malformed) cassette as text, and returns its path. */
export function writeCassette(dir: string, name: string, cassette: Cassette | string): string {
  const file = join(dir, name);
  writeFileSync(file, typeof cassette === 'string' ? cassette : JSON.stringify(cassette, null, 2));
  return file;
}
