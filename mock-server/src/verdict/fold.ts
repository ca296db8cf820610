/**
 * The fold: each observation is judged by every rule against what the judge knew before it, then
 * learnt. O(1) per observation (a handful of table look-ups, at most MAX_WINDOWS windows and
 * MAX_RUN retry steps), memory bounded by the caps, and deterministic: the same observations in
 * the same order give the same state, whatever process folds them.
 *
 * `observe` and `observeControl` update the state in place and return it (copying it would make
 * each step O(state)); they do no I/O and read no clock.
 */
import { CLOCK_LIMIT_MS } from '../domain/clock.js';
import {
  MAX_RUN,
  MAX_WINDOWS,
  keyIdOf,
  newTaskFacts,
  paidIdOf,
  requestIdOf,
  stepAfter,
  type Example,
  type KeyFacts,
  type RequestFacts,
  type TaskFacts,
} from './facts.js';
import type { ControlEvent, Observation } from './observation.js';
import {
  OPERATION_GROUP,
  isAcceptedGenerate,
  isAnsweredPoll,
  isTransientFailure,
  isUnanswered,
  sentAfter,
} from './observation.js';
import { outcomeOf } from './outcomes.js';
import type { ObservationContext } from './rules/rule.js';
import { LOOSE_RULES } from './rules/index.js';
import { settingsOf, type VerdictSettings } from './settings.js';
import { MAX_EXAMPLES, applyCaps, emptyState, type VerdictState } from './state.js';

export function observe(state: VerdictState, o: Observation, settings: VerdictSettings): VerdictState {
  applyCaps(state, settings.caps);
  if (!inOrder(state, o.seq)) return state;
  count(state, o);

  const keyId = keyIdOf(o.keyOwner);
  // Each id is made once per observation: a Map hashes a new string on every lookup.
  const paidId = o.bodyDigest !== null ? paidIdOf(keyId, o.bodyDigest) : null;
  const requestId = requestIdOf(keyId, o.requestDigest);
  const paid = paidId !== null ? state.generates.peek(paidId) : undefined;
  const request = state.requestFacts.peek(requestId);
  const ctx: ObservationContext = {
    o,
    keyId,
    key: state.keys.peek(keyId),
    request,
    task: o.taskId !== null ? state.tasks.peek(o.taskId) : undefined,
    paid,
    paidTask: paid !== undefined ? state.tasks.peek(paid.taskId) : undefined,
    keysForgotten: state.keys.evicted > 0,
  };
  for (const rule of LOOSE_RULES) {
    const ruleSettings = settingsOf(settings, rule.id);
    if (!ruleSettings.enabled || rule.onObservation === undefined) continue;
    const detail = rule.onObservation(ctx, ruleSettings);
    if (detail !== null) tally(state, rule.id, exampleOf(o, detail));
  }

  learnKey(state, o, keyId);
  learnRequest(state, o, requestId, request);
  learnTask(state, o, keyId);
  if (isAcceptedGenerate(o) && paidId !== null)
    state.generates.set(paidId, {
      taskId: o.taskId!,
      at: o.at,
      journalId: o.journalId,
    });
  return state;
}

export function observeControl(
  state: VerdictState,
  e: ControlEvent,
  settings: VerdictSettings,
): VerdictState {
  applyCaps(state, settings.caps);
  if (e.kind === 'reset') {
    // The world starts again, and so do its seqs: nothing of before is kept, not even the last seq.
    Object.assign(state, emptyState(settings.caps), { since: e.at });
    return state;
  }
  if (!inOrder(state, e.seq)) return state;
  if (e.kind === 'balance-set') {
    const key = keyFacts(state, keyIdOf(e.keyOwner));
    key.accountChangedAt = Math.max(key.accountChangedAt ?? e.at, e.at);
    return state;
  }
  const task = state.tasks.touch(e.taskId);
  if (task === undefined) return state;
  task.forcedEnd = { status: e.status, at: e.at };
  if (e.status === 'FAILED') {
    const owner = keyFacts(state, task.owner);
    owner.accountChangedAt = Math.max(owner.accountChangedAt ?? e.at, e.at);
  }
  return state;
}

function inOrder(state: VerdictState, seq: number): boolean {
  if (state.lastSeq !== null && seq <= state.lastSeq) {
    state.outOfOrder++;
    return false;
  }
  state.lastSeq = seq;
  return true;
}

function count(state: VerdictState, o: Observation): void {
  state.requests[o.operation]++;
  if (isUnanswered(o)) state.unanswered++;
  state.firstAt = state.firstAt === null ? o.at : Math.min(state.firstAt, o.at);
  state.lastAt = state.lastAt === null ? o.at : Math.max(state.lastAt, o.at);
  const outcome = outcomeOf(o);
  if (outcome !== null) state.coverage.set(outcome, (state.coverage.get(outcome) ?? 0) + 1);
}

