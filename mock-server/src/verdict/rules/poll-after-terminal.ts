/**
 * poll-after-terminal: a task polled again and again after a poll had read it as SUCCESS or FAILED.
 *
 * Terminal states never change (openapi.yaml, TaskStatus), so a poll after one is wasted. Default
 * `max_polls_after_terminal` 1: one more poll is tolerated (two pollers racing, a check before a
 * cleanup); the second and every later one is an occurrence. Polls already in flight when the
 * terminal answer was given do not count, nor polls by another key (they get 404 and are someone
 * else's mistake).
 */
import { OPERATION_GROUP, sentAfter } from '../observation.js';
import { count, defineRule } from './rule.js';

export const pollAfterTerminal = defineRule({
  id: 'poll-after-terminal',
  severity: 'warning',
  defaults: { max_polls_after_terminal: 1 },
  bounds: { max_polls_after_terminal: { min: 0, max: 1000, integer: true } },
  summary: 'A task polled again and again after a poll had read it as SUCCESS or FAILED.',
  message: (n, s) =>
    `${count(n, 'poll')} asked again for a task already read as SUCCESS or FAILED, beyond the ${s.max_polls_after_terminal} tolerated. ` +
    'Stop polling a task once it is SUCCESS or FAILED: those states never change.',
  onObservation({ o, keyId, task }, s) {
    if (OPERATION_GROUP[o.operation] !== 'status' || task === undefined || task.owner !== keyId) return null;
    if (task.terminalReadAt === null || task.terminalReadSeq === null) return null;
    if (!sentAfter(o, task.terminalReadSeq, task.terminalReadAt)) return null;
    const after = task.pollsAfterTerminal + 1;
    if (after <= s.max_polls_after_terminal) return null;
    return `poll ${after} of a task already read as ${task.terminalStatus}`;
  },
});
