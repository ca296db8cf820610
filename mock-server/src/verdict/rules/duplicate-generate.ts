/**
 * duplicate-generate: the same paid request (same key, same body) accepted twice within
 * `window_ms`, while the first task was not FAILED: a likely double charge.
 *
 * The API has no idempotency key, so a generate resent after a timeout or a dropped connection is
 * charged again when the first one had been accepted (the answer was lost, not the request). "Not
 * FAILED" is judged from what the simulator knew: the first task's plan (failed by then), a poll that
 * read it FAILED, or QA failing it; a first task that failed is refunded, and asking again is right.
 *
 * Default `window_ms` 60,000: it covers a client's request timeout (30 s is common) plus its retry
 * backoff, the usual path to a double charge; a deliberate second render of the same prompt a
 * minute or more later is not flagged. Sending the same body twice on purpose within a minute is
 * possible (two variations of one prompt): a suite that does it lowers this rule's severity or turns it off.
 */
import { failedBy } from '../facts.js';
import { isAcceptedGenerate } from '../observation.js';
import { count, defineRule, duration } from './rule.js';

export const duplicateGenerate = defineRule({
  id: 'duplicate-generate',
  severity: 'error',
  defaults: { window_ms: 60_000 },
  bounds: { window_ms: { min: 0, max: 86_400_000, integer: true } },
  summary:
    'The same paid generate (same key and body) accepted twice within window_ms while the first task had not failed.',
  message: (n, s) =>
    `${count(n, 'generate')} accepted and charged the same request again within ${duration(s.window_ms)}, while the first task ` +
    'was not FAILED: a likely double charge. After a timeout or a broken connection, look for the first task ' +
    '(it may have been accepted) before sending a paid request again, and never resend one that was accepted.',
  onObservation({ o, paid, paidTask }, s) {
    if (!isAcceptedGenerate(o) || paid === undefined || paid.taskId === o.taskId) return null;
    if (Math.abs(o.at - paid.at) > s.window_ms) return null;
    if (paidTask === undefined || failedBy(paidTask, o.at)) return null;
    return `charged again ${duration(Math.abs(o.at - paid.at))} after task ${paid.taskId}, which had not failed`;
  },
});
