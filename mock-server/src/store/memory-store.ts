/**
 * The default store: one world, everything in this process's memory. Each method runs to completion
 * without awaiting, so on Node's single thread it is atomic, which is what the Store contract asks.
 *
 * Tasks are copy-on-write: a stored task object is replaced, never changed, so reads hand it out
 * without a defensive copy (the status route is the hottest path). Task fields are `readonly`, so a
 * caller that tries to change one fails the type check. They are not frozen at run time: freezing gave
 * every task its own hidden class in V8, 360 of its 990 bytes (scripts/bench/heap-breakdown.ts).
 *
 * Costs are per owner where a request is one owner's: each owner has its own heap of in-progress
 * tasks by deadline, so a generate or an account read walks that owner's due tasks only, however many
 * tasks other keys abandoned (README, "Retention").
 */
import { VirtualClock, advanceProblem, type Clock } from '../domain/clock.js';
import type { Owner } from '../domain/keys.js';
import { foldLedger, tryDebit, type Account, type LedgerEntry } from '../domain/ledger.js';
import { counterDraw } from '../domain/rng.js';
import {
  abandonment,
  dueSettlement,
  isTerminal,
  nextDeadline,
  taskOf,
  type Settlement,
  type Task,
} from '../domain/tasks.js';
import { takeToken, type BucketState, type BucketVerdict } from '../domain/token-bucket.js';
import { FaultRuleBook, type FaultRule, type FaultRuleInput, type RuleRequest } from '../qa/fault-rules.js';
import { Journal, type JournalFilter, type JournalRecord } from '../qa/journal.js';
import { observe, observeControl } from '../verdict/fold.js';
import type { ControlEventDraft, ObservationDraft } from '../verdict/observation.js';
import { approximateBytes, emptyState, type VerdictState } from '../verdict/state.js';
import { DEFAULT_SETTINGS, type VerdictSettings } from '../verdict/settings.js';
import { MemoryBudget, type ChargeKind, type WorldMeter } from './memory-budget.js';
import { ACCOUNT_BYTES, LEDGER_ENTRY_BYTES, settledMessageBytes, taskBytes } from './memory-costs.js';
import { MinHeap } from './min-heap.js';
import { chaosOn, chaosVerdict } from '../qa/chaos.js';
import {
  answersRequest,
  type AcceptRequest,
  type AcceptResult,
  type Admission,
  type AdmitRequest,
  type AdvanceResult,
  type BudgetResult,
  type JournalLimits,
  type JournalPage,
  type JournalTail,
  type RetentionPolicy,
  type Store,
  type TaskFilter,
  type VerdictReading,
  type WorldSpec,
  type WorldStats,
  type WorldView,
} from './store.js';
import { capRefusal, DEFAULT_CAPS, type WorldCaps } from './world-limits.js';

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxTasks: 1_000_000,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxLedgerEntries: 10_000,
};

export const DEFAULT_JOURNAL: JournalLimits = { maxEntries: 1000, maxBytes: 64 * 1024 * 1024 };

export const DEFAULT_SPEC: WorldSpec = {
  seed: 'memory-store',
  idSalt: '',
  latency: 'fast',
  failureRate: 0,
  clock: 'virtual',
  accounts: [],
};

export interface MemoryStoreOptions {
  retention?: RetentionPolicy;
  journal?: JournalLimits;
  /** The world's clock; the store moves and resets it (a virtual clock at its default start if absent). */
  clock?: Clock;
  spec?: WorldSpec;
  /** The verdict's settings; absent: the verdict is off (observations and control events are ignored). */
  verdict?: VerdictSettings;
  /** The most rules and accounts the world holds (DEFAULT_CAPS if absent). */
  caps?: WorldCaps;
  /** Where the world's bytes are charged (memory-budget.ts); a budget of its own, unlimited, if absent. */
  meter?: WorldMeter;
}

/** What this store charges to its meter, all of it released by a reset. */
const STORE_KINDS: readonly ChargeKind[] = ['journal', 'rules', 'accounts', 'tasks', 'verdict'];

type Counters = Pick<
  WorldStats,
  'tasksCreated' | 'tasksSucceeded' | 'tasksFailed' | 'creditsDebited' | 'creditsRefunded' | 'tasksDropped'
>;

