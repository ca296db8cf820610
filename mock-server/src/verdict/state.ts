/**
 * The verdict's state for one world since its last reset: counters, coverage, the findings so far,
 * and the facts the rules need, in four bounded tables. Plain data plus Maps; `toJSON` and
 * `fromJSON` turn it into compact JSON (arrays of tuples, least recently seen first) and back, so
 * a state kept in Redis can be read, folded and written by any replica, and gives the same report.
 */
import { BoundedMap } from './bounded-map.js';
import type {
  Example,
  KeyFacts,
  LastAnswer,
  PaidFacts,
  RequestFacts,
  RetryStep,
  RetryWindow,
  TaskFacts,
} from './facts.js';
import type { ObservedOperation } from './observation.js';
import { OPERATION_GROUP } from './observation.js';
import { NETWORK_FAULTS, type NetworkFault } from '../qa/faults.js';
import type { TaskStatus } from '../domain/wire-types.js';
import { DEFAULT_CAPS, type Caps } from './settings.js';

/** Examples kept per rule: the first ones, which are usually the cause of the rest. */
export const MAX_EXAMPLES = 5;

export interface FindingTally {
  occurrences: number;
  examples: Example[];
}

export interface VerdictState {
  /** The last observation or event folded; a later one must have a greater seq. */
  lastSeq: number | null;
  /** The world's last reset, when the judge was told of it. */
  since: number | null;
  firstAt: number | null;
  lastAt: number | null;
  /** Observations folded, per operation. */
  requests: Record<ObservedOperation, number>;
  /** Requests whose connection closed before any answer, nothing injected (the client hung up). */
  unanswered: number;
  /** Observations and events that came with a seq not above the last one, and were ignored. */
  outOfOrder: number;
  /** Outcome id to count. */
  coverage: Map<string, number>;
  /** Rule id to its occurrences so far (rules judged at report time are not here). */
  findings: Map<string, FindingTally>;
  keys: BoundedMap<KeyFacts>;
  tasks: BoundedMap<TaskFacts>;
  requestFacts: BoundedMap<RequestFacts>;
  generates: BoundedMap<PaidFacts>;
}

export function emptyState(caps: Caps = DEFAULT_CAPS): VerdictState {
  return {
    lastSeq: null,
    since: null,
    firstAt: null,
    lastAt: null,
    requests: zeroRequests(),
    unanswered: 0,
    outOfOrder: 0,
    coverage: new Map(),
    findings: new Map(),
    keys: new BoundedMap(caps.keys),
    tasks: new BoundedMap(caps.tasks),
    requestFacts: new BoundedMap(caps.requests),
    generates: new BoundedMap(caps.generates),
  };
}

function zeroRequests(): Record<ObservedOperation, number> {
  return Object.fromEntries(Object.keys(OPERATION_GROUP).map((op) => [op, 0])) as Record<
    ObservedOperation,
    number
  >;
}

/** Applies the caps of the settings in force (a lowered cap forgets at once, and counts it). */
export function applyCaps(state: VerdictState, caps: Caps): void {
  // Runs for every observation, and the caps rarely change: checked without building a list.
  capTable(state.keys, caps.keys);
  capTable(state.tasks, caps.tasks);
  capTable(state.requestFacts, caps.requests);
  capTable(state.generates, caps.generates);
}

function capTable(table: BoundedMap<unknown>, cap: number): void {
  if (table.cap === cap) return;
  table.cap = cap;
  table.trim();
}

/**
 * Heap bytes per remembered entry, a generous estimate (the object, its strings, its Map slot), worst
 * case: a key with MAX_WINDOWS windows, a request with a full run of retries. Measured roughly with
 * v8.getHeapStatistics around a full state; an estimate for a memory budget, not an exact count.
 */
const BYTES = { base: 2_048, key: 500, task: 450, request: 550, generate: 220, coverage: 120, example: 400 };

/**
 * About how much memory the state holds (bytes), in O(1): for a process memory budget that charges
 * each world what it keeps. At most about 1.6 MB at the default caps, a few KB for a typical test.
 */
export function approximateBytes(state: VerdictState): number {
  let examples = 0;
  for (const tally of state.findings.values()) examples += tally.examples.length;
  return (
    BYTES.base +
    state.keys.size * BYTES.key +
    state.tasks.size * BYTES.task +
    state.requestFacts.size * BYTES.request +
    state.generates.size * BYTES.generate +
    state.coverage.size * BYTES.coverage +
    examples * BYTES.example
  );
}

