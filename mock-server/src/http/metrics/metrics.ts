/**
 * The simulator's metrics, in the Prometheus text format, through prom-client.
 *
 * One Registry per app (several simulators live in one test process; prom-client's global registry
 * would mix them). Two kinds of figures:
 * - this process's own: requests by operationId, status and injected or not, their durations, faults
 *   injected by source and kind, store operation durations by backend, open journal streams;
 * - the shared state's, read from the stores at scrape time (`Store.stats()` of every world, summed):
 *   tasks created and settled, in progress, credits debited and refunded, journal entries and bytes.
 *   Replicas on one shared store therefore all report the same figures for these.
 *
 * Labels are bounded by construction: operationIds from the specs (or `unmatched`), status codes,
 * and fixed words. Never a key, a path, a tenant id or a rule id.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { DriftHooks } from '../../drift/drift-summary.js';
import { CHARGE_KINDS, type MemoryUsage } from '../../store/memory-budget.js';
import type { Store, StoreBackend, WorldStats } from '../../store/store.js';
import type { RequestContext } from '../context.js';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/** Every method of the Store interface; the type below fails to compile when one is missing. */
const STORE_OPERATIONS = [
  'view',
  'getAccount',
  'setBalance',
  'listAccounts',
  'ledger',
  'admit',
  'accept',
  'acceptTask',
  'getTask',
  'readTask',
  'pollTask',
  'settleTask',
  'settleDue',
  'listTasks',
  'countTasks',
  'prune',
  'nextCounter',
  'advanceClock',
  'addRule',
  'listRules',
  'removeRule',
  'clearRules',
  'fireRule',
  'consumeRule',
  'takeToken',
  'reserveBudget',
  'releaseBudget',
  'readBudget',
  'appendJournal',
  'queryJournal',
  'journalTail',
  'watchJournal',
  'recordControl',
  'readVerdict',
  'stats',
  'reset',
] as const satisfies ReadonlyArray<keyof Store>;
type Unlisted = Exclude<keyof Store, (typeof STORE_OPERATIONS)[number]>;
const everyOperationListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOperationListed;

/** Where an injected answer came from: `header`, `rule`, `chaos`, `rate-limit` (a rule's id is not a label). */
export function faultSource(injected: string): string {
  return injected.startsWith('rule_') ? 'rule' : injected;
}

export interface MetricsDeps {
  /** The stats of every world (Tenancy.worldStats): read at each scrape, summed. */
  worldStats: () => Promise<WorldStats[]>;
  /** The memory budget's usage (Tenancy.memory); undefined on a store whose memory is not ours. */
  memory?: () => MemoryUsage | undefined;
}

export class SimulatorMetrics {
  readonly registry = new Registry();
  // On every request's path, so counted without prom-client's per-call label checks (fast-metrics.ts).
  private readonly requests: FastCounter<'operation' | 'status' | 'injected'>;
  private readonly durations: FastHistogram<'operation'>;
  private readonly faults: Counter<'source' | 'kind'>;
  private readonly storeDurations: FastHistogram<'backend' | 'operation'>;
  readonly journalStreams: Gauge;
  /** Proxy and replay modes: findings and checked exchanges (DriftSummaries.observe). */
  readonly driftHooks: DriftHooks;
  /**
   * Gauges, not counters, though most only grow: a world's figures start again at 0 when it is reset
   * and leave the sum when a tenant is dropped, which a counter must never do.
   */
  private readonly shared: Record<
    | 'worlds'
    | 'tasksCreated'
    | 'tasksInProgress'
    | 'tasksRetained'
    | 'creditsDebited'
    | 'creditsRefunded'
    | 'journalEntries'
    | 'journalBytes',
    Gauge
  > & { tasksSettled: Gauge<'outcome'> };
  /** The memory store's budget (memory-budget.ts): this process's, read at scrape time. */
  private readonly memoryLimit: Gauge;
  private readonly memoryUsed: Gauge<'charge'>;

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    this.requests = new FastCounter(
      'dreamcore_http_requests_total',
      'Requests answered, by operationId (or unmatched), status (0: no answer) and whether QA injected the answer.',
      ['operation', 'status', 'injected'],
      registers,
    );
    this.durations = new FastHistogram(
      'dreamcore_http_request_duration_seconds',
      'Time from a request to its answer (or its end), by operationId.',
      ['operation'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    );
    this.faults = new Counter({
      name: 'dreamcore_faults_injected_total',
      help: 'Answers QA injected, by source (header, rule, chaos, rate-limit) and kind (status, reset, empty, malformed, hang, delay, task).',
      labelNames: ['source', 'kind'],
      registers,
    });
    this.storeDurations = new FastHistogram(
      'dreamcore_store_operation_duration_seconds',
      'Time of each Store operation, by backend (memory, redis) and operation.',
      ['backend', 'operation'],
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers,
    );
    this.journalStreams = new Gauge({
      name: 'dreamcore_journal_streams_open',
      help: 'Journal streams (GET /__mock/journal/stream) open in this process.',
      registers,
    });
    const driftFindings = new Counter({
      name: 'dreamcore_drift_findings_total',
      help: 'Proxy and replay modes: ways an exchange departed from openapi.yaml, by kind, provenance (documented, inferred) and side (request, response).',
      labelNames: ['kind', 'provenance', 'side'],
      registers,
    });
    const checkedExchanges = new Counter({
      name: 'dreamcore_drift_exchanges_total',
      help: 'Proxy and replay modes: exchanges checked against openapi.yaml, by whether any finding was made (drifted: true, false).',
      labelNames: ['drifted'],
      registers,
    });
    this.driftHooks = {
      onDrift: (kind, provenance, side) => driftFindings.inc({ kind, provenance, side }),
      onExchange: (drifted) => checkedExchanges.inc({ drifted: String(drifted) }),
    };
    const shared = (name: string, help: string) =>
      new Gauge({ name, help: `${help} Read from the store at scrape time.`, registers });
    this.shared = {
      worlds: shared('dreamcore_worlds', 'Worlds: the default one and the tenants.'),
      tasksCreated: shared(
        'dreamcore_tasks_created',
        'Tasks accepted (credits debited) since each world started or was reset.',
      ),
      tasksSettled: new Gauge({
        name: 'dreamcore_tasks_settled',
        help: 'Tasks ended, by outcome (success, failed), since each world started or was reset. Read from the store at scrape time.',
        labelNames: ['outcome'],
        registers,
      }),
      tasksInProgress: shared('dreamcore_tasks_in_progress', 'Tasks still IN_PROGRESS.'),
      tasksRetained: shared('dreamcore_tasks_retained', 'Tasks kept, in any state.'),
      creditsDebited: shared(
        'dreamcore_credits_debited',
        'Credits deducted for accepted tasks since each world started or was reset.',
      ),
      creditsRefunded: shared(
        'dreamcore_credits_refunded',
        'Credits given back for failed tasks since each world started or was reset.',
      ),
      journalEntries: shared('dreamcore_journal_entries', 'Journal entries kept.'),
      journalBytes: shared('dreamcore_journal_bytes', 'Bytes the journal entries are counted as.'),
    };
    this.memoryLimit = new Gauge({
      name: 'dreamcore_memory_budget_bytes',
      help: 'The memory store: bytes all worlds together may hold (--memory-budget-mb).',
      registers,
    });
    this.memoryUsed = new Gauge({
      name: 'dreamcore_memory_used_bytes',
      help: `The memory store: bytes the worlds hold, as charged to the budget, by what they are for (${CHARGE_KINDS.join(', ')}).`,
      labelNames: ['charge'],
      registers,
    });
  }

