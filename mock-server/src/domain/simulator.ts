/**
 * The simulator's domain service: accept a generation (price, plan, debit), read a task (settling
 * it if its time has come), force an outcome, manage balances, reset. No HTTP here: the adapters
 * map wire shapes to these calls and back.
 */
import {
  StoreUnavailableError,
  type AcceptResult,
  type AdvanceResult,
  type MaybePromise,
  type Store,
} from '../store/store.js';
import { checkInvariants, type InvariantReport } from './invariants.js';
import type { Clock } from './clock.js';
import { ownerOf, redactKey, type Owner } from './keys.js';
import type { Account, LedgerEntry } from './ledger.js';
import { taskDurationMs, type LatencyProfileName } from './latency.js';
import { imageCountOf, presetOf, priceOf } from './pricing.js';
import type { Rng } from './rng.js';
import {
  TASK_ID_PREFIX,
  snapshotOf,
  type Outcome,
  type Task,
  type TaskPlan,
  type TaskScenario,
} from './tasks.js';
import { DEFAULT_FAILURE_MESSAGE, drawFailureMessage } from './upstream-errors.js';
import type { GenerateRequest } from './wire-types.js';

export interface StartAccount {
  apiKey: string;
  balance: number;
}

export interface SimulatorOptions {
  /** The world this simulator acts in: every state change goes through it. */
  store: Store;
  /** The world's clock (the memory store's own, or a snapshot read from a shared store). */
  clock: Clock;
  /** The root of all randomness: draw n of each stream is a function of (seed, stream, n). */
  seed: string;
  /** Mixed into task ids only (README, "Determinism"); empty: ids follow from the seed alone. */
  idSalt?: string;
  createRng: (seed: string) => Rng;
  latency: LatencyProfileName;
  /** Share of tasks that fail when no scenario decides, in [0, 1]. */
  failureRate: number;
  /**
   * Keys a reset funds on top of the store's own start accounts (for a simulator built on a bare
   * store, as the domain tests do; the composition puts the configured keys in the store's spec).
   */
  accounts?: readonly StartAccount[];
  /** Retention is applied after every this many accepted tasks. */
  pruneEvery?: number;
}

export type GenerateResult =
  | { ok: true; task: Task; balance: number }
  | { ok: false; reason: 'insufficient_credits'; balance: number; required: number }
  | { ok: false; reason: 'unknown_account' };

/**
 * The world a generate was admitted in was lost (a shared store flushed or restarted empty) and made
 * again, with a new id salt, before its task could be stored (AcceptResult `stale_world`): nothing was
 * charged or stored. Answered 503 with Retry-After, as any request the store cannot serve is: the
 * client's next try is admitted afresh in the world as it now is.
 */
function worldLost(): StoreUnavailableError {
  return new StoreUnavailableError(
    'the world was lost and made again while a generate was in flight (nothing was charged)',
    'recovering',
  );
}

/**
 * A copy of `s` as one flat string. Concatenation makes a tree of string pieces (about 110 bytes for a
 * task id instead of 40), and ids are kept for every retained task.
 */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/**
 * The domain service of one world. It keeps no state of its own: the random streams are counter-based
 * (task n draws from streams derived from the seed and n, n counted by the store), so any number of
 * these, in one process or many, over one store, behave as one simulator.
 */
export class Simulator {
  constructor(private readonly options: SimulatorOptions) {}

  get clock(): Clock {
    return this.options.clock;
  }

  /** Back to the world's start: its accounts, no tasks, the clock and the random streams rewound. */
  async reset(): Promise<void> {
    const { store, clock, accounts = [] } = this.options;
    await store.reset();
    for (const { apiKey, balance } of accounts) {
      await store.setBalance(ownerOf(apiKey), redactKey(apiKey), balance, clock.now());
    }
  }

  /** The owner of a known key, or undefined for a key the simulator does not know. */
  async authenticate(apiKey: string): Promise<Owner | undefined> {
    const owner = ownerOf(apiKey);
    return (await this.options.store.getAccount(owner)) ? owner : undefined;
  }

  /**
   * The task a generate would create as task n of the world at `now`: its id, price and fate (drawn
   * from task n's own streams, or decided by the scenario). Pure: nothing is stored.
   */
  planTask(owner: Owner, request: GenerateRequest, scenario: TaskScenario, n: number, now: number): Task {
    const preset = presetOf(request);
    return {
      id: flat(TASK_ID_PREFIX + this.stream('task-ids', n, this.options.idSalt ?? '').hex(16)),
      owner,
      request: snapshotOf(request),
      preset,
      price: priceOf(preset),
      imageCount: imageCountOf(preset),
      createdAt: now,
      status: 'IN_PROGRESS',
      settledAt: null,
      errorMessage: null,
      polls: 0,
      plan: this.plan(request, preset, now, scenario, n),
    };
  }

