/**
 * The provider states of the DreamCore pact: every state the consumer tests name, its parameters, and
 * what the provider must set up before the interaction is replayed against it.
 *
 * The consumer tests build `.given()` only through `providerState()` below, so they cannot name a state
 * missing here or pass other parameters; the provider verification implements one handler per entry of
 * `PROVIDER_STATES`; `contracts/pact-spec/provider-states.test.ts` checks that the pact file and this
 * catalogue name exactly the same states with the same parameter names. Renaming a state breaks
 * verification, so names are sentences that stay true ("a task exists"), and the variation lives in the
 * parameters.
 */
import type { GenerateRequest, TaskStatus } from './client/types.js';

/** The simulator's development key; the example bearer token of every interaction that sends one. */
export const DEV_API_KEY = 'sk-dreamcore-dev';

/** A key that no account has: the literal token of the "invalid key" interaction. */
export const UNKNOWN_API_KEY = 'sk-dreamcore-not-a-real-key';

/** The example task id of interactions whose id the provider state supplies (`${taskId}`). */
export const EXAMPLE_TASK_ID = 'sd45_b83bf7c0c51a4c71';

/** A well-formed id that the "no task exists" state guarantees is unknown. */
export const UNKNOWN_TASK_ID = 'sd45_0000000000000000';

/** Parameters of each state, as sent in the pact file's `providerStates[].params`. */
export type ProviderStateParams = {
  'an account exists': {
    apiKey: string;
    balance: number;
  };
  'no account has the API key': {
    apiKey: string;
  };
  'a task exists': {
    apiKey: string;
    status: TaskStatus;
    request: GenerateRequest;
    errorMessage: string | null;
  };
  'no task exists with the id': {
    apiKey: string;
    taskId: string;
  };
  'the next request is rate limited': {
    method: 'GET' | 'POST';
    path: string;
    retryAfterSeconds: number;
  };
  'the next request fails with 500': {
    method: 'GET' | 'POST';
    path: string;
  };
};

/**
 * Values a state handler must return, which the pact injects into the request and the expected
 * response (`fromProviderState('${taskId}', ...)`).
 */
export type ProviderStateValues = {
  'an account exists': Record<string, never>;
  'no account has the API key': Record<string, never>;
  'a task exists': { taskId: string };
  'no task exists with the id': Record<string, never>;
  'the next request is rate limited': Record<string, never>;
  'the next request fails with 500': Record<string, never>;
};

export type ProviderStateName = keyof ProviderStateParams;

export interface ProviderStateDefinition<Name extends ProviderStateName> {
  /** What the provider must set up, in one line. */
  setup: string;
  /** Each parameter and what it means. */
  params: { readonly [P in keyof ProviderStateParams[Name]]-?: string };
  /** Keys of the object the state handler returns, for `fromProviderState` expressions. */
  provides: readonly (keyof ProviderStateValues[Name])[];
}

export const PROVIDER_STATES: { readonly [Name in ProviderStateName]: ProviderStateDefinition<Name> } = {
  'an account exists': {
    setup:
      'An account whose key is `apiKey` exists with exactly `balance` credits (a balance below a price makes generate answer 402).',
    params: {
      apiKey: 'the Bearer token the interaction sends',
      balance: 'credits on the account, an integer >= 0',
    },
    provides: [],
  },
  'no account has the API key': {
    setup: 'No account has the key `apiKey`, so a request bearing it is answered 401.',
    params: {
      apiKey: 'the unknown Bearer token the interaction sends',
    },
    provides: [],
  },
  'a task exists': {
    setup:
      'The account `apiKey` exists and owns a task made from `request`, now in `status` (FAILED: `errorMessage` set and the credits refunded; SUCCESS: its images ready); returns its id as `taskId`.',
    params: {
      apiKey: 'the owning account; it is created if absent, with enough credits for the request',
      status: 'IN_PROGRESS, SUCCESS or FAILED',
      request: 'the GenerateRequest the task was created from (its snapshot and its price follow from it)',
      errorMessage: 'the provider error string of a FAILED task; null otherwise',
    },
    provides: ['taskId'],
  },
  'no task exists with the id': {
    setup: 'The account `apiKey` exists and no task with id `taskId` exists for it (nor for any key).',
    params: {
      apiKey: 'the account making the request',
      taskId: 'a well-formed id that must be unknown',
    },
    provides: [],
  },
  'the next request is rate limited': {
    setup:
      'The next `method` `path` request is answered 429 with `Retry-After: retryAfterSeconds`, before any other check and without side effects.',
    params: {
      method: 'HTTP method of the request to refuse',
      path: 'path of the request to refuse, e.g. /api/status',
      retryAfterSeconds: 'the Retry-After value, in seconds',
    },
    provides: [],
  },
  'the next request fails with 500': {
    setup:
      'The next `method` `path` request is answered 500 (internal_error) without side effects: no task created, nothing deducted.',
    params: {
      method: 'HTTP method of the request to fail',
      path: 'path of the request to fail, e.g. /api/generate',
    },
    provides: [],
  },
};

export const PROVIDER_STATE_NAMES = Object.keys(PROVIDER_STATES) as ProviderStateName[];

/**
 * The arguments of `.given()` for a catalogued state, type-checked against its parameters:
 * `.given(...providerState('a task exists', { ... }))`.
 */
export function providerState<Name extends ProviderStateName>(
  name: Name,
  params: ProviderStateParams[Name],
): [Name, ProviderStateParams[Name]] {
  return [name, params];
}
