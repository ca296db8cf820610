/**
 * What the verdict is told: one observation per public API request once it is answered (or once its
 * connection closed without an answer), and the few control-API events that change what a client
 * could expect (a task ended by QA, a balance set, the world reset).
 *
 * Plain data on the world's clock (milliseconds since the epoch, as the world's Clock shows them),
 * so a test on a virtual clock is judged by the times it simulated, and the same observations can
 * cross processes as JSON.
 */
import type { operations } from '../../../generated/dreamcore-api.js';
import type { Owner } from '../domain/keys.js';
import type { TaskPlan } from '../domain/tasks.js';
import type { TaskStatus } from '../domain/wire-types.js';
import type { NetworkFault } from '../qa/faults.js';

/** The public API's operations, from the spec's generated types: every one of them is observed. */
export type ObservedOperation = keyof operations;

/**
 * The route an operation is served on, as the simulator's rate limiter buckets them and as outcome
 * ids name them: `generate` for POST /api/generate, `status` for both methods of /api/status. A
 * Record over the spec's operations, so a new operation is a type error here until it is placed;
 * test/verdict/catalogue.test.ts holds it to the spec's paths.
 */
export const OPERATION_GROUP = {
  createGenerationTask: 'generate',
  getTaskStatus: 'status',
  postTaskStatus: 'status',
} as const satisfies Record<ObservedOperation, string>;

export type OutcomeGroup = (typeof OPERATION_GROUP)[ObservedOperation];

/** How a task accepted by a generate 200 was planned to end, so the judge knows without being told. */
export type ObservedPlan = Pick<TaskPlan, 'outcome' | 'readyAt' | 'completeOnPoll'>;

export interface Observation {
  /**
   * Order in the world (from the store), drawn when the observation is recorded, after the answer;
   * the fold takes observations in increasing `seq` and ignores one that comes late.
   */
  seq: number;
  /**
   * The world's latest `seq` when this request arrived (0 when there was none). It tells a reaction
   * from a request already in flight when a world clock cannot: on a virtual clock nobody advances,
   * a retry sent the instant a 429 came back arrives at the very millisecond the 429 was answered.
   * Null when unknown: a request arriving at the same millisecond an answer was sent then counts as
   * sent after it (a reaction), so that a client retrying at once on a still clock is still judged.
   */
  afterSeq: number | null;
  /** World clock (ms) when the request arrived. */
  at: number;
  /** World clock (ms) when its answer was sent (after any held delay), or when its connection closed. */
  answeredAt: number;
  /** The journal entry, for examples; null when the journal is off or the entry was not kept. */
  journalId: number | null;
  operation: ObservedOperation;
  /** SHA-256 digest of the API key sent, or null when none was sent. */
  keyOwner: Owner | null;
  /** A printable label of the key (`sk-d…-dev`), never the key; null when none was sent. */
  keyLabel: string | null;
  /** HTTP status; 0 when the connection closed without an answer. */
  status: number;
  /** The network fault injected, if any (`malformed` still sends a 200 status line). */
  fault: NetworkFault | null;
  /** What QA injected (`header`, `chaos`, `rate-limit`, a rule id such as `rule_3`), or null. */
  injected: string | null;
  /** The answer's Retry-After, seconds; null when it had none. */
  retryAfterSeconds: number | null;
  /** Digest of method, path, query and body as sent: equal digests are "the same request unchanged". */
  requestDigest: string;
  /** Digest of the generate body alone (null for status requests): "the same paid request". */
  bodyDigest: string | null;
  /** The task created by a generate 200, or the task a status request asked for; else null. */
  taskId: string | null;
  /** The task status an answered poll read; null for anything else. */
  taskStatus: TaskStatus | null;
  /** Credits debited by a generate 200; else null. */
  price: number | null;
  /** The key's balance after the request when the simulator knows it (a generate 200, a 402); else null. */
  balance: number | null;
  /** For a generate 200: how the task was planned to end; else null. */
  plan: ObservedPlan | null;
}

/** Things done through the control API that change what a client could expect from the same request. */
export type ControlEvent =
  | {
      kind: 'task-ended';
      seq: number;
      /** World clock (ms) when QA ended it. */
      at: number;
      taskId: string;
      status: 'SUCCESS' | 'FAILED';
    }
  | {
      /** A balance set (PUT /__mock/accounts/{apiKey}); it creates the key when it did not exist. */
      kind: 'balance-set';
      seq: number;
      at: number;
      keyOwner: Owner;
      balance: number;
    }
  | {
      /** The world back to its start: the verdict starts again from nothing. */
      kind: 'reset';
      seq: number;
      at: number;
    };

/** An observation as the request path makes it: the store draws its `seq` and gives its `journalId`. */
export type ObservationDraft = Omit<Observation, 'seq' | 'journalId'>;

/**
 * A control event as the services make it: the store draws its `seq`. A reset is not one: a store's
 * reset starts its verdict again itself, in the same operation.
 */
export type ControlEventDraft =
  | Omit<Extract<ControlEvent, { kind: 'task-ended' }>, 'seq'>
  | Omit<Extract<ControlEvent, { kind: 'balance-set' }>, 'seq'>;

/** Whether an operationId is one of the public API's, which the verdict observes. */
export function isObservedOperation(operationId: string | undefined): operationId is ObservedOperation {
  return operationId !== undefined && Object.hasOwn(OPERATION_GROUP, operationId);
}

/**
 * Whether `o` was sent once the answer recorded as `seq` at `answeredAt` had been given: a reaction to
 * it, rather than a request already in flight.
 */
export function sentAfter(o: Pick<Observation, 'at' | 'afterSeq'>, seq: number, answeredAt: number): boolean {
  return o.afterSeq !== null ? o.afterSeq >= seq : o.at >= answeredAt;
}

/** A generate 200 accepted the task; only those carry a plan and a price. */
export function isAcceptedGenerate(o: Observation): boolean {
  return o.operation === 'createGenerationTask' && o.status === 200 && o.fault === null && o.taskId !== null;
}

/** A status request that the simulator answered with a task record. */
export function isAnsweredPoll(o: Observation): boolean {
  return (
    OPERATION_GROUP[o.operation] === 'status' && o.status === 200 && o.fault === null && o.taskStatus !== null
  );
}

/** The connection closed before any answer, and nothing was injected: the client hung up first. */
export function isUnanswered(o: Observation): boolean {
  return o.status === 0 && o.fault === null;
}

/**
 * What a client must treat as "try again later": a 500, a 503 or a broken connection (a reset, an
 * empty reply, a body cut in the middle, a reply that never came).
 */
export function isTransientFailure(o: Pick<Observation, 'status' | 'fault'>): boolean {
  return o.fault !== null || o.status === 500 || o.status === 503;
}
