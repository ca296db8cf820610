/**
 * The task record and its state machine: IN_PROGRESS -> SUCCESS | FAILED, terminal states final.
 *
 * A task carries its plan from birth (how and when it ends), decided when it is accepted from the
 * seeded Rng or from a QA scenario. Its status is derived when it is read (as moto's ManagedState
 * does): no timers, nothing to clean up, and moving the clock is enough to move tasks on.
 */
import type { Owner } from './keys.js';
import type { Preset } from './pricing.js';
import type { RequestSnapshot, TaskStatus } from './wire-types.js';

export type Outcome = 'success' | 'failed';

/** What QA may decide about a task instead of the seeded draws (headers, rules or prompt markers). */
export interface TaskScenario {
  outcome?: Outcome;
  errorMessage?: string;
  durationMs?: number;
  completeOnPoll?: number;
}

export interface TaskPlan {
  outcome: Outcome;
  /** error_message when the outcome is `failed`. */
  errorMessage: string | null;
  /** When the task ends, on the simulator's clock (ms); null when it ends by polls instead. */
  readyAt: number | null;
  /** The task ends on this status poll (1-based); null when it ends by time. */
  completeOnPoll: number | null;
}

export interface Task {
  readonly id: string;
  readonly owner: Owner;
  readonly request: RequestSnapshot;
  readonly preset: Preset;
  /** Credits deducted at acceptance; refunded in full if the task fails. */
  readonly price: number;
  readonly imageCount: number;
  readonly createdAt: number;
  readonly status: TaskStatus;
  readonly settledAt: number | null;
  readonly errorMessage: string | null;
  /** Status polls seen while IN_PROGRESS. */
  readonly polls: number;
  readonly plan: TaskPlan;
}

/**
 * A task as one object literal with its fields always in the same order. Every task then shares one
 * hidden class in V8, with its fields stored in the object itself; copies made with spread and then
 * frozen got a hidden class each (about 450 bytes a task, measured with scripts/bench/heap-breakdown.ts).
 */
export function taskOf(t: Task): Task {
  return {
    id: t.id,
    owner: t.owner,
    request: t.request,
    preset: t.preset,
    price: t.price,
    imageCount: t.imageCount,
    createdAt: t.createdAt,
    status: t.status,
    settledAt: t.settledAt,
    errorMessage: t.errorMessage,
    polls: t.polls,
    plan: t.plan,
  };
}

export interface Settlement {
  status: 'SUCCESS' | 'FAILED';
  at: number;
  errorMessage: string | null;
}

export function isTerminal(task: Pick<Task, 'status'>): boolean {
  return task.status !== 'IN_PROGRESS';
}

/** Credits the task holds now: the price until it fails, then 0 (the refund). */
export function consumedCredits(task: Pick<Task, 'status' | 'price'>): number {
  return task.status === 'FAILED' ? 0 : task.price;
}

/** Whether the task's plan says it has ended by `now` (or by its `polls`-th poll). */
export function isDue(task: Task, now: number): boolean {
  if (isTerminal(task)) return false;
  if (task.plan.completeOnPoll !== null) return task.polls >= task.plan.completeOnPoll;
  return task.plan.readyAt !== null && task.plan.readyAt <= now;
}

/** The settlement the plan calls for; it happened at the planned time, not when someone looked. */
export function plannedSettlement(task: Task, now: number): Settlement {
  const at = task.plan.readyAt !== null ? Math.min(task.plan.readyAt, now) : now;
  return task.plan.outcome === 'failed'
    ? { status: 'FAILED', at, errorMessage: task.plan.errorMessage }
    : { status: 'SUCCESS', at, errorMessage: null };
}

/**
 * The error_message of a task abandoned by retention: one still IN_PROGRESS when it reaches the
 * retention age (a poll-driven task nobody polls, a key that went away). The upstream does not keep
 * tasks forever either; failing it refunds its credits, so retention never takes a credit.
 */
export const ABANDONED_MESSAGE =
  'The task was abandoned: it did not complete within the retention period, and its credits were refunded.';

/** When an in-progress task is abandoned if nothing ends it before: `maxAgeMs` after its creation. */
export function abandonAt(task: Pick<Task, 'createdAt'>, maxAgeMs: number): number {
  return task.createdAt + maxAgeMs;
}

export function abandonment(task: Task, maxAgeMs: number): Settlement {
  return { status: 'FAILED', at: abandonAt(task, maxAgeMs), errorMessage: ABANDONED_MESSAGE };
}

/**
 * When a store must look at an in-progress task again: its planned end by time, or its abandonment,
 * whichever comes first (a poll-driven task only has the latter).
 */
export function nextDeadline(task: Task, maxAgeMs: number): number {
  const abandon = abandonAt(task, maxAgeMs);
  return task.plan.readyAt === null ? abandon : Math.min(task.plan.readyAt, abandon);
}

/**
 * The settlement that is due for `task` at `now`, if any: its plan's (by time or by polls), unless the
 * task reached its abandonment first.
 */
export function dueSettlement(task: Task, now: number, maxAgeMs: number): Settlement | undefined {
  if (isTerminal(task)) return undefined;
  const abandon = abandonAt(task, maxAgeMs);
  if (isDue(task, now)) {
    const plannedAt = task.plan.readyAt ?? now;
    return plannedAt > abandon ? abandonment(task, maxAgeMs) : plannedSettlement(task, now);
  }
  return abandon <= now ? abandonment(task, maxAgeMs) : undefined;
}

/** The sanitized snapshot: documented fields, imageUrls only when non-empty, numImages only for the burst. */
export function snapshotOf(request: {
  prompt: string;
  aspectRatio: RequestSnapshot['aspectRatio'];
  quality: RequestSnapshot['quality'];
  imageUrls?: string[];
  numImages?: number;
}): RequestSnapshot {
  const snapshot: RequestSnapshot = {
    prompt: request.prompt,
    aspectRatio: request.aspectRatio,
    quality: request.quality,
  };
  if (request.imageUrls && request.imageUrls.length > 0) snapshot.imageUrls = [...request.imageUrls];
  if (request.numImages === 4) snapshot.numImages = 4;
  return snapshot;
}

export const TASK_ID_PREFIX = 'sd45_';
