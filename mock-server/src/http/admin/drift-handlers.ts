/** GET/DELETE /__mock/drift and POST /__mock/scenario: wire <-> the drift summaries and the rule book. */
import type { RequestHandler } from 'express';
import type { DriftSummaries } from '../../drift/drift-summary.js';
import type { DriftFinding } from '../../drift/spec-drift.js';
import { displayTarget } from '../../proxy/display.js';
import { CREDIT_BUDGET, type GatewayInfo } from '../../proxy/gateway.js';
import type { FaultRule, FaultRuleInput } from '../../qa/fault-rules.js';
import { ruleProblems, type RuleCheckOptions } from '../../qa/rule-checks.js';
import { success } from '../envelope.js';
import { errors } from '../errors.js';
import { worldOf } from '../context.js';

export interface DriftHandlerDeps {
  summaries: DriftSummaries;
  /** undefined when the simulator answers itself. */
  gateway: GatewayInfo | undefined;
  rules: RuleCheckOptions;
  ruleView: (rule: FaultRule) => unknown;
}

function findingView(f: DriftFinding) {
  return {
    side: f.side,
    kind: f.kind,
    where: f.where,
    message: f.message,
    provenance: f.provenance,
    pointer: f.pointer,
    ...(f.schemaPath === undefined ? {} : { schema_path: f.schemaPath }),
  };
}

export function journalDriftView(drift: readonly DriftFinding[] | undefined) {
  return drift === undefined || drift.length === 0 ? {} : { drift: drift.map(findingView) };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function driftHandlers(
  deps: DriftHandlerDeps,
): Record<'getDrift' | 'clearDrift' | 'loadScenario', RequestHandler> {
  const { gateway } = deps;
  return {
    getDrift: async (_req, res) => {
      const world = worldOf(res);
      const summary = deps.summaries.summary(world.id);
      const credits =
        gateway?.maxCredits === undefined
          ? null
          : { limit: gateway.maxCredits, forwarded: await world.qa.readBudget(CREDIT_BUDGET) };
      res.json(
        success({
          mode: gateway?.mode ?? ('off' as const),
          target: gateway ? displayTarget(gateway.target) : null,
          strict: gateway?.strict ?? false,
          credits,
          ...(summary.since === undefined ? {} : { since: iso(summary.since) }),
          exchanges: summary.exchanges,
          exchanges_with_drift: summary.exchangesWithDrift,
          findings: summary.findings,
          by_place: summary.byPlace.map((p) => ({
            side: p.side,
            kind: p.kind,
            where: p.where,
            pointer: p.pointer,
            ...(p.schemaPath === undefined ? {} : { schema_path: p.schemaPath }),
            provenance: p.provenance,
            count: p.count,
            last_message: p.lastMessage,
            last_seen_at: iso(p.lastAt),
          })),
          recent: summary.recent.map((e) => ({
            at: iso(e.at),
            method: e.method,
            path: e.path,
            status: e.status,
            findings: e.findings.map(findingView),
          })),
        }),
      );
    },

    clearDrift: (_req, res) => {
      res.json(success({ removed: deps.summaries.clear(worldOf(res).id) }));
    },

    // Every rule is checked before any is added: a scenario goes in whole, or not at all.
    loadScenario: async (req, res) => {
      const rules = (req.body as { rules: FaultRuleInput[] }).rules;
      const problems = rules.flatMap((rule, i) => ruleProblems(rule, deps.rules, `body.rules[${i}]`));
      if (problems.length > 0) throw errors.invalidRequest(problems.slice(0, 20));
      const { qa } = worldOf(res);
      const added: FaultRule[] = [];
      try {
        for (const rule of rules) added.push(await qa.addRule(rule));
      } catch (err) {
        // Refused part way (a limit of the world: --max-rules, its memory): the ones added go again.
        for (const rule of added) await qa.removeRule(rule.id);
        throw err;
      }
      res.status(201).json(success({ rules: added.map(deps.ruleView) }, 201));
    },
  };
}
