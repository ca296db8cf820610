/**
 * How QA faults behave (from the configuration): which headers are honoured, the delay cap, chaos and
 * the rate limits. The state they act on (fault rules and their counters, rate-limit buckets, the
 * chaos stream's counter, the journal) is in the world's Store, so a reset puts it back and a fleet
 * shares it.
 */
import type { ChaosConfig, RateLimitConfig } from '../config.js';
import { counterDraw } from '../domain/rng.js';
import type { Store } from '../store/store.js';

export interface QaOptions {
  rateLimit: RateLimitConfig | 'off';
  chaos: ChaosConfig;
  faultHeaders: boolean;
  maxDelayMs: number;
  /** Journal entries kept per world (0: off); for the journal's `capacity` field. */
  journalSize: number;
  /** Journal waits and streams held at once per world, per process (beyond: 429); default 64 each. */
  journalFollowers?: { maxWaits: number; maxStreams: number };
}

export class QaState {
  constructor(readonly options: QaOptions) {}

  get chaosEnabled(): boolean {
    const { error500, error429 } = this.options.chaos;
    return error500 > 0 || error429 > 0;
  }

  /** A chaos verdict for one public request: draw n of the world's seeded `chaos` stream. */
  async chaosStatus(store: Store, seed: string): Promise<500 | 429 | undefined> {
    if (!this.chaosEnabled) return undefined;
    const { error500, error429 } = this.options.chaos;
    const draw = counterDraw(seed, 'chaos', await store.nextCounter('chaos'));
    if (draw < error500) return 500;
    if (draw < error500 + error429) return 429;
    return undefined;
  }
}
