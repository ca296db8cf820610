/**
 * A world as a request sees it: its id, its settings and clock as read for this request, and the
 * services that act in it. The world's Store stays behind the services: the HTTP side asks the domain
 * (`simulator`) and QA (`qa`) for what it needs, never the Store itself, so every state change has one
 * road (the services) and one place to count round trips.
 */
import type { Owner } from '../domain/keys.js';
import type { Simulator } from '../domain/simulator.js';
import { counterDraw } from '../domain/rng.js';
import type { BucketVerdict } from '../domain/token-bucket.js';
import type { FaultRule, FaultRuleInput, RuleRequest } from '../qa/fault-rules.js';
import { chaosOn, chaosVerdict } from '../qa/chaos.js';
import type { JournalFilter, JournalRecord } from '../qa/journal.js';
import type { ObservationDraft } from '../verdict/observation.js';
import type {
  BudgetResult,
  ChaosOdds,
  JournalPage,
  JournalTail,
  MaybePromise,
  Store,
  VerdictReading,
  WorldStats,
  WorldView,
} from '../store/store.js';

export const DEFAULT_WORLD = 'default';

export interface World {
  /** The tenant's id (`default` for the configured world). */
  readonly id: string;
  readonly view: WorldView;
  /** Tasks, accounts, balances, the clock and the books. */
  readonly simulator: Simulator;
  /** What QA keeps in the world: fault rules, the journal, budgets. */
  readonly qa: WorldQa;
}

export interface Worlds {
  /** The world of a public request: the one its key belongs to, else the default world. */
  ofOwner(owner: Owner | undefined): Promise<World>;
  /** The configured world, which keeps the behaviour of a simulator without tenants. */
  defaultWorld(): Promise<World>;
  /** The same world read again (after a change that its view, such as its clock, does not show yet). */
  refresh(world: World): Promise<World>;
}

/** QA's state in one world, over its Store. */
export class WorldQa {
  constructor(private readonly store: Store) {}

  addRule(input: FaultRuleInput): Promise<FaultRule> {
    return this.store.addRule(input);
  }

  listRules(): Promise<FaultRule[]> {
    return this.store.listRules();
  }

  removeRule(id: string): Promise<boolean> {
    return this.store.removeRule(id);
  }

  clearRules(): Promise<number> {
    return this.store.clearRules();
  }

  /**
   * The first rule that matches and fires, before the caller is known (proxy and replay modes: the
   * live API, not the simulator, knows the keys); see Store.fireRule.
   */
  fireRule(request: RuleRequest): Promise<FaultRule | undefined> {
    return this.store.fireRule(request);
  }

  /** Chaos's verdict for one request, drawn from the world's seeded `chaos` stream. */
  async chaos(odds: ChaosOdds, seed: string): Promise<500 | 429 | undefined> {
    if (!chaosOn(odds)) return undefined;
    return chaosVerdict(odds, counterDraw(seed, 'chaos', await this.store.nextCounter('chaos')));
  }

  /** A token of a rate-limit bucket (the proxy's local limiter; a simulator's own is in Store.admit). */
  takeToken(bucket: string, now: number, limit: number, windowMs: number): Promise<BucketVerdict> {
    return this.store.takeToken(bucket, now, limit, windowMs);
  }

  /** The n-th use of a named counter of the world, from 0 (a replay's cursors). */
  nextCounter(name: string): Promise<number> {
    return this.store.nextCounter(name);
  }

  /**
   * Records one request in one store operation (synchronously on the memory store): its journal entry
   * (null: the journal is off) and its verdict observation, if it has one.
   */
  record(record: JournalRecord | null, observation?: ObservationDraft): MaybePromise<void> {
    return this.store.appendJournal(record, observation);
  }

  /** The verdict's state, folded up to the latest request, and the spend since the reset. */
  verdict(): Promise<VerdictReading> {
    return this.store.readVerdict();
  }

  queryJournal(filter?: JournalFilter): Promise<JournalPage> {
    return this.store.queryJournal(filter);
  }

  /** The entries after a cursor, as stored: how the journal's followers read (Store.journalTail). */
  journalTail(after: number, limit: number): Promise<JournalTail> {
    return this.store.journalTail(after, limit);
  }

  /** See Store.watchJournal; undefined when the store cannot notify (it is polled). */
  get watchJournal(): ((listener: () => void) => () => void) | undefined {
    const watch = this.store.watchJournal;
    return watch && ((listener) => watch.call(this.store, listener));
  }

  reserveBudget(name: string, amount: number, limit: number): Promise<BudgetResult> {
    return this.store.reserveBudget(name, amount, limit);
  }

  releaseBudget(name: string, amount: number): Promise<number> {
    return this.store.releaseBudget(name, amount);
  }

  readBudget(name: string): Promise<number> {
    return this.store.readBudget(name);
  }

  stats(): Promise<WorldStats> {
    return this.store.stats();
  }
}
