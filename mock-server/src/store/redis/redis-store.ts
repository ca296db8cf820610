/**
 * A world in Redis (the Store contract, store.ts), for a fleet of simulator processes that behave as
 * one. Each method is one Lua script (lua.ts) on keys under the world's hash tag, given the world's
 * time. A process keeps nothing of a world but the connection: two replicas never disagree.
 */
import { VIRTUAL_CLOCK_START, CLOCK_LIMIT_MS } from '../../domain/clock.js';
import type { Owner } from '../../domain/keys.js';
import { foldLedger, type Account, type LedgerEntry } from '../../domain/ledger.js';
import { nextDeadline, type Settlement, type Task } from '../../domain/tasks.js';
import type { BucketVerdict } from '../../domain/token-bucket.js';
import { ruleOf, type FaultRule, type FaultRuleInput, type RuleRequest } from '../../qa/fault-rules.js';
import {
  MAX_JOURNAL_PAGE,
  asciiLower,
  MAX_JOURNAL_SCAN,
  storedEntry,
  type JournalFilter,
  type JournalRecord,
} from '../../qa/journal.js';
import { chaosOn } from '../../qa/chaos.js';
import type { ControlEventDraft, ObservationDraft } from '../../verdict/observation.js';
import { DEFAULT_SETTINGS, type VerdictSettings } from '../../verdict/settings.js';
import {
  WorldMissingError,
  type AcceptRequest,
  type Admission,
  type AdmitRequest,
  type AcceptResult,
  type BudgetResult,
  type AdvanceResult,
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
} from '../store.js';
import { capRefusal, DEFAULT_CAPS, type WorldCaps } from '../world-limits.js';
import type { RedisConnection } from './connection.js';
import { US, WORLD_ARGS, WORLD_SCRIPTS, type RedisEntry, type TaskImmutable } from './lua.js';
import { encodeLeading, type Script } from './script.js';
import { DEFAULT_BACKLOG, RedisVerdict, type BacklogLimits } from './verdict-scripts.js';

/** Most tasks one script settles or prunes: a big backlog is worked in several calls, not one long one. */
const CHUNK = 1_000;
/** Most tasks one listTasks examines. */
const LIST_SCAN = 50_000;

export interface RedisStoreOptions {
  connection: RedisConnection;
  /** e.g. `dc`: every key of this world is `<prefix>:{w:<id>}:<name>`. */
  prefix: string;
  world: string;
  retention: RetentionPolicy;
  journal: JournalLimits;
  /** The most rules and accounts the world holds (DEFAULT_CAPS if absent): the scripts refuse more. */
  caps?: WorldCaps;
  systemNow: () => number;
  /** The verdict's settings; absent: the verdict is off (observations and control events are ignored). */
  verdict?: VerdictSettings | undefined;
  /** How the verdict's backlog is bounded and folded (verdict-scripts.ts). */
  verdictBacklog?: BacklogLimits;
}

export class RedisStore implements Store {
  private readonly base: string;
  readonly channel: string;
  /** The verdict's backlog and its fold; `observing`: whether the verdict is on. */
  private readonly verdict: RedisVerdict;
  private readonly observing: boolean;

  private readonly caps: WorldCaps;

  constructor(private readonly options: RedisStoreOptions) {
    this.caps = options.caps ?? DEFAULT_CAPS;
    this.base = `${options.prefix}:{w:${options.world}}`;
    this.channel = `${options.prefix}:journal:${options.world}`;
    this.observing = options.verdict !== undefined;
    this.verdict = new RedisVerdict(
      (script, args) => this.run(script, undefined, args),
      options.verdict ?? DEFAULT_SETTINGS,
      options.verdictBacklog ?? DEFAULT_BACKLOG,
    );
  }

  /** A world script with its named arguments, after WORLD_ARGS (the world's time, retention). */
  private run<A, T>(script: Script<A, T>, now: number | undefined, args: A): Promise<T> {
    const { retention, systemNow, connection } = this.options;
    const leading = encodeLeading(WORLD_ARGS, {
      NOW: now,
      SYSNOW: systemNow(),
      MAXAGE: retention.maxAgeMs,
      MAXTASKS: retention.maxTasks,
      MAXLEDGER: retention.maxLedgerEntries,
    });
    return connection.run(script, [this.base], args, leading);
  }