  /**
   * Accepts a generate admitted with counter value `n` (Store.admit): one store operation, which also
   * settles the owner's due tasks first (a refund counts for this debit), spends a task-shaping rule
   * and applies retention every `pruneEvery` tasks.
   *
   * The task's id is drawn from this simulator's id salt (its world's as the admission read it), and
   * the store refuses it if the world's salt has changed since (`stale_world`: the world was lost and
   * made again in between): that is thrown as a StoreUnavailableError (503, Retry-After) rather than
   * tried again here, because a new try needs a new admission (the world's new salt, its counter, and
   * the rules, chaos and rate limit of the world as it now is), which is the request path's to make,
   * not this service's; the client's retry gets exactly that. It happens only after a loss of data.
   */
  accept(
    owner: Owner,
    request: GenerateRequest,
    scenario: TaskScenario,
    n: number,
    now: number,
    consumeRule?: string,
  ): MaybePromise<GenerateResult> {
    const every = this.options.pruneEvery ?? 1024;
    const result = this.options.store.accept({
      task: this.planTask(owner, request, scenario, n, now),
      idSalt: this.options.idSalt ?? '',
      ...(consumeRule === undefined ? {} : { consumeRule }),
      prune: n % every === every - 1,
    });
    return result instanceof Promise
      ? result.then((r) => this.accepted(r, owner, request, scenario, now, consumeRule))
      : this.accepted(result, owner, request, scenario, now, consumeRule);
  }

  private accepted(
    result: AcceptResult,
    owner: Owner,
    request: GenerateRequest,
    scenario: TaskScenario,
    now: number,
    consumeRule: string | undefined,
  ): MaybePromise<GenerateResult> {
    if (result.accepted) return { ok: true, task: result.task, balance: result.balance };
    if (result.reason === 'insufficient_credits')
      return { ok: false, reason: result.reason, balance: result.balance, required: result.required };
    if (result.reason === 'unknown_account') return { ok: false, reason: result.reason };
    if (result.reason === 'stale_world') throw worldLost();
    // A duplicate id (2^-64 odds): the next counter value, never an overwritten task.
    return Promise.resolve(this.options.store.nextCounter('tasks')).then((n) =>
      this.accept(owner, request, scenario, n, now, consumeRule),
    );
  }

  async generate(
    owner: Owner,
    request: GenerateRequest,
    scenario: TaskScenario = {},
  ): Promise<GenerateResult> {
    const { store, clock } = this.options;
    const now = clock.now();
    // A task that has already failed has already refunded: its credits count for this debit. The
    // counter does not depend on it: both are sent at once (one round trip to a shared store).
    const [, first] = await Promise.all([store.settleDue(now, owner), store.nextCounter('tasks')]);
    for (let attempt = 0; ; attempt++) {
      const n = attempt === 0 ? first : await store.nextCounter('tasks');
      const task = this.planTask(owner, request, scenario, n, now);
      const result = await store.acceptTask(task);
      if (result.accepted) {
        const every = this.options.pruneEvery ?? 1024;
        if (n % every === every - 1) await store.prune(now);
        return { ok: true, task: result.task, balance: result.balance };
      }
      if (result.reason === 'duplicate_id') continue; // 2^-64 odds, but never overwrite a task
      if (result.reason === 'stale_world') throw worldLost(); // acceptTask never checks the salt
      return result.reason === 'insufficient_credits'
        ? { ok: false, reason: result.reason, balance: result.balance, required: result.required }
        : { ok: false, reason: result.reason };
    }
  }

  /**
   * A task as `owner` sees it now, or undefined if it is unknown or someone else's (not told apart).
   * `poll` counts the read as a status poll, for tasks that end on their n-th poll.
   */
  async readTask(owner: Owner, id: string, { poll }: { poll: boolean }): Promise<Task | undefined> {
    const { store, clock } = this.options;
    const now = clock.now();
    const task = poll ? await store.pollTask(id, owner, now) : await store.readTask(id, now);
    return task && task.owner === owner ? task : undefined;
  }

  /** A task seen from the control plane: any owner, never counted as a poll. */
  async inspectTask(id: string): Promise<Task | undefined> {
    return this.options.store.readTask(id, this.options.clock.now());
  }

  async listTasks(filter: Parameters<Store['listTasks']>[0] = {}): Promise<Task[]> {
    await this.settleDue();
    return this.options.store.listTasks(filter);
  }