function tally(state: VerdictState, rule: string, example: Example): void {
  let t = state.findings.get(rule);
  if (t === undefined) state.findings.set(rule, (t = { occurrences: 0, examples: [] }));
  t.occurrences++;
  if (t.examples.length < MAX_EXAMPLES) t.examples.push(example);
}

export function exampleOf(o: Observation, detail: string): Example {
  return {
    journalId: o.journalId,
    operation: o.operation,
    status: o.status,
    fault: o.fault,
    taskStatus: isAnsweredPoll(o) ? o.taskStatus : null,
    at: o.at,
    keyLabel: o.keyLabel,
    taskId: o.taskId,
    detail,
  };
}

function keyFacts(state: VerdictState, keyId: string): KeyFacts {
  let key = state.keys.touch(keyId);
  if (key === undefined) {
    key = { windows: [], accountChangedAt: null, refundsPendingUntil: null };
    state.keys.set(keyId, key);
  }
  return key;
}

function learnKey(state: VerdictState, o: Observation, keyId: string): void {
  const key = keyFacts(state, keyId);
  if ((o.status === 429 || o.status === 503) && o.fault === null && o.retryAfterSeconds !== null) {
    // Windows already over by this request's arrival are dropped; of the rest, the latest-ending are kept.
    key.windows = key.windows.filter((w) => w.until > o.at);
    key.windows.push({
      group: o.status === 429 ? OPERATION_GROUP[o.operation] : null,
      seq: o.seq,
      from: o.answeredAt,
      until: o.answeredAt + o.retryAfterSeconds * 1000,
      status: o.status,
      retryAfterSeconds: o.retryAfterSeconds,
    });
    if (key.windows.length > MAX_WINDOWS)
      key.windows = key.windows.sort((a, b) => b.until - a.until).slice(0, MAX_WINDOWS);
  }
  if (isAcceptedGenerate(o) && o.plan?.outcome === 'failed') {
    const end = o.plan.readyAt ?? CLOCK_LIMIT_MS;
    key.refundsPendingUntil = Math.max(key.refundsPendingUntil ?? end, end);
  }
}

/** `before`: the request's facts as observe read them (no rule changes them). */
function learnRequest(
  state: VerdictState,
  o: Observation,
  id: string,
  before: RequestFacts | undefined,
): void {
  // A retry after a transient failure extends the run; a request sent after any other answer starts
  // afresh; one that was in flight alongside the last leaves the run as it was.
  let run = before?.run ?? [];
  if (before !== undefined && sentAfter(o, before.last.seq, before.last.answeredAt))
    run = isTransientFailure(before.last) ? [...run, stepAfter(before.last, o.at)].slice(-MAX_RUN) : [];
  state.requestFacts.set(id, {
    last: {
      seq: o.seq,
      status: o.status,
      fault: o.fault,
      answeredAt: o.answeredAt,
      injected: o.injected !== null,
      retryAfterSeconds: o.retryAfterSeconds,
      balance: o.balance,
      journalId: o.journalId,
    },
    run,
  });
}

function learnTask(state: VerdictState, o: Observation, keyId: string): void {
  if (o.taskId === null) return;
  if (isAcceptedGenerate(o)) {
    state.tasks.set(
      o.taskId,
      newTaskFacts({
        owner: keyId,
        keyLabel: o.keyLabel,
        createdAt: o.at,
        journalId: o.journalId,
        plan: o.plan,
      }),
    );
    return;
  }
  if (OPERATION_GROUP[o.operation] !== 'status') return;
  let task: TaskFacts | undefined = state.tasks.touch(o.taskId);
  if (task === undefined) {
    // A task the judge does not remember (forgotten, or created before it listened): learnt from an
    // answered poll, so its polls can still be judged; its plan stays unknown.
    if (!isAnsweredPoll(o)) return;
    task = newTaskFacts({ owner: keyId, keyLabel: o.keyLabel, createdAt: null, journalId: null, plan: null });
    state.tasks.set(o.taskId, task);
  }
  if (task.owner !== keyId) return;
  if (
    task.terminalReadAt !== null &&
    task.terminalReadSeq !== null &&
    sentAfter(o, task.terminalReadSeq, task.terminalReadAt)
  )
    task.pollsAfterTerminal++;
  task.lastPollAt = task.lastPollAt === null ? o.at : Math.max(task.lastPollAt, o.at);
  task.lastPollOk = isAnsweredPoll(o);
  task.lastPollRefused =
    o.injected !== null && o.fault === null && o.status >= 400 && o.status < 500 && o.status !== 429;
  if (isAnsweredPoll(o) && o.taskStatus !== 'IN_PROGRESS' && task.terminalReadAt === null) {
    task.terminalReadAt = o.answeredAt;
    task.terminalReadSeq = o.seq;
    task.terminalStatus = o.taskStatus as 'SUCCESS' | 'FAILED';
  }
}
