/**
 * What the judge remembers between observations: neutral facts about keys, tasks and requests, kept
 * in bounded tables (state.ts) and read by the rules. A rule never keeps memory of its own: what it
 * needs to remember is a fact here, learnt by the fold (fold.ts) after every rule has looked.
 */
import type { OutcomeGroup, ObservedOperation, ObservedPlan } from './observation.js';
import type { NetworkFault } from '../qa/faults.js';
import type { TaskStatus } from '../domain/wire-types.js';

/** A Retry-After the key was given: no request of that route (every route, for a 503) until `until`. */
export interface RetryWindow {
  /** The route a 429 limits; null for a 503, which says the whole service is unavailable. */
  group: OutcomeGroup | null;
  /** The answer's observation. */
  seq: number;
  /** When the answer was sent (world clock, ms): requests sent earlier were in flight, not reactions. */
  from: number;
  until: number;
  status: number;
  retryAfterSeconds: number;
}

/** At most this many Retry-After windows are remembered per key (the latest-ending ones). */
export const MAX_WINDOWS = 4;

export interface KeyFacts {
  windows: RetryWindow[];
  /** The last time the control API changed the account (a balance set, which also creates a key, or a refund of a task QA failed). */
  accountChangedAt: number | null;
  /**
   * The latest planned end among the key's tasks planned to fail: until then a refund may raise the
   * balance. CLOCK_LIMIT_MS when one ends on a poll (no time is known).
   */
  refundsPendingUntil: number | null;
}

export interface LastAnswer {
  seq: number;
  status: number;
  fault: NetworkFault | null;
  answeredAt: number;
  injected: boolean;
  retryAfterSeconds: number | null;
  balance: number | null;
  journalId: number | null;
}

/** One retry of a failed request: how long after the failure's answer it was sent, and what that failure asked for. */
export interface RetryStep {
  waitMs: number;
  /** The failure's Retry-After in ms; 0 when it had none. */
  retryAfterMs: number;
}

/** The retry sent at `at` after the failure `last`. */
export function stepAfter(last: Pick<LastAnswer, 'answeredAt' | 'retryAfterSeconds'>, at: number): RetryStep {
  return { waitMs: at - last.answeredAt, retryAfterMs: (last.retryAfterSeconds ?? 0) * 1000 };
}

/** Steps of the current run of retries remembered: enough for no-backoff's longest streak. */
export const MAX_RUN = 8;

/** The last answer to one request (same key, same method, path, query and body). */
export interface RequestFacts {
  last: LastAnswer;
  /** The current run of retries after transient failures, oldest first (at most MAX_RUN). */
  run: RetryStep[];
}

export interface TaskFacts {
  /** The key id (keyIdOf) that created it, or that first polled it when its creation was not seen. */
  owner: string;
  keyLabel: string | null;
  /** When its generate arrived; null when the judge learnt of the task from a poll only. */
  createdAt: number | null;
  journalId: number | null;
  plan: ObservedPlan | null;
  /** Ended by QA through the control API. */
  forcedEnd: { status: 'SUCCESS' | 'FAILED'; at: number } | null;
  lastPollAt: number | null;
  /** Whether the last poll was answered with the task (not an error, a fault or a 429). */
  lastPollOk: boolean;
  /**
   * Whether QA answered the last poll with a client error (a forced 404, 401, 400): a client is right
   * to stop polling a task the server says is not there, even when the server lied.
   */
  lastPollRefused: boolean;
  /** When the first poll that read SUCCESS or FAILED was answered, and its observation. */
  terminalReadAt: number | null;
  terminalReadSeq: number | null;
  terminalStatus: Exclude<TaskStatus, 'IN_PROGRESS'> | null;
  /** Polls by its owner sent after that answer. */
  pollsAfterTerminal: number;
}

/** A task's facts before any poll: what its generate (or, when that was not seen, its first poll) told. */
export function newTaskFacts(
  seen: Pick<TaskFacts, 'owner' | 'keyLabel' | 'createdAt' | 'journalId' | 'plan'>,
): TaskFacts {
  return {
    ...seen,
    forcedEnd: null,
    lastPollAt: null,
    lastPollOk: false,
    lastPollRefused: false,
    terminalReadAt: null,
    terminalReadSeq: null,
    terminalStatus: null,
    pollsAfterTerminal: 0,
  };
}

/** The last accepted generate of one paid request (same key, same body). */
export interface PaidFacts {
  taskId: string;
  at: number;
  journalId: number | null;
}

/** One request that broke a rule, as the report shows it. */
export interface Example {
  journalId: number | null;
  operation: ObservedOperation;
  status: number;
  fault: NetworkFault | null;
  taskStatus: TaskStatus | null;
  at: number;
  keyLabel: string | null;
  taskId: string | null;
  /** Why it broke the rule, in one line. */
  detail: string;
}

/** Digests are kept to 64 bits (16 hex digits): collisions are negligible at the caps' sizes, and the state stays small. */
const ID_LENGTH = 16;

/** The key's short id in the tables; `-` for requests sent without a key. */
export function keyIdOf(owner: string | null): string {
  return owner === null ? '-' : owner.slice(0, ID_LENGTH);
}

export function requestIdOf(keyId: string, requestDigest: string): string {
  return `${keyId}:${requestDigest.slice(0, ID_LENGTH)}`;
}

export function paidIdOf(keyId: string, bodyDigest: string): string {
  return `${keyId}:${bodyDigest.slice(0, ID_LENGTH)}`;
}

/** When a task ended or will end, if a time is known: QA's forced end first, else its plan by time. */
export function plannedEnd(task: TaskFacts): number | null {
  if (task.forcedEnd !== null) return task.forcedEnd.at;
  return task.plan?.readyAt ?? null;
}

/** Whether the task is known to have FAILED by `at`: its plan, a forced end, or a poll that read it. */
export function failedBy(task: TaskFacts, at: number): boolean {
  if (task.terminalStatus === 'FAILED' && task.terminalReadAt !== null && task.terminalReadAt <= at)
    return true;
  if (task.forcedEnd !== null) return task.forcedEnd.status === 'FAILED' && task.forcedEnd.at <= at;
  return task.plan?.outcome === 'failed' && task.plan.readyAt !== null && task.plan.readyAt <= at;
}
