/**
 * abandoned-task: a task paid for, whose planned end (or QA's forced end) is `grace_ms` or more
 * past at report time, that no poll ever read as SUCCESS or FAILED.
 *
 * Its credits were spent (or refunded) and its images never fetched: the client fired and forgot, or
 * gave up polling too soon. Judged at report time, from the tasks the judge remembers; a task that
 * ends on its n-th poll has no planned time, so it is only judged when QA ended it. A task whose last
 * poll QA answered with a client error (a forced 404, 401 or 400) is left out: stopping was right,
 * and what the simulator does on its own is never a finding.
 *
 * Default `grace_ms` 10,000: a report may be read while a client is still at work (a console, a long
 * job), and a client polling at the reference client's pace (at most 6 s apart) reads a finished task
 * within that, with room for one 429 pause. On a virtual clock, a test that moved the clock 10 s past
 * the end without reading the task gets the finding.
 */
import { plannedEnd } from '../facts.js';
import type { Example } from '../facts.js';
import { count, defineRule, duration } from './rule.js';

export const abandonedTask = defineRule({
  id: 'abandoned-task',
  severity: 'warning',
  defaults: { grace_ms: 10_000 },
  bounds: { grace_ms: { min: 0, max: 86_400_000, integer: true } },
  summary: 'A paid task that ended (by its plan or by QA) and was never read as SUCCESS or FAILED.',
  message: (n, s) =>
    `${count(n, 'task')} ended more than ${duration(s.grace_ms)} before the report and no poll ever read ${n === 1 ? 'it' : 'them'} as SUCCESS or FAILED. ` +
    'Poll each task you paid for until it is SUCCESS (fetch its images) or FAILED (its credits come back), ' +
    'or the credits are spent for nothing.',
  atReport({ now, tasks }, s) {
    const out: Example[] = [];
    for (const [taskId, task] of tasks) {
      if (task.createdAt === null || task.plan === null || task.terminalReadAt !== null) continue;
      if (task.lastPollRefused) continue;
      const end = plannedEnd(task);
      if (end === null || end + s.grace_ms > now) continue;
      const outcome = task.forcedEnd?.status ?? (task.plan.outcome === 'failed' ? 'FAILED' : 'SUCCESS');
      out.push({
        journalId: task.journalId,
        operation: 'createGenerationTask',
        status: 200,
        fault: null,
        taskStatus: null,
        at: task.createdAt,
        keyLabel: task.keyLabel,
        taskId,
        detail: `ended ${outcome} ${duration(now - end)} before the report, never read`,
      });
    }
    return out.sort((a, b) => a.at - b.at || a.taskId!.localeCompare(b.taskId!));
  },
});
