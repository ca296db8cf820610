/**
 * A world in Redis (the Store contract, store.ts), for a fleet of simulator processes that behave as
 * one. Each method is one Lua script (lua.ts) on keys under the world's hash tag, given the world's
 * time. A process keeps nothing of a world but the connection: two replicas never disagree.
 */
import { VIRTUAL_CLOCK_START, CLOCK_LIMIT_ISO, CLOCK_LIMIT_MS, type ClockState } from '../../domain/clock.js';
import type { Owner } from '../../domain/keys.js';
import { foldLedger, type Account, type LedgerEntry } from '../../domain/ledger.js';
import { nextDeadline, type Settlement, type Task } from '../../domain/tasks.js';
import type { BucketVerdict } from '../../domain/token-bucket.js';
import { ruleOf, type FaultRule, type FaultRuleInput, type RuleRequest } from '../../qa/fault-rules.js';
import {
  MAX_JOURNAL_PAGE,
  asciiLower,
  MAX_JOURNAL_SCAN,
  materialise,
  storedEntry,
  type JournalFilter,
  type JournalRecord,
  type StoredEntry,
} from '../../qa/journal.js';
import { acceptStepwise, admitStepwise } from '../stepwise.js';
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
  type RetentionPolicy,
  type Store,
  type TaskFilter,
  type WorldSpec,
  type WorldStats,
  type WorldView,
} from '../store.js';
import type { RedisConnection } from './connection.js';
import type { SCRIPTS } from './lua.js';

/** Most tasks one script settles or prunes: a big backlog is worked in several calls, not one long one. */
const CHUNK = 1_000;
/** Most tasks one listTasks examines. */
const LIST_SCAN = 50_000;
const US = '\x1f';

type Reply = string | number | null | Reply[];

export interface RedisStoreOptions {
  connection: RedisConnection;
  /** e.g. `dc`: every key of this world is `<prefix>:{w:<id>}:<name>`. */
  prefix: string;
  world: string;
  retention: RetentionPolicy;
  journal: JournalLimits;
  systemNow: () => number;
}

interface TaskImmutable {
  id: string;
  owner: Owner;
  request: Task['request'];
  preset: Task['preset'];
  price: number;
  imageCount: number;
  createdAt: number;
  plan: Task['plan'];
}

function taskFrom(reply: Reply): Task | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [j, s, sa, em, p] = reply as string[];
  const base = JSON.parse(j!) as TaskImmutable;
  return {
    id: base.id,
    owner: base.owner,
    request: base.request,
    preset: base.preset,
    price: base.price,
    imageCount: base.imageCount,
    createdAt: base.createdAt,
    status: s as Task['status'],
    settledAt: sa ? Number(sa) : null,
    errorMessage: em ? em : null,
    polls: Number(p),
    plan: base.plan,
  };
}

function ruleFrom(id: string, json: string, left: string, hits: string): FaultRule {
  const rule = JSON.parse(json) as Omit<FaultRule, 'id'>;
  return {
    id,
    match: rule.match,
    action: rule.action,
    timesLeft: left === '' ? null : Number(left),
    probability: rule.probability,
    hits: Number(hits),
  };
}

/** The journal entry as kept in Redis: the memory store's, its request bytes as text. */
interface RedisEntry extends Omit<StoredEntry, 'requestBody' | 'id' | 'bytes'> {
  rawBody?: string;
  cutBody?: string;
}

export class RedisStore implements Store {
  private readonly base: string;
  readonly channel: string;

  constructor(private readonly options: RedisStoreOptions) {
    this.base = `${options.prefix}:{w:${options.world}}`;
    this.channel = `${options.prefix}:journal:${options.world}`;
  }

  private run(script: keyof typeof SCRIPTS, now: number | '', ...args: Array<string | number>) {
    const { retention } = this.options;
    return this.options.connection.world(script, this.base, [
      String(now),
      String(this.options.systemNow()),
      String(retention.maxAgeMs),
      String(retention.maxTasks),
      String(retention.maxLedgerEntries),
      ...args.map(String),
    ]) as Promise<Reply>;
  }

  async view(caller?: Owner): Promise<WorldView> {
    const reply = (await this.run('view', '', caller ?? '')) as [
      string,
      string,
      string,
      string,
      string,
      ...unknown[],
    ];
    const [spec, kind, cv, co, rules] = reply;
    if (!spec) throw new WorldMissingError(this.options.world);
    const clock: ClockState =
      kind === 'virtual' ? { kind, nowMs: Number(cv) } : { kind: 'real', offsetMs: Number(co) };
    const view: WorldView = { spec: JSON.parse(spec) as WorldSpec, clock, rules: Number(rules) };
    if (caller !== undefined) {
      const balance = reply[5];
      view.caller =
        balance === undefined
          ? { owner: caller }
          : {
              owner: caller,
              account: { owner: caller, label: String(reply[6] ?? ''), balance: Number(balance) },
            };
    }
    return view;
  }

