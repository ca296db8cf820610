/** checkInvariants finds each kind of broken book, and passes books that hold. */
import { describe, expect, it } from 'vitest';
import { checkInvariants, type Books } from '../../mock-server/src/domain/invariants.js';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import type { LedgerEntry } from '../../mock-server/src/domain/ledger.js';
import { makeTask } from '../support/task-fixture.js';

const A = ownerOf('sk-alice');
const t1 = makeTask({ id: 'sd45_0000000000000001', owner: A, price: 12, createdAt: 10 });
const t2 = makeTask({
  id: 'sd45_0000000000000002',
  owner: A,
  price: 18,
  createdAt: 20,
  status: 'FAILED',
  settledAt: 30,
});
const entry = (
  kind: LedgerEntry['kind'],
  amount: number,
  balanceAfter: number,
  taskId: string | null,
  at = 0,
): LedgerEntry => ({
  at,
  kind,
  amount,
  balanceAfter,
  taskId,
});
const good: LedgerEntry[] = [
  entry('set', 100, 100, null),
  entry('debit', -12, 88, t1.id, 10),
  entry('debit', -18, 70, t2.id, 20),
  entry('refund', 18, 88, t2.id, 30),
];
const books = (ledger: LedgerEntry[], balance = 88, tasks = [t1, t2], tasksDropped = 0): Books => ({
  accounts: [{ account: { owner: A, label: 'sk-a…lice', balance }, ledger }],
  tasks,
  tasksDropped,
});
const kinds = (b: Books) => checkInvariants(b).problems.map((p) => p.kind);

describe('checkInvariants', () => {
  it('passes books that hold, and says what it checked', () => {
    expect(checkInvariants(books(good))).toEqual({
      ok: true,
      checked: { accounts: 1, tasks: 2, entries: 4 },
      problems: [],
    });
  });

  it.each<[string, Books, string[]]>([
    ['a balance the entries do not sum to', books(good, 90), ['balance_mismatch']],
    ['a negative balance', books([entry('set', -5, -5, null)], -5, []), ['negative_balance']],
    ['a task never debited', books([good[0]!, good[2]!, good[3]!], 100 - 18 + 18), ['missing_debit']],
    ['a task debited twice', books([...good, entry('debit', -12, 76, t1.id, 40)], 76), ['double_debit']],
    [
      'a debit of the wrong amount',
      books([good[0]!, entry('debit', -24, 76, t1.id, 10), good[2]!, good[3]!], 76),
      ['wrong_debit'],
    ],
    ['a failed task never refunded', books(good.slice(0, 3), 70), ['missing_refund']],
    [
      'a failed task refunded twice',
      books([...good, entry('refund', 18, 106, t2.id, 40)], 106),
      ['double_refund'],
    ],
    [
      'a refund of the wrong amount',
      books([...good.slice(0, 3), entry('refund', 12, 82, t2.id, 30)], 82),
      ['wrong_refund'],
    ],
    [
      'a refund of a task that did not fail',
      books([...good, entry('refund', 12, 100, t1.id, 40)], 100),
      ['refund_without_failure'],
    ],
    [
      'an entry naming a task the world never had',
      books([...good, entry('debit', -12, 76, 'sd45_00000000000000ff', 40)], 76),
      ['orphan_entry'],
    ],
  ])('finds %s', (_what, b, expected) => {
    expect(kinds(b)).toEqual(expected);
    expect(checkInvariants(b).ok).toBe(false);
  });

  it('holds folded ledgers only to what they still show, and forgives entries of dropped tasks', () => {
    const folded = [entry('carried_forward', 70, 70, null, 20), good[3]!];
    expect(kinds(books(folded))).toEqual([]);
    const pruned = books(good, 88, [t2], 1); // t1 was dropped by retention: its debit names no task now
    expect(kinds(pruned)).toEqual([]);
    expect(kinds(books(good, 88, [t2], 0))).toEqual(['orphan_entry']);
  });
});