// --- JSON ------------------------------------------------------------------------------------------

/** Bumped whenever the JSON shape changes: a state of another version is refused, never misread. */
export const STATE_VERSION = 2;

type Tuple = unknown[];

export interface VerdictStateJSON {
  v: number;
  seq: number | null;
  since: number | null;
  first: number | null;
  last: number | null;
  requests: Record<string, number>;
  unanswered: number;
  out_of_order: number;
  coverage: [string, number][];
  findings: [string, number, Tuple[]][];
  /** Caps and forgotten counts: keys, tasks, requests, generates. */
  caps: number[];
  evicted: number[];
  keys: Tuple[];
  tasks: Tuple[];
  request_facts: Tuple[];
  generates: Tuple[];
}

export function toJSON(state: VerdictState): VerdictStateJSON {
  const tables = [state.keys, state.tasks, state.requestFacts, state.generates] as const;
  return {
    v: STATE_VERSION,
    seq: state.lastSeq,
    since: state.since,
    first: state.firstAt,
    last: state.lastAt,
    requests: { ...state.requests },
    unanswered: state.unanswered,
    out_of_order: state.outOfOrder,
    coverage: [...state.coverage],
    findings: [...state.findings].map(([rule, t]) => [rule, t.occurrences, t.examples.map(exampleTuple)]),
    caps: tables.map((t) => t.cap),
    evicted: tables.map((t) => t.evicted),
    keys: [...state.keys.entries()].map(([id, k]) => [
      id,
      k.accountChangedAt,
      k.refundsPendingUntil,
      k.windows.map((w) => [w.group, w.seq, w.from, w.until, w.status, w.retryAfterSeconds]),
    ]),
    tasks: [...state.tasks.entries()].map(([id, t]) => [
      id,
      t.owner,
      t.keyLabel,
      t.createdAt,
      t.journalId,
      t.plan && [t.plan.outcome, t.plan.readyAt, t.plan.completeOnPoll],
      t.forcedEnd && [t.forcedEnd.status, t.forcedEnd.at],
      t.lastPollAt,
      t.lastPollOk ? 1 : 0,
      t.lastPollRefused ? 1 : 0,
      t.terminalReadAt,
      t.terminalReadSeq,
      t.terminalStatus,
      t.pollsAfterTerminal,
    ]),
    request_facts: [...state.requestFacts.entries()].map(([id, r]) => [
      id,
      r.last.seq,
      r.last.status,
      r.last.fault,
      r.last.answeredAt,
      r.last.injected ? 1 : 0,
      r.last.retryAfterSeconds,
      r.last.balance,
      r.last.journalId,
      r.run.flatMap((s) => [s.waitMs, s.retryAfterMs]),
    ]),
    generates: [...state.generates.entries()].map(([id, p]) => [id, p.taskId, p.at, p.journalId]),
  };
}

function exampleTuple(e: Example): Tuple {
  return [e.journalId, e.operation, e.status, e.fault, e.taskStatus, e.at, e.keyLabel, e.taskId, e.detail];
}

export class VerdictStateError extends Error {
  override name = 'VerdictStateError';
}

