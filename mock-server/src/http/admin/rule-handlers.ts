/** GET/POST/DELETE /__mock/faults and DELETE /__mock/faults/{ruleId}: the world's fault rules. */
import type { RequestHandler } from 'express';
import type { FaultRuleInput } from '../../qa/fault-rules.js';
import { ruleProblems, type RuleCheckOptions } from '../../qa/rule-checks.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { errors } from '../errors.js';
import { notFound, pageOf, ruleView } from './control-views.js';

export function ruleHandlers(
  rules: RuleCheckOptions,
): Record<'listFaultRules' | 'createFaultRule' | 'clearFaultRules' | 'deleteFaultRule', RequestHandler> {
  return {
    listFaultRules: async (req, res) => {
      const all = await worldOf(res).qa.listRules(); // at most --max-rules
      const { offset, limit } = pageOf(req.query);
      res.json(success({ total: all.length, rules: all.slice(offset, offset + limit).map(ruleView) }));
    },

    createFaultRule: async (req, res) => {
      const input = req.body as FaultRuleInput;
      // The first problem, as before: a rule that does nothing is told so before anything else.
      const [problem] = ruleProblems(input, rules);
      if (problem) throw errors.invalidRequest([problem]);
      const rule = await worldOf(res).qa.addRule(input);
      res.status(201).json(success(ruleView(rule), 201));
    },

    clearFaultRules: async (_req, res) => {
      res.json(success({ removed: await worldOf(res).qa.clearRules() }));
    },

    deleteFaultRule: async (req, res) => {
      if (!(await worldOf(res).qa.removeRule(req.params.ruleId as string))) throw notFound('Fault rule');
      res.json(success({ removed: 1 }));
    },
  };
}
