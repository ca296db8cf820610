/**
 * Where the simulator's state lives. Everything a client can observe is here (accounts and ledgers,
 * tasks, fault rules and their counters, rate-limit buckets, the clock, random-stream counters, the
 * journal, and the proxy's credit budget), so that several processes sharing one networked store
 * behave as one simulator.
 *
 * A `Store` is one world (one tenant): every method acts for that world only, and each is one
 * atomic unit. The memory store runs each to completion without awaiting; the Redis store runs each
 * as one Lua script on keys under one hash tag, with the simulator's time passed in, never Redis's.
 * Callers never read-then-write across two calls: where a decision depends on state (a debit on the
 * balance, a rule's `times`, a token), the store makes it inside the call.
 *
 * A `StoreBackend` holds the worlds and the directory that maps an API key or a tenant credential
 * to its world (see tenants in the README).
 */
import type { ClockState } from '../domain/clock.js';
import type { Owner } from '../domain/keys.js';
import type { Account, LedgerEntry } from '../domain/ledger.js';
import type { LatencyProfileName } from '../domain/latency.js';
import type { Settlement, Task } from '../domain/tasks.js';
import type { BucketVerdict } from '../domain/token-bucket.js';
import type { TaskStatus } from '../domain/wire-types.js';
import type { FaultRule, FaultRuleInput, RuleRequest } from '../qa/fault-rules.js';
import type { JournalEntry, JournalFilter, JournalRecord, StoredEntry } from '../qa/journal.js';
import type { ControlEventDraft, ObservationDraft } from '../verdict/observation.js';
import type { SpendInput } from '../verdict/report.js';
import type { VerdictState } from '../verdict/state.js';
import type { MemoryUsage } from './memory-budget.js';

