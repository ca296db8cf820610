/**
 * Where the simulator's state lives. Each method is one atomic unit: a networked store (several
 * simulator replicas sharing Redis is planned) implements each as one transaction or script, so
 * callers never read-then-write across two calls. Every method is asynchronous for the same reason.
 */
import type { Owner } from '../domain/keys.js';
import type { Account, LedgerEntry } from '../domain/ledger.js';
import type { Settlement, Task } from '../domain/tasks.js';
import type { TaskStatus } from '../domain/wire-types.js';

export type AcceptResult =
  | { accepted: true; task: Task; balance: number }
  | { accepted: false; reason: 'insufficient_credits'; balance: number; required: number }
  | { accepted: false; reason: 'unknown_account' }
  | { accepted: false; reason: 'duplicate_id' };

export interface TaskFilter {
  owner?: Owner;
  status?: TaskStatus;
  /** Newest first, at most this many. */
  limit?: number;
}

export interface RetentionPolicy {
  /** Terminal tasks kept at most; the oldest go first. In-progress tasks are never dropped. */
  maxTasks: number;
  /** Terminal tasks older than this (ms since creation) are dropped. */
  maxAgeMs: number;
  /** Ledger entries kept per account; the oldest go first. */
  maxLedgerEntries: number;
}

export interface Store {
  getAccount(owner: Owner): Promise<Account | undefined>;
  /** Sets (or creates) an account's balance, recording a `set` entry. */
  setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account>;
  listAccounts(): Promise<Account[]>;
  ledger(owner: Owner, limit?: number): Promise<LedgerEntry[]>;

  /** Debits `task.price` from `task.owner` and stores the task, or neither. */
  acceptTask(task: Task): Promise<AcceptResult>;
  getTask(id: string): Promise<Task | undefined>;
  /** Counts a status poll of an in-progress task that `owner` owns; returns the task as it now is. */
  recordPoll(id: string, owner: Owner): Promise<Task | undefined>;
  /** Ends an in-progress task, refunding its price if it failed; a terminal task is returned unchanged. */
  settleTask(id: string, settlement: Settlement): Promise<Task | undefined>;
  /** Ids of in-progress tasks whose planned end (by time) is at or before `now`, earliest first. */
  dueTaskIds(now: number, owner?: Owner): Promise<string[]>;
  listTasks(filter?: TaskFilter): Promise<Task[]>;
  countTasks(): Promise<number>;

  /** Drops terminal tasks and ledger entries beyond the retention policy. */
  prune(now: number): Promise<{ tasksDropped: number }>;
  /** Forgets everything. */
  clear(): Promise<void>;
}