/** Reads a state written by `toJSON` (or its JSON text parsed); anything else is a VerdictStateError. */
export function fromJSON(json: unknown): VerdictState {
  const r = new Reader();
  const o = r.object(json, 'state');
  if (o.v !== STATE_VERSION)
    throw new VerdictStateError(
      `state: version ${JSON.stringify(o.v)} is not ${STATE_VERSION}; start from an empty state`,
    );
  const caps = r.tuple(o.caps, 'caps', 4).map((c, i) => r.int(c, `caps[${i}]`));
  const evicted = r.tuple(o.evicted, 'evicted', 4).map((c, i) => r.int(c, `evicted[${i}]`));
  const requestsIn = r.object(o.requests, 'requests');
  const requests = zeroRequests();
  for (const op of Object.keys(requests) as ObservedOperation[])
    requests[op] = r.int(requestsIn[op] ?? 0, `requests.${op}`);

  const state: VerdictState = {
    lastSeq: r.numOrNull(o.seq, 'seq'),
    since: r.numOrNull(o.since, 'since'),
    firstAt: r.numOrNull(o.first, 'first'),
    lastAt: r.numOrNull(o.last, 'last'),
    requests,
    unanswered: r.int(o.unanswered, 'unanswered'),
    outOfOrder: r.int(o.out_of_order, 'out_of_order'),
    coverage: new Map(
      r.array(o.coverage, 'coverage').map((e, i) => {
        const [id, n] = r.tuple(e, `coverage[${i}]`, 2);
        return [r.str(id, `coverage[${i}][0]`), r.int(n, `coverage[${i}][1]`)];
      }),
    ),
    findings: new Map(
      r.array(o.findings, 'findings').map((e, i) => {
        const [rule, n, examples] = r.tuple(e, `findings[${i}]`, 3);
        const tally: FindingTally = {
          occurrences: r.int(n, `findings[${i}][1]`),
          examples: r
            .array(examples, `findings[${i}][2]`)
            .map((x, j) => r.example(x, `findings[${i}][2][${j}]`)),
        };
        return [r.str(rule, `findings[${i}][0]`), tally];
      }),
    ),
    keys: BoundedMap.from(
      caps[0]!,
      r.array(o.keys, 'keys').map((e, i) => r.key(e, `keys[${i}]`)),
      evicted[0]!,
    ),
    tasks: BoundedMap.from(
      caps[1]!,
      r.array(o.tasks, 'tasks').map((e, i) => r.task(e, `tasks[${i}]`)),
      evicted[1]!,
    ),
    requestFacts: BoundedMap.from(
      caps[2]!,
      r.array(o.request_facts, 'request_facts').map((e, i) => r.request(e, `request_facts[${i}]`)),
      evicted[2]!,
    ),
    generates: BoundedMap.from(
      caps[3]!,
      r.array(o.generates, 'generates').map((e, i) => r.paid(e, `generates[${i}]`)),
      evicted[3]!,
    ),
  };
  return state;
}

const OPERATIONS = Object.keys(OPERATION_GROUP) as ObservedOperation[];
const GROUPS = [...new Set(Object.values(OPERATION_GROUP))];
const TASK_STATUSES: readonly TaskStatus[] = ['IN_PROGRESS', 'SUCCESS', 'FAILED'];

