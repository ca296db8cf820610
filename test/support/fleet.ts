/**
 * A fleet for tests: N simulator replicas on one Redis of the test's own, each with its own Redis
 * connection and its own loopback port, built exactly as `--store redis` builds one. Requests go to a
 * replica chosen at random (`http`, `url()`), as a load balancer would send them.
 */
import supertest from 'supertest';
import { listenOnLoopback, type Listening } from '../properties/support.js';
import { testSimulator, type TestSimulator } from './harness.js';
import type { RedisServer } from './redis-server.js';

export interface Replica {
  sim: TestSimulator;
  listening: Listening;
  url: string;
  http: ReturnType<typeof supertest>;
}

export interface Fleet {
  replicas: Replica[];
  /** A replica chosen at random for each request. */
  http: ReturnType<typeof supertest>;
  /** A replica's URL chosen at random. */
  url(): string;
  stop(): Promise<void>;
}

let fleets = 0;

export async function startFleet(
  redis: RedisServer,
  { replicas = 3, args = [] as string[] } = {},
): Promise<Fleet> {
  const prefix = `fleet${fleets++}-${process.pid}`;
  const started: Replica[] = [];
  for (let i = 0; i < replicas; i++) {
    const sim = await testSimulator([
      '--store=redis',
      `--redis-url=${redis.url}`,
      `--redis-prefix=${prefix}`,
      ...args,
    ]);
    const listening = await listenOnLoopback(sim.app);
    started.push({ sim, listening, url: listening.origin, http: supertest(listening.origin) });
  }
  const pick = () => started[Math.floor(Math.random() * started.length)]!;
  const http = new Proxy({} as ReturnType<typeof supertest>, {
    get:
      (_target, method: string) =>
      (...args: unknown[]) =>
        (pick().http as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
  });
  return {
    replicas: started,
    http,
    url: () => pick().url,
    stop: async () => {
      await Promise.all(started.map((r) => r.listening.close()));
      await Promise.all(started.map((r) => r.sim.backend.close()));
    },
  };
}
