/**
 * A typed client of the control API, generated from control-api.yaml by openapi-typescript and driven
 * by openapi-fetch, bound to one world: the operator's (optionally naming a tenant) or a tenant's.
 * Every answer's envelope is unwrapped; an error answer becomes a ControlApiError.
 */
import createClient from 'openapi-fetch';
import type { paths } from '../../../generated/control-api.js';

export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(`${status} ${type}: ${message}`);
    this.name = 'ControlApiError';
  }
}

export interface ControlClientOptions {
  /** The operator's control token, or a tenant credential. */
  token?: string;
  /** For the operator: the tenant to act in (`X-Mock-Tenant`). */
  tenant?: string;
  fetch?: typeof fetch;
}

export type ControlClient = ReturnType<typeof createControlClient>;

export function createControlClient(baseUrl: string, options: ControlClientOptions = {}) {
  return createClient<paths>({
    baseUrl,
    headers: {
      ...(options.token ? { 'X-Mock-Token': options.token } : {}),
      ...(options.tenant ? { 'X-Mock-Tenant': options.tenant } : {}),
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The `data` of a success envelope, or the error answer as a ControlApiError. */
export async function dataOf<T>(
  call: Promise<{ data?: { data: T }; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (data !== undefined) return data.data;
  const envelope = error as { message?: string; data?: { type?: string } } | undefined;
  throw new ControlApiError(
    response.status,
    envelope?.data?.type ?? 'unknown',
    envelope?.message ?? (response.statusText || 'no answer body'),
  );
}