  /**
   * Counts a request once it is done (answered, or closed without an answer as a network fault does):
   * the after-answer hook calls it. The operation is the one the renderer found, from the specs.
   */
  count(ctx: RequestContext): void {
    const operation = ctx.rendered.operationId ?? 'unmatched';
    const { injected, res } = ctx;
    const status = res.headersSent ? res.statusCode : 0;
    this.requests.inc({ operation, status: String(status), injected: String(injected !== undefined) });
    this.durations.observe(this.durations.series({ operation }), (performance.now() - ctx.started) / 1000);
    if (injected !== undefined)
      this.faults.inc({ source: faultSource(injected), kind: ctx.injectedKind ?? 'status' });
  }

  /**
   * A Store that times each of its operations into the histogram, changing nothing else: a Proxy, so
   * that `instanceof` and the store's own properties (the memory store's live clock) still work.
   * Methods run on the store itself, so one operation calling another is timed once.
   *
   * This is on every request's path, so it costs about a histogram observation per call: the label
   * set of each operation is built once, and the memory store, whose operations run to completion
   * inside the call (store.ts), is timed around the call without waiting on its promise; a networked
   * store's operations are timed until their promise settles.
   */
  timeStore = (store: Store, backend: StoreBackend['kind']): Store => {
    const operations = new Set<string | symbol>(STORE_OPERATIONS);
    const wrapped = new Map<string | symbol, unknown>();
    const histogram = this.storeDurations;
    const synchronous = backend === 'memory';
    const timed = (operation: string, method: (...args: unknown[]) => unknown) => {
      const series = histogram.series({ backend, operation });
      const observe = (started: number) => histogram.observe(series, (performance.now() - started) / 1000);
      return (...args: unknown[]) => {
        const started = performance.now();
        let result: unknown;
        try {
          result = method.apply(store, args);
        } catch (err) {
          observe(started);
          throw err;
        }
        if (synchronous || !(result instanceof Promise)) {
          observe(started);
          return result;
        }
        return result.then(
          (value: unknown) => {
            observe(started);
            return value;
          },
          (err: unknown) => {
            observe(started);
            throw err;
          },
        );
      };
    };
    return new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        let fn = wrapped.get(property);
        if (fn === undefined) {
          const method = value as (...args: unknown[]) => unknown;
          fn = operations.has(property) ? timed(String(property), method) : method.bind(target);
          wrapped.set(property, fn);
        }
        return fn;
      },
    });
  };

  /** The exposition: the shared figures read now from every world, then everything as text. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const all = await this.deps.worldStats();
    const sum = (pick: (s: WorldStats) => number) => all.reduce((total, s) => total + pick(s), 0);
    const s = this.shared;
    s.worlds.set(all.length);
    s.tasksCreated.set(sum((w) => w.tasksCreated));
    s.tasksSettled.set(
      { outcome: 'success' },
      sum((w) => w.tasksSucceeded),
    );
    s.tasksSettled.set(
      { outcome: 'failed' },
      sum((w) => w.tasksFailed),
    );
    s.tasksInProgress.set(sum((w) => w.tasksInProgress));
    s.tasksRetained.set(sum((w) => w.tasks));
    s.creditsDebited.set(sum((w) => w.creditsDebited));
    s.creditsRefunded.set(sum((w) => w.creditsRefunded));
    s.journalEntries.set(sum((w) => w.journalEntries));
    s.journalBytes.set(sum((w) => w.journalBytes));
    const memory = this.deps.memory?.();
    if (memory) {
      this.memoryLimit.set(memory.limitBytes);
      for (const charge of CHARGE_KINDS) this.memoryUsed.set({ charge }, memory.byKind[charge]);
    }
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
