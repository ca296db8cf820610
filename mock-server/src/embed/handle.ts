/**
 * One typed object for a test suite, as msw's setupServer and Testcontainers' containers are: the URL
 * and keys of one world, its clock, accounts, tasks, fault rules and journal, reset and stop. It is a
 * client of the control API only, so nothing can be done in-process that a remote user cannot do, and
 * the same handle drives a simulator started here (startSimulator) or one shared elsewhere
 * (connectSimulator, bound to a fresh tenant).
 */
import type { components } from '../../../generated/control-api.js';
import { DreamCoreClient, type DreamCoreClientOptions } from '../../../contracts/client/dreamcore-client.js';
import { assertNoFindings, type FindingsOptions } from '../verdict/assert.js';
import { ControlApiError, dataOf, type ControlClient } from './control-client.js';

type Schemas = components['schemas'];
export type Account = Schemas['Account'];
export type TaskView = Schemas['TaskView'];
export type FaultRule = Schemas['FaultRule'];
export type FaultRuleInput = Schemas['FaultRuleInput'];
export type JournalEntry = Schemas['JournalEntry'];
export type ClockView = Schemas['Clock'];
export type Tenant = Schemas['Tenant'];
export type TenantInput = Schemas['TenantInput'];
/** GET /__mock/report: the verdict on the client under test (docs/reference/verdict-rules.md). */
export type VerdictReport = Schemas['VerdictReport'];
export type VerdictFinding = Schemas['VerdictFinding'];

export interface StartKey {
  apiKey: string;
  balance: number;
}

export interface TaskFilter {
  apiKey?: string;
  status?: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';
  limit?: number;
}

export interface JournalFilter {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
  path?: string;
  /** `429`, or a class such as `4xx`. */
  status?: string;
  apiKey?: string;
  taskId?: string;
  limit?: number;
}

export class JournalWaitTimeout extends Error {
  constructor(filter: JournalFilter, timeoutMs: number) {
    super(
      `no journal entry matched ${JSON.stringify({ ...filter, apiKey: filter.apiKey && '…' })} within ${timeoutMs} ms`,
    );
    this.name = 'JournalWaitTimeout';
  }
}

const asQuery = (filter: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );

export interface HandleParts {
  url: string;
  tenant: string;
  keys: readonly StartKey[];
  control: ControlClient;
  /** What stop() does besides: close the in-process server, or drop the tenant created for the handle. */
  onStop: () => Promise<void>;
}

export class SimulatorHandle implements AsyncDisposable {
  /** The simulator's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The world this handle acts in: `default`, or the tenant's id. */
  readonly tenant: string;
  /** The world's API keys and their start balances. */
  readonly keys: readonly StartKey[];
  private stopped = false;

  constructor(private readonly parts: HandleParts) {
    this.url = parts.url;
    this.tenant = parts.tenant;
    this.keys = parts.keys;
  }

  /** The first key. */
  get key(): string {
    const first = this.keys[0];
    if (!first) throw new Error('this handle knows no API key (pass keys to connectSimulator)');
    return first.apiKey;
  }

  readonly clock = {
    get: (): Promise<ClockView> => dataOf(this.parts.control.GET('/__mock/clock')),
    /** Moves the world's clock; tasks due in the jump end (and failures refund) as if the time had passed. */
    advance: (ms: number): Promise<ClockView> =>
      dataOf(this.parts.control.POST('/__mock/clock/advance', { body: { ms } })),
    /**
     * A `sleep` that moves the simulator's clock instead of waiting: give it to the reference client
     * (`sim.client({ sleep: sim.clock.sleep })`) and a 45 s render takes no real time.
     */
    sleep: async (ms: number, signal?: AbortSignal): Promise<void> => {
      signal?.throwIfAborted();
      if (ms > 0) await this.clock.advance(Math.round(ms));
    },
  };

  readonly accounts = {
    get: (apiKey: string): Promise<Account> =>
      dataOf(this.parts.control.GET('/__mock/accounts/{apiKey}', { params: { path: { apiKey } } })),
    setBalance: (apiKey: string, balance: number): Promise<Account> =>
      dataOf(
        this.parts.control.PUT('/__mock/accounts/{apiKey}', {
          params: { path: { apiKey } },
          body: { balance },
        }),
      ),
  };

  readonly tasks = {
    list: async (filter: TaskFilter = {}): Promise<TaskView[]> =>
      (await dataOf(this.parts.control.GET('/__mock/tasks', { params: { query: asQuery({ ...filter }) } })))
        .tasks,
    get: (taskId: string): Promise<TaskView> =>
      dataOf(this.parts.control.GET('/__mock/tasks/{taskId}', { params: { path: { taskId } } })),
    succeed: (taskId: string): Promise<TaskView> =>
      dataOf(this.parts.control.POST('/__mock/tasks/{taskId}/succeed', { params: { path: { taskId } } })),
    fail: (taskId: string, errorMessage?: string): Promise<TaskView> =>
      dataOf(
        this.parts.control.POST('/__mock/tasks/{taskId}/fail', {
          params: { path: { taskId } },
          ...(errorMessage === undefined ? {} : { body: { error_message: errorMessage } }),
        }),
      ),
  };