const zeroCounters = (): Counters => ({
  tasksCreated: 0,
  tasksSucceeded: 0,
  tasksFailed: 0,
  creditsDebited: 0,
  creditsRefunded: 0,
  tasksDropped: 0,
});

export class MemoryStore implements Store {
  readonly retention: RetentionPolicy;
  readonly clock: Clock;
  readonly spec: WorldSpec;
  private readonly accounts = new Map<Owner, Account>();
  private readonly ledgers = new Map<Owner, LedgerEntry[]>();
  private readonly tasks = new Map<string, Task>();
  /** In-progress task ids in creation order (abandonment and the count bound walk it from the oldest). */
  private readonly inProgress = new Set<string>();
  /** Finished task ids in settlement order, with when they ended (age-based retention walks it). */
  private readonly finished = new Map<string, number>();
  /** Per owner: in-progress tasks by their next deadline. Entries of settled tasks are skipped lazily. */
  private readonly pending = new Map<Owner, MinHeap<string>>();
  /** Per owner: how many of its tasks are in progress, to tell when its heap is mostly stale entries. */
  private readonly openByOwner = new Map<Owner, number>();
  private readonly counters = new Map<string, number>();
  private readonly buckets = new Map<string, BucketState>();
  /** Budgets (reserveBudget): not cleared by reset, as what they count was spent elsewhere. */
  private readonly budgets = new Map<string, number>();
  private readonly rules: FaultRuleBook;
  private readonly journal: Journal;
  private readonly journalListeners = new Set<() => void>();
  private stats_ = zeroCounters();
  /** The verdict: its settings (undefined: off), its state folded as each request is recorded, its last seq. */
  private readonly verdictSettings: VerdictSettings | undefined;
  private verdict: VerdictState;
  private verdictSeq = 0;
  /** What the verdict's state is charged as now (chargeVerdict). */
  private verdictCharged = 0;
  /** Credits debited and refunded per account since the reset (the report's spend). */
  private spend = new Map<Owner, { debited: number; refunded: number }>();
  private readonly caps: WorldCaps;
  readonly meter: WorldMeter;

  constructor(options: MemoryStoreOptions | RetentionPolicy = {}) {
    const o: MemoryStoreOptions = 'maxTasks' in options ? { retention: options } : options;
    this.retention = o.retention ?? DEFAULT_RETENTION;
    this.clock = o.clock ?? new VirtualClock();
    this.spec = o.spec ?? DEFAULT_SPEC;
    this.caps = o.caps ?? DEFAULT_CAPS;
    this.meter = o.meter ?? MemoryBudget.unlimited().meter('world', 'whole');
    const journal = o.journal ?? DEFAULT_JOURNAL;
    this.journal = new Journal({
      capacity: journal.maxEntries,
      maxBytes: journal.maxBytes,
      meter: this.meter,
    });
    this.rules = new FaultRuleBook(
      () => counterDraw(this.spec.seed, 'fault-rules', this.counter('fault-rules')),
      { maxRules: this.caps.maxRules, meter: this.meter },
    );
    this.verdictSettings = o.verdict;
    this.verdict = emptyState((o.verdict ?? DEFAULT_SETTINGS).caps);
  }

  async view(caller?: Owner): Promise<WorldView> {
    const view: WorldView = {
      spec: this.spec,
      clock: this.clock.state(),
      rules: this.rules.size,
      verdictSeq: this.verdictSeq,
    };
    if (caller !== undefined) {
      const account = await this.getAccount(caller);
      view.caller = account ? { owner: caller, account } : { owner: caller };
    }
    return view;
  }