  async view(caller?: Owner): Promise<WorldView> {
    const view = await this.run(WORLD_SCRIPTS.view, undefined, { caller });
    if (!view) throw new WorldMissingError(this.options.world);
    return view;
  }

  /** One script, one round trip (WORLD_SCRIPTS.admit). */
  async admit(request: AdmitRequest): Promise<Admission> {
    const { rule, bucket, then } = request;
    const chaos = chaosOn(request.chaos) ? request.chaos : undefined;
    const admission = await this.run(WORLD_SCRIPTS.admit, undefined, {
      caller: request.caller,
      ruleMethod: rule?.method,
      rulePath: rule?.path,
      ruleOwner: rule?.owner,
      ruleCreatesTask: rule?.createsTask ?? false,
      chaos500: chaos?.error500,
      chaos429: chaos?.error429,
      bucket: bucket?.name,
      bucketLimit: bucket?.limit,
      bucketWindowMs: bucket?.windowMs,
      thenKind: then?.kind,
      thenArg: then?.kind === 'reserve' ? then.counter : then?.taskId,
    });
    if (!admission) throw new WorldMissingError(this.options.world);
    return admission;
  }

  /**
   * One script, one round trip (WORLD_SCRIPTS.accept); more only to work through a backlog of the
   * owner's due tasks (chunk by chunk, before the debit) or of retention (after it).
   */
  async accept(request: AcceptRequest): Promise<AcceptResult> {
    const { task, idSalt, consumeRule, prune = false } = request;
    const args = {
      ...this.taskArgs(task),
      checkSalt: idSalt !== undefined,
      salt: idSalt,
      spendRuleId: consumeRule,
      prune,
      limit: CHUNK,
    };
    for (;;) {
      const answer = await this.run(WORLD_SCRIPTS.accept, undefined, args);
      if (answer.more) continue;
      if (answer.pruneMore) await this.prune(task.createdAt);
      return answer.result;
    }
  }

  async getAccount(owner: Owner): Promise<Account | undefined> {
    return this.run(WORLD_SCRIPTS.getAccount, undefined, { owner });
  }

  /** A new account past --max-accounts is refused (WorldLimitError) by the script, changing nothing. */
  async setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account> {
    const { maxAccounts } = this.caps;
    const set = await this.run(WORLD_SCRIPTS.setBalance, undefined, {
      owner,
      label,
      balance,
      at,
      maxAccounts,
    });
    if (!set) throw capRefusal('maxAccounts', maxAccounts);
    return { owner, label, balance };
  }

  listAccounts(): Promise<Account[]> {
    return this.run(WORLD_SCRIPTS.listAccounts, undefined, {});
  }

  async ledger(owner: Owner, limit = Infinity): Promise<LedgerEntry[]> {
    const raw = (await this.options.connection.command([
      'LRANGE',
      `${this.base}:ledger:${owner}`,
      '0',
      '-1',
    ])) as string[];
    return foldLedger(
      raw.map((e) => JSON.parse(e) as LedgerEntry),
      Math.min(limit, this.options.retention.maxLedgerEntries),
    );
  }

  acceptTask(task: Task): Promise<AcceptResult> {
    return this.run(WORLD_SCRIPTS.acceptTask, undefined, this.taskArgs(task));
  }

  /** A task as the scripts that store one are given it. */
  private taskArgs(task: Task) {
    const immutable: TaskImmutable = {
      id: task.id,
      owner: task.owner,
      request: task.request,
      preset: task.preset,
      price: task.price,
      imageCount: task.imageCount,
      createdAt: task.createdAt,
      plan: task.plan,
    };
    return {
      id: task.id,
      owner: task.owner,
      price: task.price,
      createdAt: task.createdAt,
      readyAt: task.plan.readyAt,
      completeOnPoll: task.plan.completeOnPoll,
      outcome: task.plan.outcome,
      planError: task.plan.errorMessage,
      deadline: nextDeadline(task, this.options.retention.maxAgeMs),
      immutable: JSON.stringify(immutable),
    };
  }

  getTask(id: string): Promise<Task | undefined> {
    return this.run(WORLD_SCRIPTS.getTask, undefined, { id });
  }

