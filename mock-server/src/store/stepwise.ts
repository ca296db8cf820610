/**
 * The composite Store operations (`admit`, `accept`) as a sequence of the Store's simple ones, for a
 * store that has no single operation for them yet. Same decisions, in the same order, as the memory
 * store's; more round trips. The conformance suite holds every store to the same answers.
 */
import { nowOf } from '../domain/clock.js';
import { counterDraw } from '../domain/rng.js';
import {
  answersRequest,
  type AcceptRequest,
  type AcceptResult,
  type Admission,
  type AdmitRequest,
  type ChaosOdds,
  type Store,
} from './store.js';

/** Chaos's verdict for draw `draw` in [0, 1): a 500 below `error500`, a 429 in the next `error429`. */
export function chaosVerdict(odds: ChaosOdds, draw: number): 500 | 429 | undefined {
  if (draw < odds.error500) return 500;
  if (draw < odds.error500 + odds.error429) return 429;
  return undefined;
}

export function chaosOn(odds: ChaosOdds | undefined): odds is ChaosOdds {
  return odds !== undefined && (odds.error500 > 0 || odds.error429 > 0);
}

export async function admitStepwise(
  store: Store,
  request: AdmitRequest,
  systemNow: () => number,
): Promise<Admission> {
  const view = await store.view(request.caller);
  const now = nowOf(view.clock, systemNow());
  const account = view.caller?.account;
  // The verdict's seq is read with the view, in the same operation as the account.
  const admission: Admission = {
    view,
    now,
    verdictSeq: view.verdictSeq ?? 0,
    ...(account ? { account } : {}),
  };
  if (!account) return admission;
  if (request.rule && view.rules > 0) {
    const rule = await store.fireRule(request.rule);
    if (rule) {
      admission.rule = rule;
      if (answersRequest(rule.action)) return admission;
    }
  }
  if (chaosOn(request.chaos)) {
    const chaos = chaosVerdict(
      request.chaos,
      counterDraw(view.spec.seed, 'chaos', await store.nextCounter('chaos')),
    );
    if (chaos) {
      admission.chaos = chaos;
      return admission;
    }
  }
  if (request.bucket) {
    const { name, limit, windowMs } = request.bucket;
    admission.token = await store.takeToken(name, now, limit, windowMs);
    if (!admission.token.allowed) return admission;
  }
  const then = request.then;
  if (then?.kind === 'reserve') admission.reserved = await store.nextCounter(then.counter);
  else if (then?.kind === 'poll') {
    const task = await store.pollTask(then.taskId, request.caller, now);
    if (task) admission.task = task;
  }
  return admission;
}

export async function acceptStepwise(store: Store, request: AcceptRequest): Promise<AcceptResult> {
  const { task } = request;
  await store.settleDue(task.createdAt, task.owner);
  const result = await store.acceptTask(task);
  if (result.accepted) {
    if (request.consumeRule !== undefined) await store.consumeRule(request.consumeRule);
    if (request.prune) await store.prune(task.createdAt);
  }
  return result;
}