  readonly rules = {
    add: (rule: FaultRuleInput): Promise<FaultRule> =>
      dataOf(this.parts.control.POST('/__mock/faults', { body: rule })),
    /** Every rule in force, in the order they are tried (read page by page: at most --max-rules). */
    list: async (): Promise<FaultRule[]> => {
      const rules: FaultRule[] = [];
      for (;;) {
        const query = { limit: '1000', offset: String(rules.length) };
        const page = await dataOf(this.parts.control.GET('/__mock/faults', { params: { query } }));
        rules.push(...page.rules);
        if (page.rules.length === 0 || rules.length >= page.total) return rules;
      }
    },
    remove: async (ruleId: string): Promise<void> => {
      await dataOf(this.parts.control.DELETE('/__mock/faults/{ruleId}', { params: { path: { ruleId } } }));
    },
    clear: async (): Promise<number> => (await dataOf(this.parts.control.DELETE('/__mock/faults'))).removed,
  };

  readonly journal = {
    /** Newest first, one page (at most 500). */
    list: async (filter: JournalFilter = {}): Promise<JournalEntry[]> =>
      (await dataOf(this.parts.control.GET('/__mock/journal', { params: { query: asQuery({ ...filter }) } })))
        .entries,
    /**
     * The newest entry matching `filter`, as soon as one exists (an entry is written before its
     * response's last byte leaves); throws JournalWaitTimeout after `timeoutMs` (default 5000).
     * `after` (an entry id) waits for a newer one.
     */
    waitFor: async (
      filter: JournalFilter & { after?: number } = {},
      { timeoutMs = 5_000 }: { timeoutMs?: number } = {},
    ): Promise<JournalEntry> => {
      const { entries } = await dataOf(
        this.parts.control.GET('/__mock/journal/wait', {
          params: { query: asQuery({ ...filter, timeoutMs: Math.min(timeoutMs, 60_000) }) },
        }),
      );
      const [newest] = entries;
      if (!newest) throw new JournalWaitTimeout(filter, timeoutMs);
      return newest;
    },
  };

  /**
   * The verdict on the client under test in this world since its last reset: the rules its requests
   * broke, the outcomes it met and missed, the credits it spent (docs/reference/verdict-rules.md).
   */
  async report(): Promise<VerdictReport> {
    // The 200 documents XML and text too (?format=): without it, the answer is the JSON envelope.
    const json = this.parts.control.GET('/__mock/report') as Promise<{
      data?: { data: VerdictReport };
      error?: unknown;
      response: Response;
    }>;
    return dataOf(json);
  }

  /**
   * The same report as JUnit XML, for a CI server (one test case per rule); `failOn: 'error'` lets
   * warnings pass.
   */
  async reportJUnit(options: FindingsOptions = {}): Promise<string> {
    const { data, response } = await this.parts.control.GET('/__mock/report', {
      params: { query: { format: 'junit', ...(options.failOn ? { fail_on: options.failOn } : {}) } },
      parseAs: 'text',
    });
    if (!response.ok || typeof data !== 'string')
      throw new ControlApiError(
        response.status,
        'unknown',
        `GET /__mock/report?format=junit: ${response.status}`,
      );
    return data;
  }

  /**
   * Fails (throws a VerdictFindingsError listing them) when the client broke a rule of severity
   * `failOn` or worse (`warning`, the default: any rule); returns the report otherwise. It throws
   * a plain Error, so it works in vitest, jest, node:test or mocha:
   * `afterAll(() => sim.assertNoFindings({ failOn: 'error' }))`.
   */
  async assertNoFindings(options: FindingsOptions = {}): Promise<VerdictReport> {
    const report = await this.report();
    assertNoFindings(report, options);
    return report;
  }

  /** Back to the world's start: its keys and balances, no tasks, rules or journal, the clock rewound. */
  async reset(): Promise<void> {
    await dataOf(this.parts.control.POST('/__mock/reset'));
  }

  /** The reference client, bound to this simulator and one of its keys (the first by default). */
  client(options: Partial<DreamCoreClientOptions> = {}): DreamCoreClient {
    return new DreamCoreClient({ baseUrl: this.url, apiKey: options.apiKey ?? this.key, ...options });
  }

  /** Stops the simulator (in-process) or drops the tenant made for this handle (connected). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.parts.onStop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
