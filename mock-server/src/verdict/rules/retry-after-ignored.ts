/**
 * retry-after-ignored: a request sent after a 429 or 503 with Retry-After was answered, and before
 * that Retry-After had passed.
 *
 * Scope: a 429 limits the route it answered (the simulator, like the provider, keeps one token
 * bucket per key and route: polling on while a generate is throttled is right); a 503 says the whole
 * service is unavailable, so it holds every route of the key. A request already in flight when the
 * answer was given is not a reaction to it (Observation.afterSeq, sentAfter).
 *
 * Default `tolerance_ms` 50: Retry-After is whole seconds and timers fire to the millisecond, a little
 * early at times (Node's timers run off a loop time cached at the start of each turn); 50 ms forgives
 * that and nothing a client ignoring the header does (it comes back within its own backoff, which has
 * nothing to do with the header, or at once).
 */
import { OPERATION_GROUP } from '../observation.js';
import { sentAfter } from '../observation.js';
import { count, defineRule, duration } from './rule.js';

export const retryAfterIgnored = defineRule({
  id: 'retry-after-ignored',
  severity: 'error',
  defaults: { tolerance_ms: 50 },
  bounds: { tolerance_ms: { min: 0, max: 60_000, integer: true } },
  summary: 'A request sent before the Retry-After of a 429 or 503 it had been given had passed.',
  message: (n) =>
    `${count(n, 'request')} went out before the Retry-After of a 429 or 503 the key had been given had passed. ` +
    'Wait at least Retry-After seconds from the answer before sending again: on the route that answered 429, ' +
    'on every route after a 503. A request sooner is refused again and, against the real provider, may get the key blocked.',
  onObservation({ o, key }, s) {
    if (key === undefined) return null;
    const group = OPERATION_GROUP[o.operation];
    for (const w of key.windows) {
      if (w.group !== null && w.group !== group) continue;
      if (!sentAfter(o, w.seq, w.from)) continue;
      if (o.at >= w.until - s.tolerance_ms) continue;
      return `sent ${duration(o.at - w.from)} after a ${w.status} that asked to wait ${w.retryAfterSeconds} s`;
    }
    return null;
  },
});