  /** Synchronous: a request admitted on the memory store waits for no promise (store.ts, AdmitRequest). */
  admit(request: AdmitRequest): Admission {
    const now = this.clock.now();
    const verdictSeq = this.verdictSeq;
    const view: WorldView = {
      spec: this.spec,
      clock: this.clock.state(),
      rules: this.rules.size,
      verdictSeq,
    };
    const stored = this.accounts.get(request.caller);
    if (!stored) return { view, now, verdictSeq };
    const admission: Admission = { view, now, verdictSeq, account: { ...stored } };
    if (request.rule && this.rules.size > 0) {
      const rule = this.rules.fire(request.rule);
      if (rule) {
        admission.rule = rule;
        if (answersRequest(rule.action)) return admission;
      }
    }
    if (chaosOn(request.chaos)) {
      const chaos = chaosVerdict(request.chaos, counterDraw(this.spec.seed, 'chaos', this.counter('chaos')));
      if (chaos) {
        admission.chaos = chaos;
        return admission;
      }
    }
    if (request.bucket) {
      const { name, limit, windowMs } = request.bucket;
      const { state, verdict } = takeToken(this.buckets.get(name), now, limit, windowMs);
      this.buckets.set(name, state);
      admission.token = verdict;
      if (!verdict.allowed) return admission;
    }
    const then = request.then;
    if (then?.kind === 'reserve') admission.reserved = this.counter(then.counter);
    else if (then?.kind === 'poll') {
      const task = this.poll(then.taskId, request.caller, now);
      if (task) admission.task = task;
    }
    return admission;
  }

  accept(request: AcceptRequest): AcceptResult {
    const { task } = request;
    if (request.idSalt !== undefined && request.idSalt !== this.spec.idSalt)
      return { accepted: false, reason: 'stale_world' };
    this.settleDueOf(task.owner, task.createdAt);
    const result = this.store(task);
    if (result.accepted) {
      if (request.consumeRule !== undefined) this.rules.consume(request.consumeRule);
      if (request.prune) this.pruneNow(task.createdAt);
    }
    return result;
  }

  async getAccount(owner: Owner): Promise<Account | undefined> {
    const account = this.accounts.get(owner);
    return account && { ...account };
  }

  /**
   * A new account past --max-accounts, or past the world's share of the memory budget, is refused
   * (WorldLimitError) before anything changes.
   */
  async setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account> {
    return this.putAccount(owner, label, balance, at, false);
  }

  /** `force`: an account of the world's start, put back by every reset whatever the limits. */
  private putAccount(owner: Owner, label: string, balance: number, at: number, force: boolean): Account {
    const existing = this.accounts.get(owner);
    if (!existing) {
      if (!force && this.accounts.size >= this.caps.maxAccounts)
        throw capRefusal('maxAccounts', this.caps.maxAccounts);
      if (force) this.meter.charge('accounts', ACCOUNT_BYTES);
      else this.meter.reserve('accounts', ACCOUNT_BYTES, LEDGER_ENTRY_BYTES);
    }
    const previous = existing?.balance ?? 0;
    const account: Account = { owner, label, balance };
    this.accounts.set(owner, account);
    this.append(owner, { at, kind: 'set', amount: balance - previous, balanceAfter: balance, taskId: null });
    return { ...account };
  }

  async listAccounts(): Promise<Account[]> {
    return [...this.accounts.values()].map((a) => ({ ...a }));
  }

  async ledger(owner: Owner, limit = Infinity): Promise<LedgerEntry[]> {
    return foldLedger(this.ledgers.get(owner) ?? [], Math.min(limit, this.retention.maxLedgerEntries));
  }

  async acceptTask(task: Task): Promise<AcceptResult> {
    return this.store(task);
  }

  private store(task: Task): AcceptResult {
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
    // Refused (WorldLimitError) before the debit: past the world's share or the budget, nothing changes.
    this.meter.reserve('tasks', taskBytes(task), LEDGER_ENTRY_BYTES);
    account.balance = debit.balance;
    this.append(task.owner, {
      at: task.createdAt,
      kind: 'debit',
      amount: -task.price,
      balanceAfter: account.balance,
      taskId: task.id,
    });
    this.stats_.tasksCreated++;
    this.stats_.creditsDebited += task.price;
    this.spendOf(account.owner).debited += task.price;
    // The account's own digest string, not the request's copy: a million tasks then share one
    // 64-character string per key instead of holding a million (about 80 bytes each).
    const stored = this.replace(copyTask({ ...task, owner: account.owner }));
    if (isTerminal(stored)) this.finished.set(stored.id, stored.settledAt ?? stored.createdAt);
    else {
      this.inProgress.add(stored.id);
      this.openByOwner.set(stored.owner, (this.openByOwner.get(stored.owner) ?? 0) + 1);
      this.heapOf(stored.owner).push(nextDeadline(stored, this.retention.maxAgeMs), stored.id);
    }
    this.enforceCount(task.createdAt);
    return { accepted: true, task: this.tasks.get(stored.id) ?? stored, balance: account.balance };
  }

