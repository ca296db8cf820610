/**
 * no-backoff: a request that failed transiently (500, 503, a network fault) retried again and again
 * at a fixed pace (or at once), the wait not growing.
 *
 * "Not growing" is judged as "the same wait again": within `steady_tolerance_ms` or
 * `steady_tolerance_ratio` of the wait before it. A plain "not longer than the last wait" would flag
 * good clients: with full jitter (the reference client, AWS's advice) each wait is drawn from
 * [0, ceiling) with a ceiling that doubles, so a wait shorter than the one before is common (a quarter
 * of second retries). What betrays a client without backoff is the fixed interval: equal waits, to
 * the timer's noise, or none at all.
 *
 * Defaults: `min_steady_retries` 2, so the first retry's wait sets the pace and two more at that pace
 * are a finding (four attempts: one retry at a fixed pace is not yet a pattern). 10 ms or 2 % of the
 * wait absorbs the timer noise of a real clock (a virtual clock has none; an idle Node process fires a
 * 1 s timer within a few ms). A full-jitter client lands that close twice in a row rarely: 1 in 12,000
 * runs of three retries with the reference client's policy (1 s doubling to 16 s; 5 million runs
 * simulated). A retry that waited the failure's own Retry-After is paced by the server and
 * breaks the streak: a client that waits `Retry-After: 1` after each 503 is right to.
 */
import { MAX_RUN, stepAfter, type RetryStep } from '../facts.js';
import { isTransientFailure, sentAfter } from '../observation.js';
import { count, defineRule, duration } from './rule.js';

export const noBackoff = defineRule({
  id: 'no-backoff',
  severity: 'error',
  defaults: { min_steady_retries: 2, steady_tolerance_ms: 10, steady_tolerance_ratio: 0.02 },
  bounds: {
    min_steady_retries: { min: 1, max: MAX_RUN - 1, integer: true },
    steady_tolerance_ms: { min: 0, max: 10_000, integer: true },
    steady_tolerance_ratio: { min: 0, max: 1, integer: false },
  },
  summary:
    'A request that failed (500, 503, a network fault) retried at a fixed pace or at once, the wait never growing.',
  message: (n, s) =>
    `${count(n, 'retry', 'retries')} of a failed request came at the same pace as the retry before, ${s.min_steady_retries} or more in a row ` +
    '(the same request, after a 500, a 503 or a broken connection). Back off: make each wait longer than the last ' +
    '(exponential backoff, with jitter so that many clients do not retry together), and stop after a few attempts.',
  onObservation({ o, request }, s) {
    if (request === undefined || !isTransientFailure(request.last)) return null;
    if (!sentAfter(o, request.last.seq, request.last.answeredAt)) return null;
    const run = [...retryRun(request.run), stepAfter(request.last, o.at)];
    const streak = steadyStreak(run, s);
    if (streak < s.min_steady_retries) return null;
    const wait = run[run.length - 1]!.waitMs;
    return `retry ${run.length} of the same request, ${duration(wait)} after its last failure, as the retry before it`;
  },
});

function retryRun(run: readonly RetryStep[]): RetryStep[] {
  return run.slice(-(MAX_RUN - 1));
}

/** How many retries, ending with the last, each waited the same as the retry before it. */
function steadyStreak(
  run: readonly RetryStep[],
  s: { steady_tolerance_ms: number; steady_tolerance_ratio: number },
): number {
  let streak = 0;
  for (let i = run.length - 1; i >= 1; i--) {
    const step = run[i]!;
    const before = run[i - 1]!;
    if (step.retryAfterMs > 0 && step.waitMs >= step.retryAfterMs) break;
    const tolerance = Math.max(s.steady_tolerance_ms, s.steady_tolerance_ratio * before.waitMs);
    if (Math.abs(step.waitMs - before.waitMs) > tolerance) break;
    streak++;
  }
  return streak;
}
