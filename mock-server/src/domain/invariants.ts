/**
 * The books of a world, checked: what GET /__mock/invariants answers, and what the fleet tests ask
 * after a replica was killed or Redis went away. Pure: it reads what the store hands over.
 *
 * - every balance is the sum of its ledger's entries (a `set` records its change; older entries are
 *   carried forward as one), and never below zero;
 * - every retained task was debited exactly once, by its price;
 * - a task that failed was refunded exactly once, by its price; no other task was refunded;
 * - no ledger entry names a task the world never had (when the world has dropped none, every named
 *   task must still be there; once retention has dropped some, only entries newer than the oldest
 *   retained task are held to it).
 */
import type { Account, LedgerEntry } from './ledger.js';
import type { Task } from './tasks.js';

export interface InvariantProblem {
  kind:
    | 'balance_mismatch'
    | 'negative_balance'
    | 'missing_debit'
    | 'double_debit'
    | 'wrong_debit'
    | 'missing_refund'
    | 'double_refund'
    | 'wrong_refund'
    | 'refund_without_failure'
    | 'orphan_entry';
  /** The account's redacted label. */
  account?: string;
  taskId?: string;
  detail: string;
}

export interface InvariantReport {
  ok: boolean;
  checked: { accounts: number; tasks: number; entries: number };
  problems: InvariantProblem[];
}

export interface Books {
  accounts: ReadonlyArray<{ account: Account; ledger: readonly LedgerEntry[] }>;
  tasks: readonly Task[];
  /** Tasks retention has dropped so far. */
  tasksDropped: number;
}

export function checkInvariants(books: Books): InvariantReport {
  const problems: InvariantProblem[] = [];
  const tasksByOwner = new Map<string, Task[]>();
  for (const task of books.tasks) {
    const list = tasksByOwner.get(task.owner) ?? [];
    list.push(task);
    tasksByOwner.set(task.owner, list);
  }
  const taskIds = new Map(books.tasks.map((t) => [t.id, t]));
  const oldestTask = books.tasks.reduce((min, t) => Math.min(min, t.createdAt), Infinity);
  let entries = 0;

  for (const { account, ledger } of books.accounts) {
    const label = account.label;
    entries += ledger.length;
    const sum = ledger.reduce((s, e) => s + e.amount, 0);
    if (sum !== account.balance)
      problems.push({
        kind: 'balance_mismatch',
        account: label,
        detail: `balance ${account.balance}, entries sum to ${sum}`,
      });
    if (account.balance < 0)
      problems.push({ kind: 'negative_balance', account: label, detail: `balance ${account.balance}` });

    // Entries older than a carried-forward one are folded: tasks created before it are not held to it.
    const carried = ledger.find((e) => e.kind === 'carried_forward');
    const windowStart = carried ? carried.at : -Infinity;
    const debits = new Map<string, LedgerEntry[]>();
    const refunds = new Map<string, LedgerEntry[]>();
    for (const e of ledger) {
      if (e.taskId === null) continue;
      const into = e.kind === 'debit' ? debits : e.kind === 'refund' ? refunds : undefined;
      if (!into) continue;
      into.set(e.taskId, [...(into.get(e.taskId) ?? []), e]);
      const held = books.tasksDropped === 0 || e.at >= oldestTask;
      if (!taskIds.has(e.taskId) && held && e.at > windowStart)
        problems.push({
          kind: 'orphan_entry',
          account: label,
          taskId: e.taskId,
          detail: `${e.kind} of a task the world does not have`,
        });
    }
    for (const task of tasksByOwner.get(account.owner) ?? []) {
      const d = debits.get(task.id) ?? [];
      const r = refunds.get(task.id) ?? [];
      const inWindow = task.createdAt > windowStart;
      if (d.length > 1)
        problems.push({
          kind: 'double_debit',
          account: label,
          taskId: task.id,
          detail: `${d.length} debits`,
        });
      if (d.length === 0 && inWindow)
        problems.push({
          kind: 'missing_debit',
          account: label,
          taskId: task.id,
          detail: `price ${task.price}, no debit`,
        });
      for (const e of d)
        if (e.amount !== -task.price)
          problems.push({
            kind: 'wrong_debit',
            account: label,
            taskId: task.id,
            detail: `debit ${e.amount} for price ${task.price}`,
          });
      if (r.length > 1)
        problems.push({
          kind: 'double_refund',
          account: label,
          taskId: task.id,
          detail: `${r.length} refunds`,
        });
      if (task.status === 'FAILED') {
        if (r.length === 0 && (task.settledAt ?? Infinity) > windowStart)
          problems.push({
            kind: 'missing_refund',
            account: label,
            taskId: task.id,
            detail: `failed, price ${task.price}, no refund`,
          });
      } else if (r.length > 0)
        problems.push({
          kind: 'refund_without_failure',
          account: label,
          taskId: task.id,
          detail: `${task.status}, refunded`,
        });
      for (const e of r)
        if (e.amount !== task.price)
          problems.push({
            kind: 'wrong_refund',
            account: label,
            taskId: task.id,
            detail: `refund ${e.amount} for price ${task.price}`,
          });
    }
  }
  return {
    ok: problems.length === 0,
    checked: { accounts: books.accounts.length, tasks: books.tasks.length, entries },
    problems,
  };
}
