/** The control API's wire views of domain values (control-api.yaml's schemas), one place each. */
import type { LedgerEntry } from '../../domain/ledger.js';
import type { Simulator } from '../../domain/simulator.js';
import type { Task } from '../../domain/tasks.js';
import type { FaultRule } from '../../qa/fault-rules.js';
import type { World } from '../../tenancy/world.js';
import { ApiError } from '../errors.js';
import { toTaskRecord, utcSeconds } from '../handlers/task-record.js';

export const notFound = (what: string) => new ApiError(404, `${what} not found`, { type: 'not_found' });

export function limitOf(value: unknown, fallback: number): number {
  return typeof value === 'string' ? Math.min(Number(value), 10_000) : fallback;
}

/** A page of a list (control-api.yaml's PageLimit and PageOffset): 100 by default, at most 1,000. */
export function pageOf(query: { limit?: unknown; offset?: unknown }): { offset: number; limit: number } {
  return { offset: Number(query.offset ?? 0), limit: Math.min(limitOf(query.limit, 100), 1_000) };
}

export function ledgerEntryView(e: LedgerEntry) {
  return {
    at: utcSeconds(e.at),
    kind: e.kind,
    amount: e.amount,
    balance_after: e.balanceAfter,
    task_id: e.taskId,
  };
}

export function ruleView(rule: FaultRule) {
  const { method, path, keyLabel } = rule.match;
  return {
    id: rule.id,
    match: {
      ...(method ? { method } : {}),
      ...(path ? { path } : {}),
      ...(keyLabel ? { apiKey: keyLabel } : {}),
    },
    action: rule.action,
    times_left: rule.timesLeft,
    probability: rule.probability,
    hits: rule.hits,
  };
}

export function clockView(simulator: Simulator) {
  const now = simulator.clock.now();
  return { kind: simulator.clock.kind, now, iso: new Date(now).toISOString() };
}

/** A task as QA sees it: its record, whose it is, and its plan. */
export async function taskView(world: World, task: Task, baseUrl: string) {
  const owner = await world.simulator.accountOf(task.owner);
  return {
    record: toTaskRecord(task, baseUrl, world.id),
    owner: owner?.label ?? '(deleted key)',
    preset: task.preset,
    price: task.price,
    polls: task.polls,
    settled_at: task.settledAt === null ? null : utcSeconds(task.settledAt),
    plan: {
      outcome: task.plan.outcome,
      error_message: task.plan.errorMessage,
      ready_at: task.plan.readyAt === null ? null : new Date(task.plan.readyAt).toISOString(),
      complete_on_poll: task.plan.completeOnPoll,
    },
  };
}
