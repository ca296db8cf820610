/**
 * Which pact interactions can be replayed against a provider we do not control, and the request each
 * one becomes there.
 *
 * We cannot reset the live API, fund an account, create a task for free or inject a fault, so an
 * interaction qualifies only when every provider state it names holds on any provider without setup:
 * - 'no account has the API key': the key is made up (and is not the real key), so no account has it;
 * - 'no task exists with the id': the id is made up (`sd45_0000000000000000`), so no task has it;
 * - 'an account exists': only when the request sends no Authorization header at all, since then the
 *   state is about a key the request does not use.
 * Anything else ('a task exists', a forced 429 or 500, an account with a given balance) needs setup.
 * As a last guard, no POST /api/generate that would authenticate with the real key is ever replayed:
 * replaying the pact spends nothing.
 *
 * The request is the interaction's, with one change: the interaction's example key (the simulator's
 * development key) is replaced by the real key in interactions whose answer assumes the key is accepted
 * (any expected status but 401). An interaction without an Authorization header is sent without one;
 * a made-up key is sent as it is.
 */
import type { PactInteraction } from '../pact-spec/compare-pact.js';
import { DEV_API_KEY, type ProviderStateName } from '../provider-states.js';
import type { PactHttpResponse } from './pact-match.js';

/** An interaction as pact-js writes it (V4), with the parts the replay reads. */
export interface ReplayableInteraction extends PactInteraction {
  request: PactInteraction['request'] & {
    query?: Record<string, string[] | string>;
    body?: { content?: unknown; contentType?: string; encoded?: boolean | string };
    generators?: unknown;
  };
  response: PactInteraction['response'] & PactHttpResponse;
}

export interface ReplayRequest {
  method: string;
  path: string;
  /** Path and query string. */
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Whether the real key is sent. */
  sendsRealKey: boolean;
}

type Assumption = (
  params: Record<string, unknown>,
  interaction: ReplayableInteraction,
  apiKey: string,
) => boolean;

const ASSUMABLE: Partial<Record<ProviderStateName, Assumption>> = {
  'no account has the API key': (params, _i, apiKey) =>
    typeof params.apiKey === 'string' && params.apiKey !== apiKey,
  'no task exists with the id': (params) => typeof params.taskId === 'string',
  'an account exists': (_params, interaction) => authorizationOf(interaction) === undefined,
};

function authorizationOf(interaction: ReplayableInteraction): string | undefined {
  const entry = Object.entries(interaction.request.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  );
  if (!entry) return undefined;
  return Array.isArray(entry[1]) ? entry[1].join(', ') : entry[1];
}

/** Why the interaction cannot be replayed live, or undefined when it can. */
export function whyNotReplayable(interaction: ReplayableInteraction, apiKey: string): string | undefined {
  if (interaction.type !== undefined && interaction.type.toLowerCase() !== 'synchronous/http') {
    return `a ${interaction.type} interaction`;
  }
  for (const state of interaction.providerStates ?? []) {
    const assumption = ASSUMABLE[state.name as ProviderStateName];
    if (!assumption || !assumption(state.params ?? {}, interaction, apiKey)) {
      return `needs the provider state "${state.name}", which only a provider we control can set up`;
    }
  }
  if (
    interaction.request.generators !== undefined ||
    (interaction.response as { generators?: unknown }).generators
  ) {
    return 'takes values from a provider state (generators)';
  }
  const request = replayRequest(interaction, apiKey);
  if (request.method === 'POST' && request.path === '/api/generate' && request.sendsRealKey) {
    return 'would create a task with the real key (costs credits)';
  }
  return undefined;
}

export function replayRequest(interaction: ReplayableInteraction, apiKey: string): ReplayRequest {
  const { request } = interaction;
  const headers: Record<string, string> = {};
  let sendsRealKey = false;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    let text = Array.isArray(value) ? value.join(', ') : value;
    if (name.toLowerCase() === 'authorization') {
      const expectsKeyAccepted = interaction.response.status !== 401;
      if (expectsKeyAccepted && text === `Bearer ${DEV_API_KEY}`) {
        text = `Bearer ${apiKey}`;
        sendsRealKey = true;
      }
    }
    headers[name] = text;
  }
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  const query = search.toString();
  const content = request.body?.content;
  const body =
    content === undefined
      ? undefined
      : typeof content === 'string' && request.body?.encoded
        ? content
        : JSON.stringify(content);
  return {
    method: request.method.toUpperCase(),
    path: request.path,
    url: `${request.path}${query === '' ? '' : `?${query}`}`,
    headers,
    body,
    sendsRealKey,
  };
}