  /**
   * Ends an in-progress task now, as QA asks; a failure refunds like any other. The verdict is told
   * (a task QA ended is no longer to be judged by its plan).
   */
  async forceSettle(id: string, outcome: Outcome, errorMessage?: string): Promise<Task | undefined> {
    const { store, clock } = this.options;
    const at = clock.now();
    const status = outcome === 'failed' ? 'FAILED' : 'SUCCESS';
    const task = await store.settleTask(
      id,
      status === 'FAILED'
        ? { status, at, errorMessage: errorMessage ?? DEFAULT_FAILURE_MESSAGE }
        : { status, at, errorMessage: null },
    );
    // Ended by this call (a task that had ended already comes back as it was).
    if (task && task.status === status && task.settledAt === at)
      await store.recordControl({ kind: 'task-ended', at, taskId: id, status });
    return task;
  }

  /** Settles every task whose time has come (of one owner, or all), so balances include their refunds. */
  async settleDue(owner?: Owner): Promise<number> {
    return this.options.store.settleDue(this.options.clock.now(), owner);
  }

  async account(apiKey: string): Promise<{ account: Account; ledger: LedgerEntry[] } | undefined> {
    const owner = ownerOf(apiKey);
    await this.settleDue(owner);
    const account = await this.options.store.getAccount(owner);
    if (!account) return undefined;
    return { account, ledger: await this.options.store.ledger(owner) };
  }

  /** Accounts sorted by label, one page, each with its newest `ledgerEntries` entries; refunds due settled first. */
  async listAccounts(page: {
    offset: number;
    limit: number;
    ledgerEntries: number;
  }): Promise<{ total: number; accounts: Array<{ account: Account; ledger: LedgerEntry[] }> }> {
    const { store } = this.options;
    await this.settleDue();
    const all = (await store.listAccounts()).sort(
      (a, b) => a.label.localeCompare(b.label) || a.owner.localeCompare(b.owner),
    );
    const accounts = await Promise.all(
      all.slice(page.offset, page.offset + page.limit).map(async (account) => ({
        account,
        ledger: page.ledgerEntries === 0 ? [] : await store.ledger(account.owner, page.ledgerEntries),
      })),
    );
    return { total: all.length, accounts };
  }

  /** The account of an owner (a task's, say), without settling anything. */
  accountOf(owner: Owner): Promise<Account | undefined> {
    return this.options.store.getAccount(owner);
  }

  countAccounts(): Promise<number> {
    return this.options.store.listAccounts().then((accounts) => accounts.length);
  }

  countTasks(): Promise<number> {
    return this.options.store.countTasks();
  }

  /** Moves the world's clock (refused, changing nothing, past the clock's limit). */
  advanceClock(ms: number): Promise<AdvanceResult> {
    return this.options.store.advanceClock(ms);
  }

  /** The books checked (GET /__mock/invariants): every balance, debit and refund accounted for. */
  async invariants(): Promise<InvariantReport> {
    const { store } = this.options;
    const accounts = await Promise.all(
      (await store.listAccounts()).map(async (account) => ({
        account,
        ledger: await store.ledger(account.owner),
      })),
    );
    return checkInvariants({
      accounts,
      tasks: await store.listTasks({}),
      tasksDropped: (await store.stats()).tasksDropped,
    });
  }

  /** Sets (or creates) a key's balance, as QA asks; the verdict is told (a 402 or 401 may now pass). */
  async setBalance(apiKey: string, balance: number): Promise<Account> {
    const { store, clock } = this.options;
    const owner = ownerOf(apiKey);
    await this.settleDue(owner);
    const at = clock.now();
    const account = await store.setBalance(owner, redactKey(apiKey), balance, at);
    await store.recordControl({ kind: 'balance-set', at, keyOwner: owner, balance });
    return account;
  }

  /** The random stream `name` of task n (the salt, when given, only for ids). */
  private stream(name: string, n: number, salt = ''): Rng {
    return this.options.createRng(`${this.options.seed}/${name}${salt ? `/${salt}` : ''}/${n}`);
  }

  /**
   * Draws the task's fate. Both draws happen even when a scenario overrides them (a task's draws
   * come from its own streams, so nothing a scenario does can shift another task's).
   */
  private plan(
    request: GenerateRequest,
    preset: Task['preset'],
    now: number,
    scenario: TaskScenario,
    n: number,
  ): TaskPlan {
    const outcomes = this.stream('outcomes', n);
    const drawnDuration = taskDurationMs(
      this.options.latency,
      preset,
      request.quality,
      this.stream('durations', n),
    );
    const drawnFailure = outcomes.next() < this.options.failureRate;
    const drawnMessage = drawFailureMessage(outcomes, request.imageUrls);
    const outcome = scenario.outcome ?? (drawnFailure ? 'failed' : 'success');
    const completeOnPoll = scenario.completeOnPoll ?? null;
    return {
      outcome,
      errorMessage: outcome === 'failed' ? (scenario.errorMessage ?? drawnMessage) : null,
      readyAt: completeOnPoll !== null ? null : now + (scenario.durationMs ?? drawnDuration),
      completeOnPoll,
    };
  }
}
