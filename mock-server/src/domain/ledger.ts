/**
 * Credit balances per key and their append-only history. The ledger's invariant, checked by the
 * model-based tests and GET /__mock/invariants: the balance is the sum of the entries' amounts (a
 * `set` records the change it made), and never below zero.
 */
import type { Owner } from './keys.js';

export interface Account {
  owner: Owner;
  /** The redacted key, to tell accounts apart in the control API without revealing them. */
  label: string;
  balance: number;
}

/**
 * `carried_forward` stands for older entries that are no longer kept one by one: its amount is their
 * sum and its balanceAfter the balance after the last of them, so the books still add up.
 */
export type LedgerEntryKind = 'set' | 'debit' | 'refund' | 'carried_forward';

export interface LedgerEntry {
  at: number;
  kind: LedgerEntryKind;
  /** Signed change: negative for a debit, positive for a refund; for `set`, the new balance minus the old. */
  amount: number;
  balanceAfter: number;
  taskId: string | null;
}

export type DebitResult = { ok: true; balance: number } | { ok: false; balance: number; required: number };

/** Whether `price` can be taken from `balance`: the one rule a store applies inside its atomic debit. */
export function tryDebit(balance: number, price: number): DebitResult {
  return balance >= price ? { ok: true, balance: balance - price } : { ok: false, balance, required: price };
}

/**
 * The entries of a ledger as shown or kept: at most `max`, the oldest folded into one carried-forward
 * entry when there are more, so that the balance is always the sum of what is shown.
 */
export function foldLedger(entries: readonly LedgerEntry[], max: number): LedgerEntry[] {
  if (entries.length <= max) return entries.map((e) => ({ ...e }));
  const foldCount = entries.length - Math.max(1, max) + 1;
  const folded = entries.slice(0, foldCount);
  const last = folded[folded.length - 1]!;
  const carried: LedgerEntry = {
    at: last.at,
    kind: 'carried_forward',
    amount: folded.reduce((sum, e) => sum + e.amount, 0),
    balanceAfter: last.balanceAfter,
    taskId: null,
  };
  return [carried, ...entries.slice(foldCount).map((e) => ({ ...e }))];
}