  async getTask(id: string): Promise<Task | undefined> {
    return this.tasks.get(id);
  }

  /** The task as it is at `now`: settled first if its end (or abandonment) has come. */
  async readTask(id: string, now: number): Promise<Task | undefined> {
    const task = this.tasks.get(id);
    return task && this.settleIfDue(task, now);
  }

  async pollTask(id: string, owner: Owner, now: number): Promise<Task | undefined> {
    return this.poll(id, owner, now);
  }

  private poll(id: string, owner: Owner, now: number): Task | undefined {
    const task = this.tasks.get(id);
    if (!task || task.owner !== owner) return undefined;
    if (isTerminal(task)) return task;
    return this.settleIfDue(this.replace(taskOf({ ...task, polls: task.polls + 1 })), now);
  }

  async settleTask(id: string, settlement: Settlement): Promise<Task | undefined> {
    return this.settle(id, settlement);
  }

  async settleDue(now: number, owner?: Owner): Promise<number> {
    if (owner !== undefined) return this.settleDueOf(owner, now);
    let settled = 0;
    for (const o of this.pending.keys()) settled += this.settleDueOf(o, now);
    return settled;
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
    return this.pruneNow(now);
  }

  private pruneNow(now: number): { tasksDropped: number } {
    const { maxAgeMs } = this.retention;
    // Abandon what reached its age while still in progress (creation order: stop at the first younger).
    for (const id of this.inProgress) {
      const task = this.tasks.get(id)!;
      if (task.createdAt + maxAgeMs > now) break;
      this.settle(id, abandonment(task, maxAgeMs));
    }
    let dropped = 0;
    // Kept for maxAgeMs after they ended, that instant included.
    for (const [id, endedAt] of this.finished) {
      if (endedAt + maxAgeMs >= now) break;
      this.drop(id);
      dropped++;
    }
    dropped += this.enforceCount(now);
    this.compactHeaps();
    return { tasksDropped: dropped };
  }

  async nextCounter(name: string): Promise<number> {
    return this.counter(name);
  }

  async advanceClock(ms: number): Promise<AdvanceResult> {
    const problem = advanceProblem(this.clock.now(), ms);
    if (problem) return { ok: false, problem };
    this.clock.advance(ms);
    return { ok: true, clock: this.clock.state() };
  }

  async addRule(input: FaultRuleInput): Promise<FaultRule> {
    return this.rules.add(input);
  }

  async listRules(): Promise<FaultRule[]> {
    return this.rules.list();
  }

  async removeRule(id: string): Promise<boolean> {
    return this.rules.remove(id);
  }

  async clearRules(): Promise<number> {
    return this.rules.clear();
  }

  async fireRule(request: RuleRequest): Promise<FaultRule | undefined> {
    return this.rules.fire(request);
  }

  async consumeRule(id: string): Promise<void> {
    this.rules.consume(id);
  }

  async takeToken(bucket: string, now: number, limit: number, windowMs: number): Promise<BucketVerdict> {
    const { state, verdict } = takeToken(this.buckets.get(bucket), now, limit, windowMs);
    this.buckets.set(bucket, state);
    return verdict;
  }

  async reserveBudget(name: string, amount: number, limit: number): Promise<BudgetResult> {
    const total = this.budgets.get(name) ?? 0;
    if (total + amount > limit) return { reserved: false, total, limit };
    this.budgets.set(name, total + amount);
    return { reserved: true, total: total + amount };
  }

  async releaseBudget(name: string, amount: number): Promise<number> {
    const total = Math.max(0, (this.budgets.get(name) ?? 0) - amount);
    this.budgets.set(name, total);
    return total;
  }

  async readBudget(name: string): Promise<number> {
    return this.budgets.get(name) ?? 0;
  }

  async appendJournal(record: JournalRecord | null, observation?: ObservationDraft): Promise<void> {
    const journalId = record === null ? null : this.journal.record(record);
    if (observation !== undefined && this.verdictSettings !== undefined) {
      observe(this.verdict, { ...observation, seq: ++this.verdictSeq, journalId }, this.verdictSettings);
      this.chargeVerdict();
    }
    if (record === null) return;
    for (const listener of this.journalListeners) listener();
  }

