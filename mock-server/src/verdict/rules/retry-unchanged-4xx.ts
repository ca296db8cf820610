/**
 * retry-unchanged-4xx: the same request (same key, method, path, query and body) sent again after a
 * 400, 401, 402 or 404 that nothing in between could have changed.
 *
 * What could change the answer, and so excuses a repeat:
 * - 402: the balance was raised (a balance set, a refund of one of the key's failed tasks, or the
 *   repeat's own answer shows a higher balance than the 402 reported);
 * - 401: the key was created (a balance set through the control API creates it);
 * - an answer QA injected (a header, a fault rule, chaos): a rule may run out, so trying again is fair.
 * 400 and 404 depend only on the request (a malformed body, a task id that is not the key's), so
 * nothing excuses them. When the judge forgot keys it can no longer rule out a change: it does not
 * flag a 401 or 402 repeat of a key it does not remember.
 *
 * Default statuses [400, 401, 402, 404]: the client errors that the request itself decides. Not 413
 * or 415: the digest does not cover headers (Content-Type), so a corrected header looks unchanged.
 */
import type { KeyFacts, LastAnswer } from '../facts.js';
import type { Observation } from '../observation.js';
import { sentAfter } from '../observation.js';
import { count, defineRule } from './rule.js';

export const retryUnchanged4xx = defineRule({
  id: 'retry-unchanged-4xx',
  severity: 'warning',
  defaults: { statuses: [400, 401, 402, 404] },
  bounds: { statuses: { min: 400, max: 499, integer: true } },
  summary: 'The same request sent again, unchanged, after a 4xx that nothing in between could have changed.',
  message: (n, s) =>
    `${count(n, 'request')} repeated a request unchanged after a ${s.statuses.join(', ')} answer that nothing in between could change. ` +
    'Do not retry a client error as it is: fix the request (400), the key (401), top up the balance first (402), ' +
    'or stop asking for that task (404). The same request gets the same answer.',
  onObservation({ o, key, request, keysForgotten }, s) {
    if (request === undefined) return null;
    const last = request.last;
    if (last.injected || last.fault !== null || !s.statuses.includes(last.status)) return null;
    if (!sentAfter(o, last.seq, last.answeredAt)) return null;
    if (couldHaveChanged(last, o, key, keysForgotten)) return null;
    return `the same request again after a ${last.status}${last.journalId !== null ? ` (journal ${last.journalId})` : ''}`;
  },
});

function couldHaveChanged(
  last: LastAnswer,
  o: Observation,
  key: KeyFacts | undefined,
  keysForgotten: boolean,
): boolean {
  if (last.status !== 401 && last.status !== 402) return false;
  if (key === undefined) return keysForgotten;
  if (key.accountChangedAt !== null && key.accountChangedAt >= last.answeredAt) return true;
  if (last.status === 401) return false;
  const before = balanceBefore(o);
  if (before !== null && last.balance !== null) return before > last.balance;
  return key.refundsPendingUntil !== null && key.refundsPendingUntil > last.answeredAt;
}

/** The key's balance when the repeat arrived, when its answer tells it. */
function balanceBefore(o: Observation): number | null {
  if (o.balance === null) return null;
  if (o.status === 200 && o.price !== null) return o.balance + o.price;
  if (o.status === 402) return o.balance;
  return null;
}
