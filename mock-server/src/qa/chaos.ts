/**
 * Chaos (`--chaos 500=0.05,429=0.02`): a request answered 500 or 429 at random, drawn from the world's
 * seeded `chaos` stream. The Redis store's admit script decides the same way (store/redis/lua.ts).
 */
import type { ChaosOdds } from '../store/store.js';

/** Chaos's verdict for draw `draw` in [0, 1): a 500 below `error500`, a 429 in the next `error429`. */
export function chaosVerdict(odds: ChaosOdds, draw: number): 500 | 429 | undefined {
  if (draw < odds.error500) return 500;
  if (draw < odds.error500 + odds.error429) return 429;
  return undefined;
}

export function chaosOn(odds: ChaosOdds | undefined): odds is ChaosOdds {
  return odds !== undefined && (odds.error500 > 0 || odds.error429 > 0);
}