/**
 * A shared store cannot be reached (or did not answer in time): the HTTP layer answers 503 with
 * Retry-After. Here rather than beside the Redis connection, so that the error path does not load
 * the Redis client into a simulator on the memory store (it is most of a start-up's time).
 */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds = 1;

  constructor(reason: string, state = 'unavailable') {
    super(`The simulator's store is ${state}: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A shared store that refuses writes for want of memory (Redis over `maxmemory` with `noeviction`):
 * reads still work, and a refused write changed nothing (Redis refuses a script's first write, before
 * it has any effect, and never one after it). A StoreUnavailableError, so the HTTP layer answers 503
 * with Retry-After; the connection logs the episode once, when it starts and when it ends.
 */
export class StoreFullError extends StoreUnavailableError {
  constructor(reason: string) {
    super(reason, 'full');
    this.name = 'StoreFullError';
  }
}

export { WorldLimitError, type WorldCaps, type WorldLimit } from './world-limits.js';

/** A world a shared store no longer has (dropped, or the store lost its data). */
export class WorldMissingError extends Error {
  constructor(world: string) {
    super(`world ${world} does not exist in the store`);
    this.name = 'WorldMissingError';
  }
}

/** What a Store answers at once (the memory store) or after a round trip (a shared store). */
export type MaybePromise<T> = T | Promise<T>;

/** Chaos (`--chaos-500`, `--chaos-429`): the odds, in [0, 1], that a request is answered 500 or 429. */
export interface ChaosOdds {
  error500: number;
  error429: number;
}

/**
 * A public API request's admission, asked of its world in ONE operation: whether the caller's key is
 * the world's, whether a fault rule or chaos answers the request instead, whether the rate limiter
 * lets it through, and, when all of that lets it in, the task it polls or the counter value its new
 * task takes. Each step runs only if the ones before let the request through, in this order:
 *
 *  1. the caller's account (none: the key is unknown here, and nothing else happens);
 *  2. the first fault rule that matches and fires (one that forces a status or a network fault
 *     answers the request: nothing else happens; one that shapes the task or holds the answer lets
 *     it go on, and is spent once its task exists);
 *  3. chaos (a 500 or a 429 drawn from the world's seeded `chaos` stream answers the request);
 *  4. a token of the caller's bucket (none left: 429, nothing else happens);
 *  5. `then`: the next value of a counter (a generate: its task's id and draws), or a status poll.
 *
 * The memory store answers synchronously; the Redis store runs it as one script (one round trip),
 * which reads the world's clock and id salt with the rest: the counter value and the salt it is
 * drawn with come from the same instant of the world.
 */
export interface AdmitRequest {
  /** The digest of the caller's key. */
  caller: Owner;
  /** The request as fault rules match it; absent: no rule may act on it. */
  rule?: RuleRequest;
  /** Chaos odds; absent (or both 0): no draw. */
  chaos?: ChaosOdds;
  /** The caller's rate-limit bucket; absent: rate limiting is off. */
  bucket?: { name: string; limit: number; windowMs: number };
  /** What an admitted request does in the same operation; absent: nothing (an invalid request). */
  then?: { kind: 'reserve'; counter: string } | { kind: 'poll'; taskId: string };
}

export interface Admission {
  view: WorldView;
  /** The world's time of this admission. */
  now: number;
  /**
   * The world's latest verdict seq when the request was admitted (0 when none yet): the
   * observation's `afterSeq`, which tells a reaction to an answer from a request already in flight.
   * In Redis, the `vseq` field of the world's `meta` hash.
   */
  verdictSeq: number;
  /** The caller's account; absent: the key is unknown in this world, and nothing else was done. */
  account?: Account;
  /** The rule that fired, if any. */
  rule?: FaultRule;
  /** Chaos's verdict, when it answers the request. */
  chaos?: 500 | 429;
  /** The rate limiter's verdict, when the request got that far with rate limiting on. */
  token?: BucketVerdict;
  /** `then: reserve`: the counter's value taken. */
  reserved?: number;
  /** `then: poll`: the task as the poll leaves it; absent: unknown, or another owner's. */
  task?: Task;
}

/** A task to accept, with what goes with it in the same operation. */
export interface AcceptRequest {
  task: Task;
  /**
   * The world's id salt the task's id was drawn with (WorldSpec.idSalt, read with its admission).
   * When the world's salt is no longer it, or the world no longer exists, the task is refused as
   * `stale_world` before anything else happens: the world was lost (a shared store flushed) and made
   * again since, with a new salt and its counters from 0, and an id drawn since from the old salt
   * could be one handed out before the loss. Absent: not checked.
   */
  idSalt?: string;
  /** A task-shaping fault rule that fired for this request: spent once the task exists. */
  consumeRule?: string;
  /** Apply the retention policy after the task is stored. */
  prune?: boolean;
}

/** Whether a fault action answers the request itself (a status, a network fault), rather than shaping its task. */
export function answersRequest(action: { status?: number; fault?: string }): boolean {
  return action.status !== undefined || action.fault !== undefined;
}

export type AcceptResult =
  | { accepted: true; task: Task; balance: number }
  | { accepted: false; reason: 'insufficient_credits'; balance: number; required: number }
  | { accepted: false; reason: 'unknown_account' }
  | { accepted: false; reason: 'duplicate_id' }
  /** Only from accept(), when asked to check the world's id salt (AcceptRequest.idSalt). */
  | { accepted: false; reason: 'stale_world' };

export interface TaskFilter {
  owner?: Owner;
  status?: TaskStatus;
  /** Newest first, at most this many. */
  limit?: number;
}

export interface RetentionPolicy {
  /**
   * Tasks kept at most, in any state. Beyond it the oldest finished task goes first; when every task
   * is still in progress, the oldest is first failed (and refunded) as abandoned, then dropped.
   */
  maxTasks: number;
  /**
   * Finished tasks are dropped this long (ms) after they ended; a task still IN_PROGRESS this long
   * after its creation is abandoned: it fails with ABANDONED_MESSAGE and is refunded.
   */
  maxAgeMs: number;
  /** Ledger entries kept per account; older ones are folded into one carried-forward entry. */
  maxLedgerEntries: number;
}

export interface JournalLimits {
  /** Entries kept at most (0: the journal is off). */
  maxEntries: number;
  /** Bytes kept at most, as estimated by `journalEntryBytes`; the oldest entries go first. */
  maxBytes: number;
}

/** How a world behaves, fixed when it is created (the default world: from the configuration). */
export interface WorldSpec {
  /** Root of every random draw of this world. */
  seed: string;
  /**
   * Mixed into task ids only: random per start unless an exact replay is asked for, so a restarted
   * simulator never hands an old id to a new task (README, "Determinism").
   */
  idSalt: string;
  latency: LatencyProfileName;
  failureRate: number;
  clock: ClockState['kind'];
  /** The accounts a reset puts back. Keys in clear stay in the process that configured them. */
  accounts: ReadonlyArray<{ owner: Owner; label: string; balance: number }>;
  /**
   * Fault rules a reset puts back, in this order, with ids from `rule_1` (a scenario loaded at start
   * with `--scenario`, such as a recorded bad day): part of the world's start state like its accounts.
   */
  rules?: readonly FaultRuleInput[];
}

/** What one request needs to know about its world, read in one call. */
export interface WorldView {
  spec: WorldSpec;
  clock: ClockState;
  /** Fault rules in force: when 0, a request need not ask the store to fire one. */
  rules: number;
  /**
   * The owner passed to view(owner) and its account, read with the rest (account absent: no such
   * account); absent when view() was called without one. A public request learns its world and whether its
   * key is known in one store operation: on Redis that is one round trip fewer per request.
   */
  caller?: { owner: Owner; account?: Account };
  /** The world's latest verdict seq (Admission.verdictSeq), read with the rest; absent: 0. */
  verdictSeq?: number;
}

export interface WorldStats {
  tasksCreated: number;
  tasksSucceeded: number;
  tasksFailed: number;
  creditsDebited: number;
  creditsRefunded: number;
  /** Tasks retention has dropped (GET /__mock/invariants needs to know whether any went). */
  tasksDropped: number;
  tasksInProgress: number;
  tasks: number;
  journalEntries: number;
  journalBytes: number;
}

export interface JournalPage {
  entries: JournalEntry[];
  /** Pass as `before` to read the next (older) page; absent on the last page. */
  next?: number;
}

/** What a journal's followers read (journal-feed.ts): the entries after a cursor, as stored. */
export interface JournalTail {
  /** Entries newer than the cursor, oldest first; any already evicted are skipped. */
  entries: StoredEntry[];
  /** The newest entry's id (0: none yet); below the cursor when the journal was cleared since. */
  newest: number;
}

/** What the verdict of a world has seen since its reset, read in one operation (GET /__mock/report). */
export interface VerdictReading {
  /** Every observation and control event folded, in seq order (empty when the verdict is off). */
  state: VerdictState;
  /** Credits debited and refunded since the world's reset, per account: the ledger's, exactly. */
  spend: SpendInput;
  /** Observations recorded but dropped before any fold (a shared store bounds its backlog). */
  unseen: number;
}

export type AdvanceResult = { ok: true; clock: ClockState } | { ok: false; problem: string };

/**
 * A reservation against a budget: either `amount` was added (the total now `reserved`), or adding it
 * would have passed `limit`, and nothing changed.
 */
export type BudgetResult =
  { reserved: true; total: number } | { reserved: false; total: number; limit: number };

export interface Store {
  /** The world's settings, clock and rule count; with `caller`, that account too (WorldView.caller). */
  view(caller?: Owner): Promise<WorldView>;

  getAccount(owner: Owner): Promise<Account | undefined>;
  /** Sets (or creates) an account's balance, recording a `set` entry. */
  setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account>;
  listAccounts(): Promise<Account[]>;
  /** The account's entries, oldest first: the newest `limit` ones, after any carried-forward entry. */
  ledger(owner: Owner, limit?: number): Promise<LedgerEntry[]>;

  /** A public API request's admission, in one operation: see AdmitRequest. */
  admit(request: AdmitRequest): MaybePromise<Admission>;
  /**
   * A generate's task, in one operation: a world whose id salt is not the request's refuses it
   * (`stale_world`, nothing done); the owner's tasks whose end has come are settled first (a refund
   * counts for this debit), then `task.price` is debited and the task stored, or neither; then the
   * rule is spent and retention applied, as the request asks. The memory store answers synchronously;
   * the Redis store runs it as one script (more only when a backlog of due tasks or of retention is
   * larger than one script should take on: it is worked in chunks).
   */
  accept(request: AcceptRequest): MaybePromise<AcceptResult>;

  /** Debits `task.price` from `task.owner` and stores the task, or neither. */
  acceptTask(task: Task): Promise<AcceptResult>;
  /** The task as stored, whether or not its end has come. */
  getTask(id: string): Promise<Task | undefined>;
  /** The task as it is at `now`: settled first if its end (or its abandonment) has come. */
  readTask(id: string, now: number): Promise<Task | undefined>;
  /**
   * Counts a status poll by `owner` and settles the task if that poll, or the time, ends it; returns
   * the task as it now is, or undefined when unknown or another owner's.
   */
  pollTask(id: string, owner: Owner, now: number): Promise<Task | undefined>;
  /** Ends an in-progress task, refunding its price if it failed; a terminal task is returned unchanged. */
  settleTask(id: string, settlement: Settlement): Promise<Task | undefined>;
  /**
   * Settles the in-progress tasks whose planned end (or abandonment) has come by `now`: those of
   * `owner`, or of the whole world. The cost depends on those tasks only, never on other owners'.
   */
  settleDue(now: number, owner?: Owner): Promise<number>;
  listTasks(filter?: TaskFilter): Promise<Task[]>;
  countTasks(): Promise<number>;
  /** Applies the retention policy: drops finished tasks, abandons and drops tasks beyond it. */
  prune(now: number): Promise<{ tasksDropped: number }>;

  /** The n-th draw of a named counter of this world, from 0 (random streams are counter-based). */
  nextCounter(name: string): Promise<number>;

  /**
   * Moves the clock forward, refusing (and changing nothing) past CLOCK_LIMIT_MS. A real clock's time
   * is the system time of the process asking plus the world's offset.
   */
  advanceClock(ms: number): Promise<AdvanceResult>;

  addRule(input: FaultRuleInput): Promise<FaultRule>;
  listRules(): Promise<FaultRule[]>;
  removeRule(id: string): Promise<boolean>;
  clearRules(): Promise<number>;
  /**
   * The first rule that matches and fires (probability drawn from the world's `fault-rules` stream),
   * counting the hit unless the rule only shapes a task; see FaultRuleBook.fire.
   */
  fireRule(request: RuleRequest): Promise<FaultRule | undefined>;
  /** Counts a hit of a task-shaping rule once its task exists; a rule whose `times` run out retires. */
  consumeRule(id: string): Promise<void>;

  /** One token of a token bucket (rate limits): limit per window, refilled continuously. */
  takeToken(bucket: string, now: number, limit: number, windowMs: number): Promise<BucketVerdict>;

  /**
   * Adds `amount` to the named budget's total unless the total would then pass `limit`, in one atomic
   * step (the proxy's credit guard: concurrent generates, in one process or across a fleet, never take
   * the credits forwarded to the live API past `--proxy-max-credits`). `amount` is a whole number >= 0.
   *
   * Budgets count what was spent outside the simulator, which a reset does not give back: `reset()`
   * keeps them (they live as long as the world's store does).
   */
  reserveBudget(name: string, amount: number, limit: number): Promise<BudgetResult>;
  /** Takes `amount` back off a budget (a reservation whose request was not accepted); never below 0. */
  releaseBudget(name: string, amount: number): Promise<number>;
  /** A budget's total (0 when nothing was ever reserved). */
  readBudget(name: string): Promise<number>;

  /**
   * Records one public request, in one operation: its journal entry (`null`: the journal is off),
   * and, when given and the verdict is on, its observation, which the store gives the world's next
   * verdict seq and the entry's journal id, and folds (the memory store at once; a shared store
   * later, from its backlog).
   */
  appendJournal(record: JournalRecord | null, observation?: ObservationDraft): MaybePromise<void>;
  queryJournal(filter?: JournalFilter): Promise<JournalPage>;
  /**
   * The entries newer than `after`, as stored, oldest first, at most `limit` (the oldest of them, so
   * that a reader pages forward), and the newest id, in one operation: how a journal's followers read
   * each new entry once (http/admin/journal-feed.ts). Throws WorldMissingError for a world the store
   * no longer has (a tenant dropped, through another replica).
   */
  journalTail(after: number, limit: number): Promise<JournalTail>;
  /**
   * Calls `listener` after journal appends (in this process or, for a shared store, in any), so that
   * a follower need not poll; returns the function that stops it. One call may stand for several
   * appends (a burst): the listener reads what is new with journalTail. A store without it is polled.
   */
  watchJournal?(listener: () => void): () => void;

  /**
   * A control-API event the verdict must know of (a task ended by QA, a balance set), with the world's
   * next verdict seq; nothing when the verdict is off.
   */
  recordControl(event: ControlEventDraft): MaybePromise<void>;
  /** The verdict's state folded up to the latest observation, and the spend since the reset. */
  readVerdict(): Promise<VerdictReading>;

  stats(): Promise<WorldStats>;

  /**
   * Back to the world's start: its accounts and balances, no tasks, rules, buckets or journal,
   * counters at 0 (so the same requests replay the same draws) and the clock at its start; the
   * verdict starts again (its seq at 0, its `since` the reset) and so do the spend counters. Budgets
   * are kept (see reserveBudget).
   */
  reset(): Promise<void>;
}

/** A tenant as the backend keeps it. The credential and keys are digests; the clear ones were shown once. */
export interface TenantRecord {
  id: string;
  /** A caller's label for it (a CI job's name), not unique. */
  name: string;
  spec: WorldSpec;
  /** Digest of the tenant credential (`X-Mock-Token`); empty for the default world. */
  tokenDigest: string;
  /** System time (ms) of its creation and of the last request that acted in it. */
  createdAt: number;
  lastSeenAt: number;
  /** Dropped when idle longer than this (ms); 0: never (the default world). */
  idleTimeoutMs: number;
  /** The share of the caller that created it (creation-shares.ts); absent: the operator's. */
  createdBy?: string;
}

export type ClaimResult = { ok: true } | { ok: false; owner: 'another_world' };

/**
 * The worlds of one simulator and the directory that maps API keys and tenant credentials to them.
 * The directory is separate from the worlds (in Redis, other keys than a world's hash tag): an
 * operation that touches both writes the directory first when it adds and last when it removes, so
 * that a crash between the two leaves at worst an unreachable world, which idle sweeping drops.
 */
export interface StoreBackend {
  readonly kind: 'memory' | 'redis';
  /** The Store of a world (whether or not it exists: a missing world's store is empty). */
  world(id: string): Store;
  /** Creates a world (its spec's accounts funded) and claims its keys; refuses a key already claimed. */
  createWorld(record: TenantRecord): Promise<ClaimResult>;
  /**
   * The world as it already is, or created from `record` if it does not exist: how each process of
   * a fleet starts on the default world without wiping what the others did (the first one's spec,
   * its id salt included, is the one kept).
   */
  ensureWorld(record: TenantRecord): Promise<TenantRecord>;
  getWorld(id: string): Promise<TenantRecord | undefined>;
  listWorlds(): Promise<TenantRecord[]>;
  /** Forgets a world, its state and its keys. */
  deleteWorld(id: string): Promise<boolean>;
  /** Records a request in the world, for idle sweeping. */
  touchWorld(id: string, systemNow: number): Promise<void>;
  /** The world a key belongs to. */
  worldOfKey(owner: Owner): Promise<string | undefined>;
  /** Makes a key the world's (a key created through the control API); refuses another world's key. */
  claimKey(owner: Owner, worldId: string): Promise<ClaimResult>;
  /** Gives keys up (the world was reset without them). */
  releaseKeys(worldId: string, owners: readonly Owner[]): Promise<void>;
  worldOfToken(tokenDigest: string): Promise<string | undefined>;
  /**
   * Whether the backend can serve requests now, and why not; `degraded`: it serves, but not all of
   * it (a full Redis: reads work, writes are refused), and why.
   */
  health(): Promise<{ ok: true; degraded?: string } | { ok: false; reason: string }>;
  /**
   * What the worlds hold of the process's memory budget (memory-budget.ts), the largest `top` first;
   * absent where the worlds' memory is not this process's (Redis: its `maxmemory` bounds them).
   */
  memory?(top?: number): MemoryUsage;
  close(): Promise<void>;
}
