/**
 * poll-too-fast: one task polled again sooner than `min_interval_ms` after its last poll, on the
 * world's clock.
 *
 * Only polls that follow an answered poll are judged (after a 429, a 500 or a broken connection the
 * pace is retry-after-ignored's and no-backoff's), and only until the task was read as finished
 * (then it is poll-after-terminal's). A task that ends on its n-th poll (`X-Mock-Polls`, a plan's
 * completeOnPoll) is left out: it exists for clients tested without a clock, whose polls all share
 * one instant of the world's clock, which then says nothing about the client's pace.
 *
 * Default 1,000 ms: a render takes 1.5 s at the simulator's fastest profile and 15 to 70 s upstream,
 * and every IN_PROGRESS poll makes the provider query the upstream again; the reference client polls
 * every 3 to 6 s. More than once a second buys nothing and spends the key's status rate limit
 * (60 per 10 s by default, shared by all its tasks).
 */
import { OPERATION_GROUP } from '../observation.js';
import { count, defineRule, duration } from './rule.js';

export const pollTooFast = defineRule({
  id: 'poll-too-fast',
  severity: 'warning',
  defaults: { min_interval_ms: 1000 },
  bounds: { min_interval_ms: { min: 0, max: 3_600_000, integer: true } },
  summary: 'One task polled more often than once per min_interval_ms.',
  message: (n, s) =>
    `${count(n, 'poll')} came less than ${duration(s.min_interval_ms)} after the previous poll of the same task. ` +
    'Poll at a steady, modest pace (a few seconds, growing for long renders): a faster poll does not make the render ' +
    'faster, it spends the rate limit that other tasks of the key need.',
  onObservation({ o, keyId, task }, s) {
    if (OPERATION_GROUP[o.operation] !== 'status' || task === undefined || task.owner !== keyId) return null;
    if (task.plan?.completeOnPoll != null || task.terminalReadAt !== null) return null;
    if (task.lastPollAt === null || !task.lastPollOk) return null;
    const interval = o.at - task.lastPollAt;
    if (interval >= s.min_interval_ms) return null;
    return `polled ${duration(Math.max(0, interval))} after the previous poll of this task`;
  },
});
