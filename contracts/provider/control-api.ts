/**
 * A typed HTTP client of the simulator's control API (`mock-server/control-api.yaml`): the calls QA
 * makes with curl, made from tests. Provider states, the client-against-simulator tests and the live
 * runner's tests all set the simulator up through this, over HTTP, never by reaching into its objects.
 *
 * Every call checks the status it expects and throws with the simulator's answer otherwise, so a
 * state that could not be set up says why instead of surfacing later as a puzzling mismatch.
 */
import type { components } from '../../generated/control-api.js';

type Schemas = components['schemas'];

export type Account = Schemas['Account'];
export type TaskView = Schemas['TaskView'];
export type Clock = Schemas['Clock'];
export type FaultRuleInput = Schemas['FaultRuleInput'];
export type FaultRule = Schemas['FaultRule'];
export type JournalEntry = Schemas['JournalEntry'];

export class ControlApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}: ${JSON.stringify(body)}`);
    this.name = 'ControlApiError';
  }
}

export interface JournalQuery {
  method?: string;
  path?: string;
  status?: string;
  apiKey?: string;
  taskId?: string;
  limit?: number;
}

export class ControlApi {
  /** @param baseUrl the simulator's address, e.g. `http://127.0.0.1:4010` */
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** POST /__mock/reset: no tasks, configured keys and balances, clock and randomness rewound. */
  async reset(): Promise<void> {
    await this.call('POST', '/__mock/reset', undefined, [200]);
  }

  /** GET /__mock/accounts/{apiKey}, or undefined for a key no account has (404). */
  async account(apiKey: string): Promise<Account | undefined> {
    const { status, body } = await this.call('GET', accountPath(apiKey), undefined, [200, 404]);
    return status === 404 ? undefined : (body as Schemas['AccountEnvelope']).data;
  }

  /** PUT /__mock/accounts/{apiKey}: creates the key if new, and sets its balance. */
  async setBalance(apiKey: string, balance: number): Promise<Account> {
    const { body } = await this.call('PUT', accountPath(apiKey), { balance }, [200]);
    return (body as Schemas['AccountEnvelope']).data;
  }

  /** GET /__mock/tasks/{taskId}, or undefined for an unknown id (404). Not counted as a poll. */
  async task(taskId: string): Promise<TaskView | undefined> {
    const { status, body } = await this.call('GET', taskPath(taskId), undefined, [200, 404]);
    return status === 404 ? undefined : (body as Schemas['TaskViewEnvelope']).data;
  }

  /** GET /__mock/tasks, newest first. */
  async tasks(filter: { apiKey?: string; status?: string } = {}): Promise<TaskView[]> {
    const { body } = await this.call('GET', `/__mock/tasks${query(filter)}`, undefined, [200]);
    return (body as Schemas['TaskListEnvelope']).data.tasks;
  }

  /** POST /__mock/tasks/{taskId}/succeed: ends an IN_PROGRESS task with SUCCESS now. */
  async succeedTask(taskId: string): Promise<TaskView> {
    const { body } = await this.call('POST', `${taskPath(taskId)}/succeed`, undefined, [200]);
    return (body as Schemas['TaskViewEnvelope']).data;
  }

  /** POST /__mock/tasks/{taskId}/fail: ends an IN_PROGRESS task with FAILED now, refunding it. */
  async failTask(taskId: string, errorMessage?: string): Promise<TaskView> {
    const body = errorMessage === undefined ? {} : { error_message: errorMessage };
    const { body: answer } = await this.call('POST', `${taskPath(taskId)}/fail`, body, [200]);
    return (answer as Schemas['TaskViewEnvelope']).data;
  }

  async clock(): Promise<Clock> {
    const { body } = await this.call('GET', '/__mock/clock', undefined, [200]);
    return (body as Schemas['ClockEnvelope']).data;
  }

  /** POST /__mock/clock/advance: tasks whose time comes during the jump end (and refund) on the way. */
  async advanceClock(ms: number): Promise<Clock> {
    const { body } = await this.call('POST', '/__mock/clock/advance', { ms: Math.round(ms) }, [200]);
    return (body as Schemas['ClockEnvelope']).data;
  }

  /** POST /__mock/faults. */
  async addFault(rule: FaultRuleInput): Promise<FaultRule> {
    const { body } = await this.call('POST', '/__mock/faults', rule, [201]);
    return (body as Schemas['FaultRuleEnvelope']).data;
  }

  async faults(): Promise<FaultRule[]> {
    const { body } = await this.call('GET', '/__mock/faults', undefined, [200]);
    return (body as Schemas['FaultRulePageEnvelope']).data.rules; // the first page: 100 rules
  }

  /** GET /__mock/journal: recent public requests, newest first. */
  async journal(filter: JournalQuery = {}): Promise<JournalEntry[]> {
    const { body } = await this.call('GET', `/__mock/journal${query(filter)}`, undefined, [200]);
    return (body as Schemas['JournalEnvelope']).data.entries;
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    expected: readonly number[],
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token !== undefined) headers['X-Mock-Token'] = this.token;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Kept as text for the error message.
    }
    if (!expected.includes(response.status)) {
      throw new ControlApiError(method, path, response.status, parsed);
    }
    return { status: response.status, body: parsed };
  }
}

function accountPath(apiKey: string): string {
  return `/__mock/accounts/${encodeURIComponent(apiKey)}`;
}

function taskPath(taskId: string): string {
  return `/__mock/tasks/${encodeURIComponent(taskId)}`;
}

function query(params: object): string {
  const entries = Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]): [string, string] => [name, String(value)]);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
}
