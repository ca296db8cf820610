/**
 * The cassette: what the live API really said, one exchange after another, as a documented and
 * versioned JSON document (README, "Proxy, record, replay"). Written by the proxy (`--record`),
 * served back by the replay (`--replay`), turned into a scenario (`dreamcore-simulator cassette
 * to-scenario`).
 *
 * Made for people and for review: pretty-printed, every object's keys in one fixed order (headers and
 * query parameters sorted by name), bodies as JSON values, keys redacted (cassette/redaction.ts).
 */
import { readFileSync } from 'node:fs';

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

const headersSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
} as const;

const bodySchema = {} as const;

/** The cassette format as JSON Schema, checked when a cassette is loaded. */
export const CASSETTE_SCHEMA = {
  type: 'object',
  required: ['format', 'version', 'target', 'recordedAt', 'recorder', 'exchanges'],
  additionalProperties: false,
  properties: {
    format: { const: CASSETTE_FORMAT },
    version: { const: CASSETTE_VERSION },
    target: { type: 'string' },
    recordedAt: { type: 'string', format: 'date-time' },
    recorder: { type: 'string' },
    exchanges: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'startOffsetMs', 'durationMs', 'request'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', minimum: 1 },
          startOffsetMs: { type: 'number', minimum: 0 },
          durationMs: { type: 'number', minimum: 0 },
          request: {
            type: 'object',
            required: ['method', 'path', 'query', 'headers'],
            additionalProperties: false,
            properties: {
              method: { type: 'string', pattern: '^[A-Z]+$' },
              path: { type: 'string', pattern: '^/' },
              query: {
                type: 'object',
                additionalProperties: {
                  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
                },
              },
              headers: headersSchema,
              body: bodySchema,
              bodyText: { type: 'string' },
            },
          },
          response: {
            type: 'object',
            required: ['status', 'headers'],
            additionalProperties: false,
            properties: {
              status: { type: 'integer', minimum: 100, maximum: 599 },
              headers: headersSchema,
              body: bodySchema,
              bodyText: { type: 'string' },
            },
          },
          error: {
            type: 'object',
            required: ['kind', 'message'],
            additionalProperties: false,
            properties: {
              kind: { enum: ['timeout', 'unreachable', 'network', 'too-large'] },
              message: { type: 'string' },
            },
          },
        },
        oneOf: [{ required: ['response'] }, { required: ['error'] }],
      },
    },
  },
} as const;

/** Reads and checks a cassette; the error names the file and what is wrong where. */
export async function readCassette(file: string): Promise<Cassette> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the cassette ${file}: ${(error as Error).message}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a cassette: not valid JSON`);
  }
  const version = (doc as { version?: unknown } | null)?.version;
  if ((doc as { format?: unknown } | null)?.format === CASSETTE_FORMAT && version !== CASSETTE_VERSION) {
    throw new Error(
      `${file} is a cassette of version ${JSON.stringify(version)}; this simulator reads version ${CASSETTE_VERSION}`,
    );
  }
  const { responseAjv } = await import('../http/validation/spec-ajv.js');
  const validate = responseAjv().compile(CASSETTE_SCHEMA);
  if (!validate(doc)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
    throw new Error(`${file} is not a cassette of version ${CASSETTE_VERSION}: ${problems.join('; ')}`);
  }
  const cassette = doc as Cassette;
  const ids = new Set<number>();
  for (const e of cassette.exchanges) {
    if (ids.has(e.id)) throw new Error(`${file}: exchange id ${e.id} appears twice`);
    ids.add(e.id);
  }
  cassette.exchanges.sort((a, b) => a.id - b.id);
  return cassette;
}

/** The text of a cassette: pretty-printed, with a final newline (the objects are built in a fixed order). */
export function cassetteText(cassette: Cassette): string {
  return `${JSON.stringify(cassette, null, 2)}\n`;
}

/** A task id in a request (query or JSON body), as the API reads it. */
export function requestTaskId(request: CassetteRequest): string | undefined {
  const fromQuery = request.query.task_id;
  if (typeof fromQuery === 'string') return fromQuery;
  const fromBody = (request.body as { task_id?: unknown } | undefined)?.task_id;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

/** The `data.task_id` of an answer's JSON body, if any. */
export function answerTaskId(response: CassetteResponse | undefined): string | undefined {
  const id = (response?.body as { data?: { task_id?: unknown } } | undefined)?.data?.task_id;
  return typeof id === 'string' ? id : undefined;
}