  recordControl(event: ControlEventDraft): void {
    if (this.verdictSettings === undefined) return;
    observeControl(this.verdict, { ...event, seq: ++this.verdictSeq }, this.verdictSettings);
    this.chargeVerdict();
  }

  /**
   * The verdict's state is bounded (its caps) and kept, never refused: its growth is charged to the
   * world's budget like a journal's (approximateBytes is O(1)); a reset releases it.
   */
  private chargeVerdict(): void {
    const bytes = approximateBytes(this.verdict);
    if (bytes > this.verdictCharged) this.meter.charge('verdict', bytes - this.verdictCharged);
    else if (bytes < this.verdictCharged) this.meter.release('verdict', this.verdictCharged - bytes);
    this.verdictCharged = bytes;
  }

  async readVerdict(): Promise<VerdictReading> {
    const byKey = [...this.spend].map(([owner, s]) => ({
      key: this.accounts.get(owner)?.label ?? owner.slice(0, 12),
      debited: s.debited,
      refunded: s.refunded,
    }));
    return {
      // The live state: reportOf only reads it.
      state: this.verdict,
      spend: { debited: this.stats_.creditsDebited, refunded: this.stats_.creditsRefunded, byKey },
      unseen: 0,
    };
  }

  /** About how much memory the verdict's state holds (a memory budget charges the world for it). */
  verdictBytes(): number {
    return approximateBytes(this.verdict);
  }

  watchJournal(listener: () => void): () => void {
    this.journalListeners.add(listener);
    return () => this.journalListeners.delete(listener);
  }

  async queryJournal(filter: JournalFilter = {}): Promise<JournalPage> {
    return this.journal.page(filter);
  }

  async journalTail(after: number, limit: number): Promise<JournalTail> {
    return this.journal.tail(after, limit);
  }

  async stats(): Promise<WorldStats> {
    return {
      ...this.stats_,
      tasksInProgress: this.inProgress.size,
      tasks: this.tasks.size,
      journalEntries: this.journal.size,
      journalBytes: this.journal.byteSize,
    };
  }

  async reset(): Promise<void> {
    this.accounts.clear();
    this.ledgers.clear();
    this.tasks.clear();
    this.inProgress.clear();
    this.finished.clear();
    this.pending.clear();
    this.openByOwner.clear();
    this.counters.clear();
    this.buckets.clear();
    this.rules.reset();
    this.journal.clear();
    this.meter.releaseKinds(STORE_KINDS);
    this.stats_ = zeroCounters();
    this.spend.clear();
    this.clock.reset();
    const at = this.clock.now();
    this.verdictSeq = 0;
    this.verdictCharged = 0; // released with STORE_KINDS above
    this.verdict = emptyState((this.verdictSettings ?? DEFAULT_SETTINGS).caps);
    this.verdict.since = at;
    for (const { owner, label, balance } of this.spec.accounts)
      this.putAccount(owner, label, balance, at, true);
    for (const rule of this.spec.rules ?? []) this.rules.add(rule, { force: true });
  }

  private spendOf(owner: Owner): { debited: number; refunded: number } {
    let spent = this.spend.get(owner);
    if (!spent) this.spend.set(owner, (spent = { debited: 0, refunded: 0 }));
    return spent;
  }

  private counter(name: string): number {
    const n = this.counters.get(name) ?? 0;
    this.counters.set(name, n + 1);
    return n;
  }

  private heapOf(owner: Owner): MinHeap<string> {
    let heap = this.pending.get(owner);
    if (!heap) this.pending.set(owner, (heap = new MinHeap<string>()));
    return heap;
  }

  /**
   * A heap keeps the entries of tasks that ended by polls or by hand until their deadline passes; an
   * owner who never comes back would keep them for the retention age. Rebuilt when mostly stale.
   */
  private compactHeaps(): void {
    for (const [owner, heap] of this.pending) {
      const open = this.openByOwner.get(owner) ?? 0;
      if (heap.size <= 2 * open + 64) continue;
      const fresh = new MinHeap<string>();
      for (const id of heap.allValues()) {
        const task = this.tasks.get(id);
        if (task && !isTerminal(task)) fresh.push(nextDeadline(task, this.retention.maxAgeMs), id);
      }
      if (fresh.size === 0) this.pending.delete(owner);
      else this.pending.set(owner, fresh);
    }
  }