  readTask(id: string, now: number): Promise<Task | undefined> {
    return this.run(WORLD_SCRIPTS.readTask, now, { id });
  }

  pollTask(id: string, owner: Owner, now: number): Promise<Task | undefined> {
    return this.run(WORLD_SCRIPTS.pollTask, now, { id, owner });
  }

  settleTask(id: string, settlement: Settlement): Promise<Task | undefined> {
    const { status, at, errorMessage } = settlement;
    return this.run(WORLD_SCRIPTS.settleTask, undefined, { id, status, at, errorMessage });
  }

  async settleDue(now: number, owner?: Owner): Promise<number> {
    let total = 0;
    for (;;) {
      const { settled, more } = await this.run(WORLD_SCRIPTS.settleDue, now, { owner, limit: CHUNK });
      total += settled;
      if (!more) return total;
    }
  }

  listTasks(filter: TaskFilter = {}): Promise<Task[]> {
    return this.run(WORLD_SCRIPTS.listTasks, undefined, {
      owner: filter.owner,
      status: filter.status,
      limit: Number.isFinite(filter.limit) ? filter.limit! : LIST_SCAN,
      scan: LIST_SCAN,
    });
  }

  countTasks(): Promise<number> {
    return this.run(WORLD_SCRIPTS.countTasks, undefined, {});
  }

  async prune(now: number): Promise<{ tasksDropped: number }> {
    let tasksDropped = 0;
    for (;;) {
      const { dropped, more } = await this.run(WORLD_SCRIPTS.prune, now, { budget: CHUNK });
      tasksDropped += dropped;
      if (!more) return { tasksDropped };
    }
  }

  nextCounter(name: string): Promise<number> {
    return this.run(WORLD_SCRIPTS.nextCounter, undefined, { name });
  }

  async advanceClock(ms: number): Promise<AdvanceResult> {
    if (!Number.isSafeInteger(ms) || ms < 0)
      return { ok: false, problem: `cannot advance a clock by ${ms} ms` };
    return this.run(WORLD_SCRIPTS.advanceClock, undefined, { ms, limit: CLOCK_LIMIT_MS });
  }

  async addRule(input: FaultRuleInput): Promise<FaultRule> {
    const rule = ruleOf(input);
    const { maxRules } = this.caps;
    const id = await this.run(WORLD_SCRIPTS.addRule, undefined, {
      rule: JSON.stringify(rule),
      left: rule.timesLeft,
      maxRules,
    });
    if (id === undefined) throw capRefusal('maxRules', maxRules);
    return { id, ...rule };
  }

  listRules(): Promise<FaultRule[]> {
    return this.run(WORLD_SCRIPTS.listRules, undefined, {});
  }

  removeRule(id: string): Promise<boolean> {
    return this.run(WORLD_SCRIPTS.removeRule, undefined, { id });
  }

  clearRules(): Promise<number> {
    return this.run(WORLD_SCRIPTS.clearRules, undefined, {});
  }

  fireRule(request: RuleRequest): Promise<FaultRule | undefined> {
    const { method, path, owner, createsTask } = request;
    return this.run(WORLD_SCRIPTS.fireRule, undefined, { method, path, owner, createsTask });
  }

  async consumeRule(id: string): Promise<void> {
    await this.run(WORLD_SCRIPTS.consumeRule, undefined, { id });
  }

  takeToken(bucket: string, now: number, limit: number, windowMs: number): Promise<BucketVerdict> {
    return this.run(WORLD_SCRIPTS.takeToken, now, { bucket, limit, windowMs });
  }

  reserveBudget(name: string, amount: number, limit: number): Promise<BudgetResult> {
    return this.run(WORLD_SCRIPTS.reserveBudget, undefined, { name, amount, limit });
  }

  releaseBudget(name: string, amount: number): Promise<number> {
    return this.run(WORLD_SCRIPTS.releaseBudget, undefined, { name, amount });
  }

  readBudget(name: string): Promise<number> {
    return this.run(WORLD_SCRIPTS.readBudget, undefined, { name });
  }

