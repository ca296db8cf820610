/**
 * How a generate request's task is shaped by QA, and when a task-shaping fault rule is spent:
 * the edge's scenario (header or rule, decided by fault injection) wins over the prompt's markers,
 * and a rule counts only once a task has really been created.
 */
import type { Request } from 'express';
import type { TaskScenario } from '../../domain/simulator.js';
import { decodePromptMarkers } from '../../qa/prompt-markers.js';
import type { QaState } from '../../qa/qa-state.js';
import { errors } from '../errors.js';
import { worldOf } from '../world.js';
import type { QaLocals } from './fault-injection.js';

export function taskScenarioHooks(qa: QaState) {
  return {
    /** Markers are honoured only while fault headers are on, like the headers themselves. */
    scenarioOf(req: Request, locals: Record<string, unknown>): TaskScenario | undefined {
      const fromEdge = (locals as QaLocals).scenario;
      if (!qa.options.faultHeaders) return fromEdge;
      const markers = decodePromptMarkers((req.body as { prompt?: string }).prompt ?? '');
      if (markers.problems.length > 0) throw errors.invalidRequest(markers.problems);
      return markers.scenario || fromEdge ? { ...markers.scenario, ...fromEdge } : undefined;
    },
    async onTaskCreated(locals: Record<string, unknown>): Promise<void> {
      const ruleId = (locals as QaLocals).pendingRuleId;
      if (ruleId) await worldOf(locals).store.consumeRule(ruleId);
    },
  };
}