  // LIMITATION (for now): the composite operations as a sequence of this store's own scripts.
  admit(request: AdmitRequest): Promise<Admission> {
    return admitStepwise(this, request, this.options.systemNow);
  }

  accept(request: AcceptRequest): Promise<AcceptResult> {
    return acceptStepwise(this, request);
  }

  async getAccount(owner: Owner): Promise<Account | undefined> {
    const reply = await this.run('getAccount', '', owner);
    if (!Array.isArray(reply)) return undefined;
    return { owner, label: String(reply[1] ?? ''), balance: Number(reply[0]) };
  }

  async setBalance(owner: Owner, label: string, balance: number, at: number): Promise<Account> {
    await this.run('setBalance', '', owner, label, balance, at);
    return { owner, label, balance };
  }

  async listAccounts(): Promise<Account[]> {
    const flat = (await this.run('listAccounts', '')) as string[];
    const out: Account[] = [];
    for (let i = 0; i < flat.length; i += 3)
      out.push({ owner: flat[i] as Owner, balance: Number(flat[i + 1]), label: flat[i + 2]! });
    return out;
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

  async acceptTask(task: Task): Promise<AcceptResult> {
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
    const reply = (await this.run(
      'acceptTask',
      '',
      task.id,
      task.owner,
      task.price,
      task.createdAt,
      task.plan.readyAt ?? '',
      task.plan.completeOnPoll ?? '',
      task.plan.outcome,
      task.plan.errorMessage ?? '',
      nextDeadline(task, this.options.retention.maxAgeMs),
      JSON.stringify(immutable),
    )) as Reply[];
    const outcome = reply[0] as string;
    if (outcome === 'accepted')
      return { accepted: true, task: taskFrom(reply[2]!)!, balance: Number(reply[1]) };
    if (outcome === 'insufficient_credits')
      return { accepted: false, reason: outcome, balance: Number(reply[1]), required: Number(reply[2]) };
    return { accepted: false, reason: outcome as 'unknown_account' | 'duplicate_id' };
  }

  async getTask(id: string): Promise<Task | undefined> {
    return taskFrom(await this.run('getTask', '', id));
  }

  async readTask(id: string, now: number): Promise<Task | undefined> {
    return taskFrom(await this.run('readTask', now, id));
  }

  async pollTask(id: string, owner: Owner, now: number): Promise<Task | undefined> {
    return taskFrom(await this.run('pollTask', now, id, owner));
  }

  async settleTask(id: string, settlement: Settlement): Promise<Task | undefined> {
    return taskFrom(
      await this.run('settleTask', '', id, settlement.status, settlement.at, settlement.errorMessage ?? ''),
    );
  }

  async settleDue(now: number, owner?: Owner): Promise<number> {
    let total = 0;
    for (;;) {
      const [settled, more] = (await this.run('settleDue', now, owner ?? '', CHUNK)) as number[];
      total += settled!;
      if (!more) return total;
    }
  }

  async listTasks(filter: TaskFilter = {}): Promise<Task[]> {
    const limit = Number.isFinite(filter.limit) ? filter.limit! : LIST_SCAN;
    const replies = (await this.run(
      'listTasks',
      '',
      filter.owner ?? '',
      filter.status ?? '',
      limit,
      LIST_SCAN,
    )) as Reply[];
    return replies.map((r) => taskFrom(r)!);
  }

  async countTasks(): Promise<number> {
    return Number(await this.run('countTasks', ''));
  }

  async prune(now: number): Promise<{ tasksDropped: number }> {
    let dropped = 0;
    for (;;) {
      const [n, more] = (await this.run('prune', now, CHUNK)) as number[];
      dropped += n!;
      if (!more) return { tasksDropped: dropped };
    }
  }

  async nextCounter(name: string): Promise<number> {
    return Number(await this.run('nextCounter', '', name));
  }

  async advanceClock(ms: number): Promise<AdvanceResult> {
    if (!Number.isSafeInteger(ms) || ms < 0)
      return { ok: false, problem: `cannot advance a clock by ${ms} ms` };
    const reply = (await this.run('advanceClock', '', ms, CLOCK_LIMIT_MS)) as string[];
    if (reply[0] === 'limit') {
      const now = Number(reply[1]);
      return {
        ok: false,
        problem: `the clock cannot pass ${CLOCK_LIMIT_ISO}: at most ${Math.max(0, CLOCK_LIMIT_MS - now)} ms more`,
      };
    }
    const value = Number(reply[2]);
    return {
      ok: true,
      clock: reply[1] === 'virtual' ? { kind: 'virtual', nowMs: value } : { kind: 'real', offsetMs: value },
    };
  }

  async addRule(input: FaultRuleInput): Promise<FaultRule> {
    const rule = ruleOf(input);
    const id = String(await this.run('addRule', '', JSON.stringify(rule), rule.timesLeft ?? ''));
    return { id, ...rule };
  }

  async listRules(): Promise<FaultRule[]> {
    const rows = (await this.run('listRules', '')) as string[][];
    return rows.map(([id, json, left, hits]) => ruleFrom(id!, json!, left ?? '', hits ?? '0'));
  }

  async removeRule(id: string): Promise<boolean> {
    return Number(await this.run('removeRule', '', id)) > 0;
  }

  async clearRules(): Promise<number> {
    return Number(await this.run('clearRules', ''));
  }

  async fireRule(request: RuleRequest): Promise<FaultRule | undefined> {
    const reply = await this.run(
      'fireRule',
      '',
      request.method,
      request.path,
      request.owner ?? '',
      request.createsTask ? '1' : '0',
    );
    if (!Array.isArray(reply)) return undefined;
    const [id, json, left, hits] = reply as string[];
    return ruleFrom(id!, json!, left!, hits!);
  }

  async consumeRule(id: string): Promise<void> {
    await this.run('consumeRule', '', id);
  }

  async takeToken(bucket: string, now: number, limit: number, windowMs: number): Promise<BucketVerdict> {
    const [allowed, lim, remaining, retry, reset] = (await this.run(
      'takeToken',
      now,
      bucket,
      limit,
      windowMs,
    )) as number[];
    return {
      allowed: allowed === 1,
      limit: lim!,
      remaining: remaining!,
      retryAfterSeconds: retry!,
      resetSeconds: reset!,
    };
  }

  async reserveBudget(name: string, amount: number, limit: number): Promise<BudgetResult> {
    const [reserved, total] = ((await this.run('reserveBudget', '', name, amount, limit)) as string[]).map(
      Number,
    );
    return reserved === 1 ? { reserved: true, total: total! } : { reserved: false, total: total!, limit };
  }

  async releaseBudget(name: string, amount: number): Promise<number> {
    return Number(await this.run('releaseBudget', '', name, amount));
  }

  async readBudget(name: string): Promise<number> {
    return Number(await this.run('readBudget', '', name));
  }

  async appendJournal(record: JournalRecord): Promise<void> {
    const { maxEntries, maxBytes } = this.options.journal;
    if (maxEntries === 0) return;
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
    await this.run(
      'appendJournal',
      '',
      fields,
      bytes,
      JSON.stringify(entry),
      maxEntries,
      maxBytes,
      this.channel,
    );
  }

  async queryJournal(filter: JournalFilter = {}): Promise<JournalPage> {
    const statusClass = /^([1-5])xx$/.exec(filter.status ?? '')?.[1];
    const reply = (await this.run(
      'queryJournal',
      '',
      filter.method ?? '',
      filter.path ?? '',
      statusClass ?? filter.status ?? '',
      filter.keyOwner ?? '',
      filter.taskId ?? '',
      filter.before ?? '',
      filter.after ?? '',
      Math.min(filter.limit ?? 100, MAX_JOURNAL_PAGE),
      MAX_JOURNAL_SCAN,
      filter.injected === undefined
        ? ''
        : filter.injected === true
          ? 'any'
          : filter.injected === false
            ? 'none'
            : `=${filter.injected}`,
      filter.operation ?? '',
      filter.text ? asciiLower(filter.text) : '',
    )) as string[];
    const [next, ...lines] = reply;
    const entries = lines.map((line) => {
      const cut = line.indexOf(US);
      const stored = JSON.parse(line.slice(cut + 1)) as RedisEntry;
      const { rawBody, cutBody, ...rest } = stored;
      return materialise({
        ...rest,
        id: Number(line.slice(0, cut)),
        bytes: 0,
        requestBody: rawBody !== undefined ? Buffer.from(rawBody, 'utf8') : cutBody,
      });
    });
    return next ? { entries, next: Number(next) } : { entries };
  }

  /** Calls `listener` after each journal append by any process, through Redis pub/sub. */
  watchJournal(listener: () => void): () => void {
    return this.options.connection.subscribe(this.channel, listener);
  }

  async stats(): Promise<WorldStats> {
    const v = ((await this.run('stats', '')) as Array<string | number>).map(Number);
    return {
      tasksCreated: v[0]!,
      tasksSucceeded: v[1]!,
      tasksFailed: v[2]!,
      creditsDebited: v[3]!,
      creditsRefunded: v[4]!,
      tasksInProgress: v[5]!,
      tasks: v[6]!,
      journalEntries: v[7]!,
      journalBytes: v[8]!,
      tasksDropped: v[9]!,
    };
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
    await this.run(
      'reset',
      '',
      JSON.stringify(spec),
      spec.clock,
      VIRTUAL_CLOCK_START,
      rules.length / 2,
      ...rules,
    );
  }

  /** Whether the world's start has been written. */
  async exists(): Promise<boolean> {
    return Number(await this.options.connection.command(['HEXISTS', `${this.base}:meta`, 'spec'])) === 1;
  }

  async destroy(): Promise<void> {
    await this.run('destroy', '');
  }
}