/** Checks each value's type as it reads, naming the place of the first that is wrong. */
class Reader {
  fail(where: string, what: string): never {
    throw new VerdictStateError(`state.${where}: expected ${what}`);
  }
  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, 'an object');
    return v as Record<string, unknown>;
  }
  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(where, 'an array');
    return v as unknown[];
  }
  tuple(v: unknown, where: string, length: number): unknown[] {
    const a = this.array(v, where);
    if (a.length !== length) this.fail(where, `${length} items`);
    return a;
  }
  num(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, 'a number');
    return v as number;
  }
  int(v: unknown, where: string): number {
    if (!Number.isSafeInteger(v) || (v as number) < 0) this.fail(where, 'a non-negative integer');
    return v as number;
  }
  numOrNull(v: unknown, where: string): number | null {
    return v === null ? null : this.num(v, where);
  }
  str(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(where, 'a string');
    return v as string;
  }
  strOrNull(v: unknown, where: string): string | null {
    return v === null ? null : this.str(v, where);
  }
  oneOf<T>(v: unknown, options: readonly T[], where: string): T {
    if (!options.includes(v as T)) this.fail(where, `one of ${options.join(', ')}`);
    return v as T;
  }
  oneOfOrNull<T>(v: unknown, options: readonly T[], where: string): T | null {
    return v === null ? null : this.oneOf(v, options, where);
  }
  bit(v: unknown, where: string): boolean {
    return this.oneOf(v, [0, 1], where) === 1;
  }
  example(v: unknown, where: string): Example {
    const [journalId, operation, status, fault, taskStatus, at, keyLabel, taskId, detail] = this.tuple(
      v,
      where,
      9,
    );
    return {
      journalId: this.numOrNull(journalId, `${where}[0]`),
      operation: this.oneOf(operation, OPERATIONS, `${where}[1]`),
      status: this.int(status, `${where}[2]`),
      fault: this.oneOfOrNull<NetworkFault>(fault, NETWORK_FAULTS, `${where}[3]`),
      taskStatus: this.oneOfOrNull(taskStatus, TASK_STATUSES, `${where}[4]`),
      at: this.num(at, `${where}[5]`),
      keyLabel: this.strOrNull(keyLabel, `${where}[6]`),
      taskId: this.strOrNull(taskId, `${where}[7]`),
      detail: this.str(detail, `${where}[8]`),
    };
  }
  key(v: unknown, where: string): [string, KeyFacts] {
    const [id, changedAt, refundsUntil, windows] = this.tuple(v, where, 4);
    return [
      this.str(id, `${where}[0]`),
      {
        accountChangedAt: this.numOrNull(changedAt, `${where}[1]`),
        refundsPendingUntil: this.numOrNull(refundsUntil, `${where}[2]`),
        windows: this.array(windows, `${where}[3]`).map((w, i): RetryWindow => {
          const at = `${where}[3][${i}]`;
          const [group, seq, from, until, status, ra] = this.tuple(w, at, 6);
          return {
            group: this.oneOfOrNull(group, GROUPS, `${at}[0]`),
            seq: this.num(seq, `${at}[1]`),
            from: this.num(from, `${at}[2]`),
            until: this.num(until, `${at}[3]`),
            status: this.int(status, `${at}[4]`),
            retryAfterSeconds: this.num(ra, `${at}[5]`),
          };
        }),
      },
    ];
  }
  task(v: unknown, where: string): [string, TaskFacts] {
    const [
      id,
      owner,
      label,
      createdAt,
      journalId,
      plan,
      forced,
      lastPollAt,
      lastPollOk,
      lastPollRefused,
      readAt,
      readSeq,
      readStatus,
      after,
    ] = this.tuple(v, where, 14);
    const planTuple = plan === null ? null : this.tuple(plan, `${where}[5]`, 3);
    const forcedTuple = forced === null ? null : this.tuple(forced, `${where}[6]`, 2);
    return [
      this.str(id, `${where}[0]`),
      {
        owner: this.str(owner, `${where}[1]`),
        keyLabel: this.strOrNull(label, `${where}[2]`),
        createdAt: this.numOrNull(createdAt, `${where}[3]`),
        journalId: this.numOrNull(journalId, `${where}[4]`),
        plan: planTuple && {
          outcome: this.oneOf(planTuple[0], ['success', 'failed'] as const, `${where}[5][0]`),
          readyAt: this.numOrNull(planTuple[1], `${where}[5][1]`),
          completeOnPoll: this.numOrNull(planTuple[2], `${where}[5][2]`),
        },
        forcedEnd: forcedTuple && {
          status: this.oneOf(forcedTuple[0], ['SUCCESS', 'FAILED'] as const, `${where}[6][0]`),
          at: this.num(forcedTuple[1], `${where}[6][1]`),
        },
        lastPollAt: this.numOrNull(lastPollAt, `${where}[7]`),
        lastPollOk: this.bit(lastPollOk, `${where}[8]`),
        lastPollRefused: this.bit(lastPollRefused, `${where}[9]`),
        terminalReadAt: this.numOrNull(readAt, `${where}[10]`),
        terminalReadSeq: this.numOrNull(readSeq, `${where}[11]`),
        terminalStatus: this.oneOfOrNull(readStatus, ['SUCCESS', 'FAILED'] as const, `${where}[12]`),
        pollsAfterTerminal: this.int(after, `${where}[13]`),
      },
    ];
  }
  request(v: unknown, where: string): [string, RequestFacts] {
    const [id, seq, status, fault, answeredAt, injected, ra, balance, journalId, run] = this.tuple(
      v,
      where,
      10,
    );
    const flat = this.array(run, `${where}[9]`);
    if (flat.length % 2 !== 0) this.fail(`${where}[9]`, 'pairs of numbers');
    const steps: RetryStep[] = [];
    for (let i = 0; i < flat.length; i += 2)
      steps.push({
        waitMs: this.num(flat[i], `${where}[9][${i}]`),
        retryAfterMs: this.num(flat[i + 1], `${where}[9][${i + 1}]`),
      });
    const last: LastAnswer = {
      seq: this.num(seq, `${where}[1]`),
      status: this.int(status, `${where}[2]`),
      fault: this.oneOfOrNull<NetworkFault>(fault, NETWORK_FAULTS, `${where}[3]`),
      answeredAt: this.num(answeredAt, `${where}[4]`),
      injected: this.bit(injected, `${where}[5]`),
      retryAfterSeconds: this.numOrNull(ra, `${where}[6]`),
      balance: this.numOrNull(balance, `${where}[7]`),
      journalId: this.numOrNull(journalId, `${where}[8]`),
    };
    return [this.str(id, `${where}[0]`), { last, run: steps }];
  }
  paid(v: unknown, where: string): [string, PaidFacts] {
    const [id, taskId, at, journalId] = this.tuple(v, where, 4);
    return [
      this.str(id, `${where}[0]`),
      {
        taskId: this.str(taskId, `${where}[1]`),
        at: this.num(at, `${where}[2]`),
        journalId: this.numOrNull(journalId, `${where}[3]`),
      },
    ];
  }
}
