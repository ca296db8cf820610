/**
 * Real simulator processes on a redis-server of a test's own, and what the fleet tests ask of them:
 * one request with how long its answer took (a bound on a hang, never a speed goal), the books
 * (`GET /__mock/invariants`), and a wait for a real event (a process, Redis coming back) with a bound.
 */
import { expect } from 'vitest';
import { presetOf, priceOf } from '../../mock-server/src/domain/pricing.js';
import type { GenerateRequest } from '../../mock-server/src/domain/wire-types.js';
import { spawnSimulator, type SimulatorProcess } from '../support/spawn-simulator.js';
import type { RedisServer } from '../support/redis-server.js';

export const KEY = 'sk-fleet-load-00000001';
export const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;
/** What one generate of `BODY` costs, for balance checks. */
export const PRICE = priceOf(presetOf(BODY as GenerateRequest));

const started: Array<{ stop(): Promise<unknown> }> = [];

/** Stops it with the others at the end of the test (afterEach: `stopStarted`). */
export function track<T extends { stop(): Promise<unknown> }>(process: T): T {
  started.push(process);
  return process;
}

export async function stopStarted(): Promise<void> {
  await Promise.all(started.splice(0).map((p) => p.stop().catch(() => undefined)));
}

/** `n` replicas of the default world on `redis`, each a process of its own, `KEY` funded with 1,000,000. */
export async function replicas(
  redis: RedisServer,
  n: number,
  extra: string[] = [],
): Promise<SimulatorProcess[]> {
  const args = [
    '--store=redis',
    `--redis-url=${redis.url}`,
    '--clock=virtual',
    '--seed=fleet',
    '--rate-limit=off',
    '--request-log=off',
    '--log-level=warn',
    `--key=${KEY}=1000000`,
    ...extra,
  ];
  const out: SimulatorProcess[] = [];
  for (let i = 0; i < n; i++) out.push(track(await spawnSimulator(args)));
  return out;
}

export interface Answer {
  status: number;
  retryAfter: string | null;
  elapsedMs: number;
  body?: { code?: number; message?: string; data?: Record<string, unknown> };
}

/** One request with `KEY`; status 0 when no answer came within `timeoutMs` (a dead replica, a hang). */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: Answer['body'];
    try {
      parsed = JSON.parse(text) as Answer['body'];
    } catch {
      parsed = undefined;
    }
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      elapsedMs: performance.now() - t0,
      ...(parsed ? { body: parsed } : {}),
    };
  } catch {
    return { status: 0, retryAfter: null, elapsedMs: performance.now() - t0 };
  }
}

export async function json(url: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${url}${path}`, init);
  return (await res.json()) as { data: Record<string, unknown> };
}

export async function expectBooksHold(url: string) {
  const report = (await json(url, '/__mock/invariants')).data;
  expect(report).toMatchObject({ ok: true, problems: [] });
  return report;
}

/** Polls until `check` passes or the bound is over (for real events: a process, Redis coming back). */
export async function eventually(
  check: () => Promise<boolean>,
  boundMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
