/**
 * What one thing a world holds costs in the V8 heap, as the memory budget charges it (the journal's
 * entries: `journalEntryBytes` in qa/journal.ts). Each figure is a fixed part, measured, plus the
 * texts the thing keeps, at one byte a character (two when a character is beyond Latin-1: V8 then
 * keeps the whole string at two bytes a character).
 *
 * Measured through the real HTTP path, in a process of its own, as the heap after a full GC less the
 * heap before, divided by the things made (and the external memory of the Buffers they keep):
 *
 *   node --expose-gc --import tsx scripts/bench/memory-costs.ts [--n=2000]
 *
 * which prints, per kind, the bytes measured and the bytes charged (the estimates here) per thing and
 * their ratio; test/store/memory-costs.test.ts holds each ratio within a factor of 2. The figures of
 * the last calibration are in docs/performance-history.md (section 8).
 */
import type { Task } from '../domain/tasks.js';

/** Characters beyond Latin-1: a string holding one is kept at two bytes a character. */
const TWO_BYTE = /[\u0100-\uffff]/;

/** A string's bytes in the heap: its characters and a header. */
export function textBytes(text: string | null | undefined): number {
  if (!text) return 0;
  return 16 + text.length * (TWO_BYTE.test(text) ? 2 : 1);
}

/**
 * A world's fixed cost: its store's maps, clock and rule book, its journal, its domain and QA
 * services, its verdict's state, its tenant record, its entries in the backend's maps. Measured: 5,870
 * to 6,060 bytes a tenant with its one account (Node 22 and 24; 4,153 before the verdict's state).
 */
export const WORLD_BYTES = 4_000;

/**
 * An account: the account object and its label, its entry in the world's maps and in the backend's
 * key directory and the key cache, and two rate-limit buckets (generate, status) once it has made
 * requests. Measured without buckets: 638 bytes with its first ledger entry.
 */
export const ACCOUNT_BYTES = 800;

/** One ledger entry (set, debit, refund), with its slot in the account's array. */
export const LEDGER_ENTRY_BYTES = 120;

/**
 * A fault rule's fixed part (the rule, its match and action objects). Measured: 267 to 445 bytes on
 * Node 24, 445 to 550 on Node 22 (whose objects are larger).
 */
const RULE_BYTES = 420;

/**
 * A task's fixed part: the record, its request and plan, its entries in the world's maps and heaps.
 * Measured: 612 bytes with an 80-character prompt and its debit's ledger entry.
 */
const TASK_BYTES = 380;

/** A fault rule as the memory store keeps it. */
/** What a rule's cost depends on (qa/fault-rules.ts's FaultRule, by its shape: the rules import this). */
interface RuleShape {
  match: { keyLabel?: string; owner?: string };
  action: { message?: string; task?: { errorMessage?: string } };
}

export function ruleBytes(rule: RuleShape): number {
  const { match, action } = rule;
  const task = action.task;
  return (
    RULE_BYTES +
    textBytes(match.keyLabel) +
    textBytes(action.message) +
    textBytes(task?.errorMessage) +
    (match.owner ? 80 : 0) // the key's digest (64 characters) when the rule names a key
  );
}

/** A task as the memory store keeps it (not its ledger entries: they are the account's). */
export function taskBytes(task: Task): number {
  let urls = 0;
  for (const url of task.request.imageUrls ?? []) urls += 8 + textBytes(url);
  return (
    TASK_BYTES +
    textBytes(task.request.prompt) +
    urls +
    textBytes(task.plan.errorMessage) +
    settledMessageBytes(task)
  );
}

/** A failed task's message when it is not its plan's (one QA chose when failing it by hand). */
export function settledMessageBytes(task: Task): number {
  return task.errorMessage !== task.plan.errorMessage ? textBytes(task.errorMessage) : 0;
}
