/**
 * What a fault rule must be beyond its schema (control-api.yaml's FaultRuleInput), checked wherever
 * rules come in: `POST /__mock/faults`, `POST /__mock/scenario` and `--scenario` at start.
 */
import type { FieldError } from '../domain/wire-types.js';
import type { SpecOperation } from '../http/load-spec.js';
import type { FaultRuleInput } from './fault-rules.js';

export interface RuleCheckOptions {
  /** undefined when the rule's status is allowed on every route it matches, else the allowed statuses. */
  ruleStatuses: (match: FaultRuleInput['match'], status: number) => number[] | undefined;
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

/** The problems of one rule, each named from `prefix` (`body`, `body.rules[3]`); empty when it is fine. */
export function ruleProblems(
  input: FaultRuleInput,
  options: RuleCheckOptions,
  prefix = 'body',
): FieldError[] {
  const problems: FieldError[] = [];
  const { action } = input;
  if (!doesSomething(action)) {
    problems.push({
      field: `${prefix}.action`,
      message:
        'does nothing: give a status, a fault, a delayMs above 0 or a task (retryAfterSeconds only goes with status 429)',
    });
  }
  if (action.message !== undefined && action.status === undefined) {
    problems.push({
      field: `${prefix}.action.message`,
      message: 'is the message of a forced status: give a status',
    });
  }
  if (action.status !== undefined) {
    const allowed = options.ruleStatuses(input.match, action.status);
    if (allowed) {
      problems.push({
        field: `${prefix}.action.status`,
        message: `must be an error status the spec lists for every route the rule matches: ${allowed.join(', ') || '(none: the match reaches no route)'}`,
      });
    }
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
 * Returns undefined when allowed, else the statuses that are.
 */
export function ruleStatusChecker(operations: readonly SpecOperation[]) {
  return (match: { method?: string; path?: string } = {}, status: number): number[] | undefined => {
    const reachable = operations.filter(
      (op) =>
        (match.method === undefined || op.method.toUpperCase() === match.method.toUpperCase()) &&
        (match.path === undefined || op.path === match.path),
    );
    if (reachable.length === 0) return [];
    const allowed = [...errorStatuses(reachable[0]!)].filter((s) =>
      reachable.every((op) => errorStatuses(op).has(s)),
    );
    return allowed.includes(status) ? undefined : allowed.sort((a, b) => a - b);
  };
}
