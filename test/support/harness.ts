/**
 * A simulator for tests: the real composition (same config parser, same app) with a virtual
 * clock, a fixed seed, silent logs and response validation on; every response the test sees is
 * also checked against the spec by `conformance`.
 */
import supertest from 'supertest';
import { expect } from 'vitest';
import { compose, type Composition } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig, type Config } from '../../mock-server/src/config.js';
import { loadConformance, type SpecConformance } from './conformance.js';

export const BASE_ARGS = [
  '--clock=virtual',
  '--seed=test-seed',
  '--latency=fast',
  '--log-level=silent',
  '--request-log=off',
  '--validate-responses=on',
  '--rate-limit=off',
];

export interface TestSimulator extends Composition {
  config: Config;
  http: ReturnType<typeof supertest>;
  /** Authorization header of a key. */
  auth(key?: string): { Authorization: string };
  /** Moves the virtual clock. */
  advance(ms: number): void;
  balance(key?: string): Promise<number | undefined>;
  taskCount(): Promise<number>;
  /** Asserts the response conforms to the spec (status, content type, required headers, body). */
  conforms(res: supertest.Response): supertest.Response;
}

let conformance: Promise<SpecConformance> | undefined;

export async function testSimulator(
  extraArgs: string[] = [],
  overrides: Parameters<typeof compose>[1] = {},
): Promise<TestSimulator> {
  const config = parseConfig([...BASE_ARGS, ...extraArgs], {});
  const composition = await compose(config, overrides);
  const spec = await (conformance ??= loadConformance());
  return {
    ...composition,
    config,
    http: supertest(composition.app),
    auth: (key = DEV_KEY) => ({ Authorization: `Bearer ${key}` }),
    advance: (ms) => void composition.clock.advance(ms),
    balance: async (key = DEV_KEY) => (await composition.simulator.account(key))?.account.balance,
    taskCount: () => composition.store.countTasks(),
    conforms(res) {
      const req = (res as unknown as { req: { method: string; path: string } }).req;
      expect(spec.check(req.method, req.path, res), `${req.method} ${req.path} -> ${res.status}`).toEqual([]);
      return res;
    },
  };
}

export const SAMPLE_REQUEST = {
  prompt: 'Cinematic photo of an obsidian smartwatch on a marble plinth, volumetric lighting',
  aspectRatio: '4:3',
  quality: 'high',
  imageUrls: [],
} as const;
