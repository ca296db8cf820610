/**
 * The console's only way to the simulator: the control API, with the token (or a tenant credential)
 * the user gave and the world chosen. Everything the console shows can be had the same way by a script.
 */
import type { components } from '../../generated/control-api.js';

type Schemas = components['schemas'];
export type JournalEntry = Schemas['JournalEntry'];
export type Account = Schemas['Account'];
export type LedgerEntry = Schemas['LedgerEntry'];
export type TaskView = Schemas['TaskView'];
export type FaultRule = Schemas['FaultRule'];
export type FaultRuleInput = Schemas['FaultRuleInput'];
export type Clock = Schemas['Clock'];
export type Tenant = Schemas['Tenant'];
export type TenantInput = Schemas['TenantInput'];
export type CreatedTenant = Schemas['CreatedTenantEnvelope']['data'];
export type DriftSummary = Schemas['DriftSummary'];
export type VerdictReport = Schemas['VerdictReport'];
export type VerdictFinding = Schemas['VerdictFinding'];

const TOKEN_KEY = 'dreamcore-console-token';
const WORLD_KEY = 'dreamcore-console-world';

/** A field the API refused, and why (an error envelope's `data.errors`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** The fields a 400 named (empty for other errors). */
    readonly errors: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** The token: from a `#token=` fragment (then removed from the address bar), else this tab's session. */
export function initialToken(): string | undefined {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function savedWorld(): string {
  return sessionStorage.getItem(WORLD_KEY) ?? 'default';
}

export function saveWorld(world: string): void {
  sessionStorage.setItem(WORLD_KEY, world);
}

export function metaContent(name: string): string | undefined {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || undefined;
}

export type Query = Record<string, string | number | boolean | undefined>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class Api {
  constructor(
    readonly token: string | undefined,
    /** The world an operator acts in; a tenant credential's world is its own whatever this says. */
    readonly world: string,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.token ? { 'X-Mock-Token': this.token } : {}),
      ...(this.world !== 'default' ? { 'X-Mock-Tenant': this.world } : {}),
      ...extra,
    };
  }

  async call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const res = await fetch(`${path}${queryString(query)}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const envelope = envelopeOf(text);
    if (!res.ok) throw problemOf(res, envelope);
    return envelope?.data as T;
  }

  /** A GET whose answer is not the JSON envelope (`?format=junit`): its text; an error as call's. */
  async text(path: string, query?: Query): Promise<string> {
    const res = await fetch(`${path}${queryString(query)}`, { headers: this.headers() });
    const text = await res.text();
    if (!res.ok) throw problemOf(res, envelopeOf(text));
    return text;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, undefined, query);
  }
}

type Envelope = { message?: string; data?: unknown } | undefined;

function envelopeOf(text: string): Envelope {
  try {
    return text ? (JSON.parse(text) as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

function problemOf(res: Response, envelope: Envelope): ApiProblem {
  const data = (envelope?.data ?? {}) as { type?: string; errors?: FieldProblem[] };
  const details = data.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
  return new ApiProblem(
    res.status,
    data.type ?? 'unknown',
    `${res.status}: ${envelope?.message ?? res.statusText}${details ? ` (${details})` : ''}`,
    data.errors ?? [],
  );
}
