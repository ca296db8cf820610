/**
 * Credit balances per key and their append-only history. The ledger's invariant, checked by the
 * model-based tests: balance = last set balance - debits + refunds since, and never below zero.
 */
import type { Owner } from './keys.js';

export interface Account {
  owner: Owner;
  /** The redacted key, to tell accounts apart in the control API without revealing them. */
  label: string;
  balance: number;
}

export type LedgerEntryKind = 'set' | 'debit' | 'refund';

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