  async appendJournal(record: JournalRecord | null, observation?: ObservationDraft): Promise<void> {
    const { maxEntries, maxBytes } = this.options.journal;
    const verdict = observation !== undefined && this.observing ? this.verdict : undefined;
    if (record === null || maxEntries === 0) {
      // The journal is off: the observation alone, in the same script.
      if (verdict)
        verdict.afterAppend(
          await this.run(WORLD_SCRIPTS.appendJournal, undefined, {
            fields: '',
            bytes: 0,
            entry: '',
            maxEntries: 0,
            maxBytes,
            channel: this.channel,
            observation: JSON.stringify(observation),
            backlogCap: verdict.limits.cap,
          }),
        );
      return;
    }
    const { id: _id, bytes, requestBody, ...rest } = storedEntry(0, record);
    const entry: RedisEntry = {
      ...rest,
      ...(Buffer.isBuffer(requestBody) ? { rawBody: requestBody.toString('utf8') } : {}),
      ...(typeof requestBody === 'string' ? { cutBody: requestBody } : {}),
    };
    const fields = [
      rest.method,
      rest.status,
      rest.path,
      rest.keyOwner ?? '',
      rest.taskId ?? '',
      rest.injected ?? '',
      rest.operation ?? '',
    ].join(US);
    const backlog = await this.run(WORLD_SCRIPTS.appendJournal, undefined, {
      fields,
      bytes,
      entry: JSON.stringify(entry),
      maxEntries,
      maxBytes,
      channel: this.channel,
      observation: verdict ? JSON.stringify(observation) : '',
      backlogCap: verdict?.limits.cap ?? 0,
    });
    verdict?.afterAppend(backlog);
  }

  async recordControl(event: ControlEventDraft): Promise<void> {
    if (this.observing) await this.verdict.recordControl(event);
  }

  /** Folds the backlog (any replica may) and reads it; off, the backlog is empty, the spend is kept. */
  readVerdict(): Promise<VerdictReading> {
    return this.verdict.fold();
  }

  queryJournal(filter: JournalFilter = {}): Promise<JournalPage> {
    const statusClass = /^([1-5])xx$/.exec(filter.status ?? '')?.[1];
    const { injected } = filter;
    return this.run(WORLD_SCRIPTS.queryJournal, undefined, {
      method: filter.method,
      path: filter.path,
      status: statusClass ?? filter.status,
      keyOwner: filter.keyOwner,
      taskId: filter.taskId,
      before: filter.before,
      after: filter.after,
      limit: Math.min(filter.limit ?? 100, MAX_JOURNAL_PAGE),
      scan: MAX_JOURNAL_SCAN,
      injected:
        injected === undefined
          ? ''
          : injected === true
            ? 'any'
            : injected === false
              ? 'none'
              : `=${injected}`,
      operation: filter.operation,
      needle: filter.text ? asciiLower(filter.text) : '',
    });
  }

  async journalTail(after: number, limit: number): Promise<JournalTail> {
    const tail = await this.run(WORLD_SCRIPTS.journalTail, undefined, { after, limit });
    if (!tail) throw new WorldMissingError(this.options.world);
    return tail;
  }

  /** Calls `listener` after journal appends by any process, through Redis pub/sub. */
  watchJournal(listener: () => void): () => void {
    return this.options.connection.subscribe(this.channel, listener);
  }

  stats(): Promise<WorldStats> {
    return this.run(WORLD_SCRIPTS.stats, undefined, {});
  }

  async reset(): Promise<void> {
    const { spec } = await this.view();
    await this.writeStart(spec);
  }

  /** Creates the world (or puts it back to its start) from its spec. */
  async writeStart(spec: WorldSpec): Promise<void> {
    const rules = (spec.rules ?? []).flatMap((input) => {
      const rule = ruleOf(input);
      return [JSON.stringify(rule), rule.timesLeft ?? ''];
    });
    await this.run(WORLD_SCRIPTS.reset, undefined, {
      specJson: JSON.stringify(spec),
      clock: spec.clock,
      virtualStart: VIRTUAL_CLOCK_START,
      rules,
    });
  }

  /** Whether the world's start has been written. */
  async exists(): Promise<boolean> {
    return Number(await this.options.connection.command(['HEXISTS', `${this.base}:meta`, 'spec'])) === 1;
  }

  async destroy(): Promise<void> {
    await this.run(WORLD_SCRIPTS.destroy, undefined, {});
  }
}
