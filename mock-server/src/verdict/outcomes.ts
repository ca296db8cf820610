/**
 * Outcome ids: what a client met, named by route and answer. The one place their format is written;
 * the catalogue (catalogue.ts) and the fold both build ids here.
 *
 * - `generate:<http status>`, `status:<http status>` for an answer;
 * - `status:200:<task status>` for an answered poll, in place of `status:200`;
 * - `generate:fault:<fault>` for a network fault the simulator injected.
 */
import type { Observation } from './observation.js';
import { OPERATION_GROUP, isAnsweredPoll, isUnanswered } from './observation.js';

export function httpOutcome(group: string, status: number): string {
  return `${group}:${status}`;
}

export function pollOutcome(group: string, taskStatus: string): string {
  return `${group}:200:${taskStatus}`;
}

export function faultOutcome(group: string, fault: string): string {
  return `${group}:fault:${fault}`;
}

/**
 * The outcome an observation covers; null when the client hung up before any answer (nothing the
 * simulator did, so nothing to cover).
 */
export function outcomeOf(o: Observation): string | null {
  const group = OPERATION_GROUP[o.operation];
  if (o.fault !== null) return faultOutcome(group, o.fault);
  if (isUnanswered(o)) return null;
  if (isAnsweredPoll(o)) return pollOutcome(group, o.taskStatus!);
  return httpOutcome(group, o.status);
}
