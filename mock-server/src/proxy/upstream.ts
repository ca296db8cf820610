/**
 * What answers the public API in proxy and replay modes: the live API (live-upstream.ts) or a
 * cassette (cassette/replay.ts). The exchange pipeline (exchange.ts) does not know which.
 */
import type { Store } from '../store/store.js';

export interface UpstreamRequest {
  method: string;
  /** The path and query string as the client sent them. */
  url: string;
  /** The path without the query string. */
  path: string;
  /** The query string without `?` (empty when none). */
  search: string;
  /** As received, lower-case names (the QA headers already removed). */
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes, if any. */
  body: Buffer | undefined;
  /** The caller's key, for redaction only: it is never stored. */
  key: string | undefined;
}

export interface UpstreamAnswer {
  status: number;
  /** Lower-case names; `set-cookie` may appear more than once. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** How long the upstream took (recorded, for a replay). */
  durationMs: number;
}

/** Why there is no answer: no reply in time, nothing listening, or the connection broke. */
export interface UpstreamFailure {
  kind: 'timeout' | 'unreachable' | 'network' | 'too-large';
  message: string;
  /**
   * Whether the request may have reached the live API (a generate may then have been charged): false
   * only when no connection was made at all (refused, name not found).
   */
  mayHaveArrived: boolean;
  durationMs: number;
}

export type UpstreamResult =
  | { kind: 'answer'; answer: UpstreamAnswer }
  | { kind: 'failure'; failure: UpstreamFailure }
  /** Replay only: the cassette cannot answer this request; `message` names the nearest recorded one. */
  | { kind: 'miss'; message: string };

/** What an upstream may read of the world the request acts in (a replay's cursors live in its store). */
export interface UpstreamContext {
  worldId: string;
  store: Pick<Store, 'nextCounter'>;
  /** The simulator's clock, now (ms). */
  now: number;
  /** Base of the simulator's own URLs (replayed image links). */
  baseUrl: string;
}

export interface Upstream {
  readonly mode: 'proxy' | 'replay';
  /** The live API's base URL, or the one the cassette was recorded from (shown, never a secret). */
  readonly target: string;
  exchange(request: UpstreamRequest, context: UpstreamContext): Promise<UpstreamResult>;
  /** A world (or every world) was reset: its cursors start again. */
  onReset?(worldId: string | undefined): void;
}
