/**
 * Shared plumbing of the property tests: one seed for fast-check and faker, a loopback server
 * around an app, and a minimum length for command sequences that still lets them shrink freely.
 *
 * Replaying a failure: fast-check prints `seed` and `path` on failure. Run the same file with
 * `FC_SEED=<seed> npx vitest run --project unit <file>` to replay the whole run from that seed
 * (add `FC_PATH=<path>` to jump straight to the shrunk counterexample).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import fc from 'fast-check';

const DEFAULT_SEED = 20_250_614;

/** The seed of this run: `FC_SEED` when set (to replay), else a fixed default so CI is reproducible. */
export const FC_SEED: number = (() => {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FC_SEED must be an integer, got "${raw}"`);
  return n;
})();

/** fast-check parameters with the run's seed (and `FC_PATH`, to replay a shrunk counterexample). */
export function fcParams<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const path = process.env.FC_PATH;
  return {
    seed: FC_SEED,
    numRuns,
    verbose: 1,
    ...(path ? { path } : {}),
    ...extra,
  };
}

export interface Listening {
  server: Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** Listens on loopback only (never beyond it) on a free port. */
export async function listenOnLoopback(app: Express, backlog = 511): Promise<Listening> {
  const server = app.listen(0, '127.0.0.1', backlog);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `inner`, generated until a value is at least `min` long, but shrunk without that bound: a failing
 * sequence of 30 commands may shrink to the 2 that matter (a `.filter` would forbid it).
 */
class AtLeast<T extends Iterable<unknown>> extends fc.Arbitrary<T> {
  constructor(
    private readonly inner: fc.Arbitrary<T>,
    private readonly min: number,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    for (;;) {
      const value = this.inner.generate(mrng, biasFactor);
      if ([...value.value_].length >= this.min) return value;
    }
  }

  canShrinkWithoutContext(value: unknown): value is T {
    return this.inner.canShrinkWithoutContext(value);
  }

  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    return this.inner.shrink(value, context);
  }
}

export function atLeast<T extends Iterable<unknown>>(inner: fc.Arbitrary<T>, min: number): fc.Arbitrary<T> {
  return new AtLeast(inner, min);
}
