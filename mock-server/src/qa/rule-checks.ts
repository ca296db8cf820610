/**
 * What a fault rule must be beyond its schema (control-api.yaml's FaultRuleInput), checked wherever
 * rules come in: `POST /__mock/faults`, `POST /__mock/scenario` and `--scenario` at start.
 *
 * A rule is stored only when every part of it can act: a rule that would act as a part of itself
 * (a status with a task: the status answers, the task is never made) or never at all (a task on the
 * status route) is refused, saying why, rather than quietly doing less than it says.
 */
import type { operations } from '../../../generated/dreamcore-api.js';
import type { FieldError } from '../domain/wire-types.js';
import type { SpecOperation } from '../http/load-spec.js';
import type { FaultRuleInput } from './fault-rules.js';

/**
 * The only operation that creates a task, so the only one a task rule can shape (public-api.ts's
 * OPERATION_KINDS calls it `generate`; typed by the spec's operationIds, so a rename fails here too).
 */
const TASK_OPERATION = 'createGenerationTask' satisfies keyof operations;

/** What a rule's match reaches among the spec's operations. */
export interface RuleReach {
  /** `METHOD path` of each operation reached; empty when the match reaches none. */
  routes: string[];
  /** Whether one of them creates a task (a task rule needs one). */
  createsTask: boolean;
}

/** The spec's operations as a rule sees them (ruleStatusChecker makes one). */
export interface RuleStatusChecker {
  /** undefined when the rule's status is allowed on every route it matches, else the allowed statuses. */
  (match: FaultRuleInput['match'], status: number): number[] | undefined;
  reach(match: FaultRuleInput['match']): RuleReach;
}

export interface RuleCheckOptions {
  ruleStatuses: RuleStatusChecker;
  /** Proxy and replay modes: a real (or recorded) task cannot be shaped, so task rules are refused. */
  mode?: 'proxy' | 'replay' | undefined;
}

/**
 * Whether a rule's action changes anything. The schema refuses an empty action and an empty task; an
 * action whose only property is a delay of 0 or a Retry-After without a status is refused here, so a
 * rule that would only mark requests as injected is never stored.
 */
function doesSomething(action: FaultRuleInput['action']): boolean {
  return (
    action.status !== undefined ||
    action.fault !== undefined ||
    action.task !== undefined ||
    (action.delayMs ?? 0) > 0
  );
}

/** Each pair of parts of which only the first would act, and why: the answer comes before the second. */
const EXCLUSIVE: ReadonlyArray<[first: 'status' | 'fault', second: 'fault' | 'task', why: string]> = [
  ['status', 'fault', 'a rule answers with a status or breaks the connection, not both'],
  ['status', 'task', 'a forced status answers before any task exists'],
  ['fault', 'task', 'a broken connection answers before any task exists'],
];

/** The statuses whose answer carries Retry-After (forced-errors.ts). */
const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];

/** The problems of one rule, each named from `prefix` (`body`, `body.rules[3]`); empty when it is fine. */
export function ruleProblems(
  input: FaultRuleInput,
  options: RuleCheckOptions,
  prefix = 'body',
): FieldError[] {
  const problems: FieldError[] = [];
  const { action } = input;
  const reach = options.ruleStatuses.reach(input.match);
  if (!doesSomething(action)) {
    problems.push({
      field: `${prefix}.action`,
      message:
        'does nothing: give a status, a fault, a delayMs above 0 or a task (retryAfterSeconds only goes with status 429 or 503)',
    });
  }
  for (const [first, second, why] of EXCLUSIVE) {
    if (action[first] !== undefined && action[second] !== undefined)
      problems.push({
        field: `${prefix}.action`,
        message: `${first} and ${second} cannot go together: ${why}; make two rules`,
      });
  }
  if (action.message !== undefined && action.status === undefined) {
    problems.push({
      field: `${prefix}.action.message`,
      message: 'is the message of a forced status: give a status',
    });
  }
  if (
    action.retryAfterSeconds !== undefined &&
    (action.status === undefined || !RETRY_AFTER_STATUSES.includes(action.status))
  ) {
    problems.push({
      field: `${prefix}.action.retryAfterSeconds`,
      message: `is the Retry-After of a forced ${RETRY_AFTER_STATUSES.join(' or ')}: give one of those statuses, or leave it out`,
    });
  }
  if (reach.routes.length === 0) {
    const { method, path } = input.match ?? {};
    problems.push({
      field: `${prefix}.match`,
      message: `reaches no route: ${method ?? 'any method'} ${path ?? 'any path'} is not an operation of the API (${options.ruleStatuses.reach({}).routes.join(', ')})`,
    });
  } else if (action.status !== undefined) {
    const allowed = options.ruleStatuses(input.match, action.status);
    if (allowed) {
      problems.push({
        field: `${prefix}.action.status`,
        message: `must be an error status the spec lists for every route the rule matches: ${allowed.join(', ')}`,
      });
    }
  }
  if (action.task !== undefined && reach.routes.length > 0 && !reach.createsTask) {
    problems.push({
      field: `${prefix}.action.task`,
      message: `never acts: only POST /api/generate creates a task, and this rule matches ${reach.routes.join(', ')}; match POST /api/generate (or leave method and path out)`,
    });
  }
  if (action.task !== undefined && options.mode !== undefined) {
    problems.push({
      field: `${prefix}.action.task`,
      message: `cannot shape a task in ${options.mode} mode: the ${options.mode === 'proxy' ? 'live API runs' : 'cassette recorded'} it (status, fault and delay rules still apply)`,
    });
  }
  return problems;
}

/** The error statuses the spec lists for an operation: the only ones a fault may force there. */
export function errorStatuses(op: Pick<SpecOperation, 'operation'>): Set<number> {
  return new Set(
    Object.keys(op.operation.responses)
      .map(Number)
      .filter((s) => s >= 400),
  );
}

/**
 * Checks a fault rule's status against every operation its match can reach: a rule may only force a
 * status the spec lets all of them answer, so a rule never makes the simulator break its own contract.
 * Returns undefined when allowed, else the statuses that are; `reach` says what the match reaches.
 */
export function ruleStatusChecker(operations: readonly SpecOperation[]): RuleStatusChecker {
  const reachable = (match: { method?: string; path?: string } = {}) =>
    operations.filter(
      (op) =>
        (match.method === undefined || op.method.toUpperCase() === match.method.toUpperCase()) &&
        (match.path === undefined || op.path === match.path),
    );
  const check = (match: { method?: string; path?: string } = {}, status: number): number[] | undefined => {
    const reached = reachable(match);
    if (reached.length === 0) return [];
    const allowed = [...errorStatuses(reached[0]!)].filter((s) =>
      reached.every((op) => errorStatuses(op).has(s)),
    );
    return allowed.includes(status) ? undefined : allowed.sort((a, b) => a - b);
  };
  return Object.assign(check, {
    reach: (match: { method?: string; path?: string } = {}): RuleReach => {
      const reached = reachable(match);
      return {
        routes: reached.map((op) => `${op.method.toUpperCase()} ${op.path}`),
        createsTask: reached.some((op) => op.operationId === TASK_OPERATION),
      };
    },
  });
}
