/**
 * Everything QA can change at the edge, in one place, so POST /__mock/reset can put all of it back:
 * fault rules, rate-limit buckets, the chaos stream and the journal.
 * LIMITATION: this lives in the process; replicas sharing a Redis store would each have their own.
 */
import type { ChaosConfig, RateLimitConfig } from '../config.js';
import type { Rng } from '../domain/rng.js';
import { TokenBuckets } from '../domain/token-bucket.js';
import { FaultRuleBook } from './fault-rules.js';
import { Journal } from './journal.js';

export interface QaOptions {
  seed: string;
  createRng: (seed: string) => Rng;
  rateLimit: RateLimitConfig | 'off';
  chaos: ChaosConfig;
  faultHeaders: boolean;
  maxDelayMs: number;
  journalSize: number;
}

export class QaState {
  readonly rules: FaultRuleBook;
  readonly journal: Journal;
  readonly limits: { generate: TokenBuckets; status: TokenBuckets } | undefined;
  private chaosRng!: Rng;

  constructor(readonly options: QaOptions) {
    this.rules = new FaultRuleBook(this.rngFor('fault-rules'));
    this.journal = new Journal(options.journalSize);
    const { rateLimit } = options;
    this.limits =
      rateLimit === 'off'
        ? undefined
        : {
            generate: new TokenBuckets(rateLimit.generate.limit, rateLimit.generate.windowMs),
            status: new TokenBuckets(rateLimit.status.limit, rateLimit.status.windowMs),
          };
    this.chaosRng = this.rngFor('chaos');
  }

  /** A chaos verdict for one public request, drawn from the seeded stream. */
  chaosStatus(): 500 | 429 | undefined {
    const { error500, error429 } = this.options.chaos;
    if (error500 === 0 && error429 === 0) return undefined;
    const draw = this.chaosRng.next();
    if (draw < error500) return 500;
    if (draw < error500 + error429) return 429;
    return undefined;
  }

  reset(): void {
    this.rules.reset(this.rngFor('fault-rules'));
    this.journal.clear();
    this.limits?.generate.clear();
    this.limits?.status.clear();
    this.chaosRng = this.rngFor('chaos');
  }

  private rngFor(label: string): Rng {
    return this.options.createRng(this.options.seed).fork(label);
  }
}
