/**
 * The cassette's format (version 1): its documents' types and the headers it keeps. A leaf: the
 * reader, the validator, the recorder and the replay all read it.
 */
export const CASSETTE_FORMAT = 'dreamcore-cassette';
export const CASSETTE_VERSION = 1;

export interface CassetteRequest {
  method: string;
  /** The path without the query string, as sent. */
  path: string;
  /** Query parameters by name (sorted); a repeated one as a list. Secret-looking values redacted. */
  query: Record<string, string | string[]>;
  /** The allowlisted headers (REQUEST_HEADERS), lower-case and sorted; Authorization as the key's label. */
  headers: Record<string, string>;
  /** The body as JSON, when it was JSON. */
  body?: unknown;
  /** The body as text, when it was not JSON. */
  bodyText?: string;
}

export interface CassetteResponse {
  status: number;
  /** The allowlisted headers (RESPONSE_HEADERS), lower-case and sorted. */
  headers: Record<string, string>;
  body?: unknown;
  bodyText?: string;
}

/** No answer came: the proxy answered 504 (timeout) or 502 itself. */
export interface CassetteError {
  kind: 'timeout' | 'unreachable' | 'network' | 'too-large';
  message: string;
}

export interface CassetteExchange {
  /** 1, 2, ... in the order the requests arrived. */
  id: number;
  /** When the request arrived, from the start of the recording (ms). */
  startOffsetMs: number;
  /** How long the live API took to answer (ms). */
  durationMs: number;
  request: CassetteRequest;
  response?: CassetteResponse;
  error?: CassetteError;
}

export interface Cassette {
  format: typeof CASSETTE_FORMAT;
  version: typeof CASSETTE_VERSION;
  /** The live API's base URL (without credentials). */
  target: string;
  /** When recording started (ISO 8601, UTC). */
  recordedAt: string;
  /** What recorded it: `dreamcore-simulator <version>`. */
  recorder: string;
  exchanges: CassetteExchange[];
}

/** Request headers kept: enough to replay and to read, nothing that can identify a caller. */
export const REQUEST_HEADERS = ['accept', 'authorization', 'content-type'] as const;
/** Answer headers kept: what a client reads (how long to wait, how much is left, what the body is). */
export const RESPONSE_HEADERS = [
  'allow',
  'content-type',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
] as const;
