/**
 * The default store: everything in this process's memory. Each method runs to completion without
 * awaiting, so on Node's single thread it is atomic, which is what the Store contract asks.
 *
 * Tasks are copy-on-write: a stored task object is replaced, never changed, so reads hand it out
 * without a defensive copy (the status route is the hottest path). Task fields are `readonly`, so a
 * caller that tries to change one fails the type check. They are not frozen at run time: freezing gave
 * every task its own hidden class in V8, 360 of its 990 bytes (scripts/bench/heap-breakdown.ts).
 */
import type { Owner } from '../domain/keys.js';
import { tryDebit, type Account, type LedgerEntry } from '../domain/ledger.js';
import { isTerminal, taskOf, type Settlement, type Task } from '../domain/tasks.js';
import { MinHeap } from './min-heap.js';
import type { AcceptResult, RetentionPolicy, Store, TaskFilter } from './store.js';

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxTasks: 1_000_000,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxLedgerEntries: 10_000,
};

export class MemoryStore implements Store {
  private readonly accounts = new Map<Owner, Account>();
  private readonly ledgers = new Map<Owner, LedgerEntry[]>();
  /** Insertion order is creation order: retention walks it from the oldest. */
  private readonly tasks = new Map<string, Task>();
  /** In-progress tasks that end by time, by their planned end. Entries of settled tasks are skipped lazily. */
  private readonly pending = new MinHeap<string>();
  /** Terminal tasks held: what the retention's maxTasks bounds. */
  private terminalCount = 0;

  constructor(private readonly retention: RetentionPolicy = DEFAULT_RETENTION) {}

  async getAccount(owner: Owner): Promise<Account | undefined> {
    const account = this.accounts.get(owner);
    return account && { ...account };
  }

  async setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account> {
    const previous = this.accounts.get(owner)?.balance ?? 0;
    const account: Account = { owner, label, balance };
    this.accounts.set(owner, account);
    this.append(owner, { at, kind: 'set', amount: balance - previous, balanceAfter: balance, taskId: null });
    return { ...account };
  }

  async listAccounts(): Promise<Account[]> {
    return [...this.accounts.values()].map((a) => ({ ...a }));
  }

  async ledger(owner: Owner, limit = Infinity): Promise<LedgerEntry[]> {
    const entries = this.ledgers.get(owner) ?? [];
    const kept = Math.min(limit, this.retention.maxLedgerEntries);
    return entries.slice(Math.max(0, entries.length - kept)).map((e) => ({ ...e }));
  }

  async acceptTask(task: Task): Promise<AcceptResult> {
    const account = this.accounts.get(task.owner);
    if (!account) return { accepted: false, reason: 'unknown_account' };
    if (this.tasks.has(task.id)) return { accepted: false, reason: 'duplicate_id' };
    const debit = tryDebit(account.balance, task.price);
    if (!debit.ok) {
      return {
        accepted: false,
        reason: 'insufficient_credits',
        balance: debit.balance,
        required: debit.required,
      };
    }
    account.balance = debit.balance;
    this.append(task.owner, {
      at: task.createdAt,
      kind: 'debit',
      amount: -task.price,
      balanceAfter: account.balance,
      taskId: task.id,
    });
    // The account's own digest string, not the request's copy: a million tasks then share one
    // 64-character string per key instead of holding a million (about 80 bytes each).
    const stored = this.replace(copyTask({ ...task, owner: account.owner }));
    if (stored.plan.readyAt !== null && stored.plan.completeOnPoll === null) {
      this.pending.push(stored.plan.readyAt, stored.id);
    }
    return { accepted: true, task: stored, balance: account.balance };
  }

  async getTask(id: string): Promise<Task | undefined> {
    return this.tasks.get(id);
  }

  async recordPoll(id: string, owner: Owner): Promise<Task | undefined> {
    const task = this.tasks.get(id);
    if (!task || task.owner !== owner) return undefined;
    if (isTerminal(task)) return task;
    return this.replace(taskOf({ ...task, polls: task.polls + 1 }));
  }

