/**
 * What a fault rule's match reaches, for the rule form: the public operations and the error statuses
 * each lists, read from the API's own document (`GET /docs/openapi.json`), with the same logic as the
 * simulator's checks (mock-server/src/qa/rule-checks.ts): a status must be listed by every route the
 * match reaches, and a task rule must reach the one operation that creates a task.
 */
import type { operations } from '../../generated/dreamcore-api.js';
import type { FaultRuleInput } from './api.js';

export type RuleStatus = NonNullable<FaultRuleInput['action']['status']>;
export type RuleMethod = NonNullable<NonNullable<FaultRuleInput['match']>['method']>;
export type RulePath = NonNullable<NonNullable<FaultRuleInput['match']>['path']>;

/** Every status a rule may force (control-api.yaml's FaultAction.status), in order. */
export const RULE_STATUSES = [400, 401, 402, 404, 413, 415, 429, 500, 503] as const satisfies RuleStatus[];
// A status the control API adds to the enum fails the type check here until it is listed above.
const EVERY_STATUS: Exclude<RuleStatus, (typeof RULE_STATUSES)[number]> extends never ? true : never = true;
void EVERY_STATUS;

export const RULE_METHODS = ['GET', 'POST'] as const satisfies RuleMethod[];
export const RULE_PATHS = ['/api/generate', '/api/status'] as const satisfies RulePath[];

/** The only operation that creates a task (rule-checks.ts TASK_OPERATION). */
const TASK_OPERATION = 'createGenerationTask' satisfies keyof operations;

/** Statuses whose forced answer carries Retry-After (rule-checks.ts). */
export const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];

export interface RuleRoute {
  method: RuleMethod;
  path: RulePath;
  createsTask: boolean;
  statuses: readonly number[];
}

export interface RuleMatch {
  method: RuleMethod | '';
  path: RulePath | '';
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
}

let loaded: Promise<RuleRoute[]> | undefined;

/** The public routes, read once per page. */
export function ruleRoutes(): Promise<RuleRoute[]> {
  loaded ??= fetch('/docs/openapi.json')
    .then((res) => {
      if (!res.ok) throw new Error(`/docs/openapi.json answered ${res.status}`);
      return res.json() as Promise<OpenApiDocument>;
    })
    .then((doc) =>
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => (RULE_METHODS as readonly string[]).includes(method.toUpperCase()))
          .map(([method, op]) => ({
            method: method.toUpperCase() as RuleMethod,
            path: path as RulePath,
            createsTask: op.operationId === TASK_OPERATION,
            statuses: Object.keys(op.responses ?? {})
              .map(Number)
              .filter((s) => s >= 400),
          })),
      ),
    );
  loaded.catch(() => (loaded = undefined)); // the next form tries again
  return loaded;
}

export function reach(routes: readonly RuleRoute[], match: RuleMatch): RuleRoute[] {
  return routes.filter(
    (r) => (match.method === '' || r.method === match.method) && (match.path === '' || r.path === match.path),
  );
}

/** The statuses a rule with this match may force: those every route it reaches lists. */
export function allowedStatuses(routes: readonly RuleRoute[], match: RuleMatch): RuleStatus[] {
  const reached = reach(routes, match);
  if (reached.length === 0) return [];
  return RULE_STATUSES.filter((s) => reached.every((r) => r.statuses.includes(s)));
}

/** The match of the operation that creates a task (what a task rule matches). */
export function taskMatch(routes: readonly RuleRoute[]): RuleMatch {
  const route = routes.find((r) => r.createsTask);
  return route ? { method: route.method, path: route.path } : { method: 'POST', path: '/api/generate' };
}
