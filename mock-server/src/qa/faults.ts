/**
 * A fault is decoded at the edge (headers, rules, chaos) into this small typed value; the code that
 * acts on it does not know where it came from (Prism decodes its Prefer header the same way).
 */
import type { TaskScenario } from '../domain/tasks.js';

export const NETWORK_FAULTS = ['reset', 'empty', 'malformed', 'hang'] as const;
export type NetworkFault = (typeof NETWORK_FAULTS)[number];

export interface FaultAction {
  /** Answer with this error status, in the envelope, with no side effect. */
  status?: number;
  /** The forced status's `message`, verbatim (a recorded upstream message); else the simulator's own. */
  message?: string;
  /** Retry-After of a forced 429, seconds. */
  retryAfterSeconds?: number;
  /** Break the connection instead of answering; no side effect. */
  fault?: NetworkFault;
  /** Hold the response this long (ms) after the request was processed. */
  delayMs?: number;
  /** On POST /api/generate: how the created task ends. */
  task?: TaskScenario;
}

/** What forced a response, for the journal and the X-Mock-Injected header: `header`, `chaos`, or a rule id. */
export type FaultSource = string;