  async settleTask(id: string, settlement: Settlement): Promise<Task | undefined> {
    const current = this.tasks.get(id);
    if (!current) return undefined;
    if (isTerminal(current)) return current;
    this.terminalCount++;
    const task = this.replace(
      taskOf({
        ...current,
        status: settlement.status,
        settledAt: settlement.at,
        errorMessage: settlement.status === 'FAILED' ? settlement.errorMessage : null,
      }),
    );
    if (settlement.status === 'FAILED') {
      const account = this.accounts.get(task.owner);
      if (account) {
        account.balance += task.price;
        this.append(task.owner, {
          at: settlement.at,
          kind: 'refund',
          amount: task.price,
          balanceAfter: account.balance,
          taskId: task.id,
        });
      }
    }
    return task;
  }

  async dueTaskIds(now: number, owner?: Owner): Promise<string[]> {
    const due: string[] = [];
    const notOurs: Array<[number, string]> = [];
    while (this.pending.size > 0 && this.pending.peekKey()! <= now) {
      const key = this.pending.peekKey()!;
      const id = this.pending.pop()!;
      const task = this.tasks.get(id);
      if (!task || isTerminal(task)) continue; // settled by hand or dropped: forget the entry
      if (owner !== undefined && task.owner !== owner) notOurs.push([key, id]);
      else due.push(id);
    }
    for (const [key, id] of notOurs) this.pending.push(key, id);
    // Until settled, a due task stays findable: the caller settles it next, and a failure to do so
    // (a crash between two calls) must not lose it.
    for (const id of due) this.pending.push(this.tasks.get(id)!.plan.readyAt!, id);
    return due;
  }

  async listTasks(filter: TaskFilter = {}): Promise<Task[]> {
    const out: Task[] = [];
    const limit = filter.limit ?? Infinity;
    const all = [...this.tasks.values()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const task = all[i]!;
      if (filter.owner !== undefined && task.owner !== filter.owner) continue;
      if (filter.status !== undefined && task.status !== filter.status) continue;
      out.push(task);
    }
    return out;
  }

  async countTasks(): Promise<number> {
    return this.tasks.size;
  }

  async prune(now: number): Promise<{ tasksDropped: number }> {
    let dropped = 0;
    const oldestAllowed = now - this.retention.maxAgeMs;
    for (const [id, task] of this.tasks) {
      const tooMany = this.terminalCount > this.retention.maxTasks;
      const tooOld = task.createdAt < oldestAllowed;
      if (!tooMany && !tooOld) break; // creation order: everything after is newer
      if (!isTerminal(task)) continue;
      this.tasks.delete(id);
      this.terminalCount--;
      dropped++;
    }
    return { tasksDropped: dropped };
  }

  async clear(): Promise<void> {
    this.accounts.clear();
    this.ledgers.clear();
    this.tasks.clear();
    this.pending.clear();
    this.terminalCount = 0;
  }

  private replace(task: Task): Task {
    this.tasks.set(task.id, task);
    return task;
  }

  private append(owner: Owner, entry: LedgerEntry): void {
    let entries = this.ledgers.get(owner);
    if (!entries) this.ledgers.set(owner, (entries = []));
    entries.push(entry);
    // Trimmed in batches of a quarter: trimming one entry per debit once full moved the whole array
    // each time (14 % of CPU in the million-task benchmark). `ledger()` returns at most the bound.
    const max = this.retention.maxLedgerEntries;
    if (entries.length > max + Math.ceil(max / 4)) entries.splice(0, entries.length - max);
  }
}

/** A new task with its own copies of the caller's request and plan, so the caller cannot change it later. */
function copyTask(task: Task): Task {
  const { request, plan } = task;
  const imageUrls = request.imageUrls && (Object.freeze([...request.imageUrls]) as string[]);
  return taskOf({
    ...task,
    request: imageUrls ? { ...request, imageUrls } : { ...request },
    plan: { ...plan },
  });
}