  private settleDueOf(owner: Owner, now: number): number {
    const heap = this.pending.get(owner);
    if (!heap) return 0;
    let settled = 0;
    while (heap.size > 0 && heap.peekKey()! <= now) {
      const task = this.tasks.get(heap.pop()!);
      if (!task || isTerminal(task)) continue; // settled by hand, by polls, or dropped
      const settlement = dueSettlement(task, now, this.retention.maxAgeMs);
      if (settlement) {
        this.settle(task.id, settlement);
        settled++;
      }
    }
    if (heap.size === 0) this.pending.delete(owner);
    return settled;
  }

  private settleIfDue(task: Task, now: number): Task | undefined {
    const settlement = dueSettlement(task, now, this.retention.maxAgeMs);
    return settlement ? this.settle(task.id, settlement) : task;
  }

  private settle(id: string, settlement: Settlement): Task | undefined {
    const current = this.tasks.get(id);
    if (!current) return undefined;
    if (isTerminal(current)) return current;
    const task = this.replace(
      taskOf({
        ...current,
        status: settlement.status,
        settledAt: settlement.at,
        errorMessage: settlement.status === 'FAILED' ? settlement.errorMessage : null,
      }),
    );
    const message = settledMessageBytes(task); // a message QA chose, not the plan's
    if (message > 0) this.meter.charge('tasks', message);
    this.leaveProgress(current);
    this.finished.set(id, settlement.at);
    if (settlement.status === 'FAILED') {
      this.stats_.tasksFailed++;
      const account = this.accounts.get(task.owner);
      if (account) {
        account.balance += task.price;
        this.stats_.creditsRefunded += task.price;
        this.spendOf(account.owner).refunded += task.price;
        this.append(task.owner, {
          at: settlement.at,
          kind: 'refund',
          amount: task.price,
          balanceAfter: account.balance,
          taskId: task.id,
        });
      }
    } else this.stats_.tasksSucceeded++;
    return task;
  }

  /**
   * Keeps the world within maxTasks: the oldest finished task goes first; when every task is in
   * progress, the oldest is abandoned (failed and refunded) and goes. Returns how many went.
   */
  private enforceCount(now: number): number {
    let dropped = 0;
    while (this.tasks.size > this.retention.maxTasks) {
      const oldestFinished = this.finished.keys().next();
      if (!oldestFinished.done) this.drop(oldestFinished.value);
      else {
        const oldest = this.inProgress.values().next().value as string;
        const task = this.tasks.get(oldest)!;
        this.settle(oldest, { ...abandonment(task, this.retention.maxAgeMs), at: now });
        this.drop(oldest);
      }
      dropped++;
    }
    return dropped;
  }

  private drop(id: string): void {
    const task = this.tasks.get(id);
    if (!task) return;
    this.stats_.tasksDropped++;
    if (!isTerminal(task)) this.leaveProgress(task);
    this.meter.release('tasks', taskBytes(task));
    this.tasks.delete(id);
    this.finished.delete(id);
  }

  private leaveProgress(task: Task): void {
    if (!this.inProgress.delete(task.id)) return;
    const open = (this.openByOwner.get(task.owner) ?? 1) - 1;
    if (open === 0) this.openByOwner.delete(task.owner);
    else this.openByOwner.set(task.owner, open);
  }

  private replace(task: Task): Task {
    this.tasks.set(task.id, task);
    return task;
  }

  private append(owner: Owner, entry: LedgerEntry): void {
    let entries = this.ledgers.get(owner);
    if (!entries) this.ledgers.set(owner, (entries = []));
    entries.push(entry);
    // Charged as it comes (never refused: a debit's entry had room reserved with its task, and a
    // refund or a balance set on an existing key must be kept), released as folding drops entries.
    this.meter.charge('accounts', LEDGER_ENTRY_BYTES);
    // Folded in batches of a quarter: folding one entry per debit once full moved the whole array
    // each time (14 % of CPU in the million-task benchmark). `ledger()` shows at most the bound.
    const max = this.retention.maxLedgerEntries;
    if (entries.length > max + Math.ceil(max / 4)) {
      const folded = foldLedger(entries, max);
      this.ledgers.set(owner, folded);
      this.meter.release('accounts', (entries.length - folded.length) * LEDGER_ENTRY_BYTES);
    }
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
