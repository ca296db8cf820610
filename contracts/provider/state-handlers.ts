/**
 * One handler per provider state of `contracts/provider-states.ts`, each setting the state up the way QA
 * would: HTTP calls to the simulator's control API (`/__mock/*`) and, where a state needs a task, to
 * the public API itself. Nothing reaches into the simulator's objects, so the same handlers could drive
 * a simulator in another process or on another machine.
 *
 * The map is typed from the catalogue (`StateSetups`): a state added to the catalogue without a handler,
 * or a handler whose parameters or returned values differ from the catalogue's, does not compile.
 *
 * pact-js calls a setup function with the state's `params` and sends what it returns back to the
 * verifier, which injects it into the request and the expected response (`fromProviderState`), e.g.
 * `{ taskId }` for 'a task exists'. Before the first state of each interaction the `beforeEach` hook
 * resets the simulator, so every interaction starts from the configured accounts and an empty store.
 */
import type { StateHandlers } from '@pact-foundation/pact/src/dsl/verifier/proxy/types.js';
import type { GenerateRequest } from '../client/types.js';
import { priceOf } from '../live/pricing.js';
import {
  PROVIDER_STATES,
  PROVIDER_STATE_NAMES,
  type ProviderStateName,
  type ProviderStateParams,
  type ProviderStateValues,
} from '../provider-states.js';
import type { ControlApi } from './control-api.js';

export type StateSetup<Name extends ProviderStateName> = (
  params: ProviderStateParams[Name],
) => Promise<ProviderStateValues[Name]>;

export type StateSetups = { readonly [Name in ProviderStateName]: StateSetup<Name> };

/** What a state handler did wrong: pact-js logs a throwing handler and carries on, so it is kept here. */
export interface StateError {
  state: string;
  params: unknown;
  message: string;
}

export interface SimulatorStates {
  /** The setups, callable directly (the tests of the handlers use them without a verifier). */
  setups: StateSetups;
  /** The same, in the shape pact-js's `Verifier` proxy calls (`{ [state]: { setup(params) } }`). */
  stateHandlers: StateHandlers;
  /** For `beforeEach`: back to the configured start state. */
  reset(): Promise<void>;
  /** Every handler failure, in order; a verification is valid only if this stays empty. */
  readonly errors: readonly StateError[];
  /** How many resets ran (one per interaction when the verifier sends teardowns). */
  readonly resets: number;
  /** Every state set up, in order, with its params (for assertions on what the verifier asked). */
  readonly calls: ReadonlyArray<{ state: ProviderStateName; params: unknown }>;
}

/**
 * @param control the simulator's control API
 * @param baseUrl where its public API listens (the simulator itself, not a proxy in front of it)
 */
export function simulatorStates(control: ControlApi, baseUrl: string): SimulatorStates {
  const errors: StateError[] = [];
  const calls: Array<{ state: ProviderStateName; params: unknown }> = [];
  let resets = 0;

  /** Gives `apiKey` an account holding at least `credits`, keeping a larger balance as it is. */
  async function fundAccount(apiKey: string, credits: number): Promise<void> {
    const account = await control.account(apiKey);
    if (!account || account.balance < credits) await control.setBalance(apiKey, credits);
  }

  /** POST /api/generate as the key's owner would; the id of the task it created. */
  async function createTask(apiKey: string, request: GenerateRequest): Promise<string> {
    const response = await fetch(`${baseUrl}/api/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    const body = (await response.json()) as { data?: { task_id?: unknown } };
    const taskId = body.data?.task_id;
    if (response.status !== 200 || typeof taskId !== 'string') {
      throw new Error(`POST /api/generate answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return taskId;
  }

  const setups: StateSetups = {
    'an account exists': async ({ apiKey, balance }) => {
      await control.setBalance(apiKey, balance);
      return {};
    },

    'no account has the API key': async ({ apiKey }) => {
      // The control API cannot delete an account; after the reset only the configured keys exist.
      if (await control.account(apiKey)) {
        throw new Error(`an account has the key the state says is unknown; it must not be a configured key`);
      }
      return {};
    },

    'a task exists': async ({ apiKey, status, request, errorMessage }) => {
      await fundAccount(apiKey, priceOf(request));
      const taskId = await createTask(apiKey, request);
      // The clock is virtual: the task stays IN_PROGRESS until it is told to end.
      if (status === 'SUCCESS') await control.succeedTask(taskId);
      if (status === 'FAILED') await control.failTask(taskId, errorMessage ?? undefined);
      const view = await control.task(taskId);
      if (view?.record.status !== status) {
        throw new Error(
          `task ${taskId} is ${view?.record.status ?? 'missing'}, the state asks for ${status}`,
        );
      }
      return { taskId };
    },

    'no task exists with the id': async ({ apiKey, taskId }) => {
      if (!(await control.account(apiKey))) await control.setBalance(apiKey, 0);
      if (await control.task(taskId)) throw new Error(`a task with the id ${taskId} exists`);
      return {};
    },

    'the next request is rate limited': async ({ method, path, retryAfterSeconds }) => {
      const match = { method, path: apiRoute(path) };
      await control.addFault({ match, action: { status: 429, retryAfterSeconds }, times: 1 });
      return {};
    },

    'the next request fails with 500': async ({ method, path }) => {
      await control.addFault({ match: { method, path: apiRoute(path) }, action: { status: 500 }, times: 1 });
      return {};
    },
  };

  const stateHandlers: StateHandlers = {};
  for (const name of PROVIDER_STATE_NAMES) {
    stateHandlers[name] = {
      setup: async (params) => {
        calls.push({ state: name, params });
        try {
          checkParams(name, params);
          const setup = setups[name] as (p: unknown) => Promise<Record<string, string>>;
          return await setup(params);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          errors.push({ state: name, params, message });
          throw error;
        }
      },
    };
  }

  return {
    setups,
    stateHandlers,
    async reset() {
      resets++;
      await control.reset();
    },
    errors,
    get resets() {
      return resets;
    },
    calls,
  };
}

/** A public API route, the only paths a fault rule can match. */
function apiRoute(path: string): '/api/generate' | '/api/status' {
  if (path === '/api/generate' || path === '/api/status') return path;
  throw new Error(`no fault rule can match ${path}: only /api/generate and /api/status`);
}

/** The params must name exactly the catalogued parameters (the pact-spec stage checks the pact too). */
function checkParams(name: ProviderStateName, params: unknown): void {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new Error(`state "${name}" needs params, got ${JSON.stringify(params)}`);
  }
  const expected = Object.keys(PROVIDER_STATES[name].params).sort();
  const actual = Object.keys(params).sort();
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new Error(`state "${name}" has params [${actual.join(', ')}], expected [${expected.join(', ')}]`);
  }
}
