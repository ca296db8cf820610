/**
 * A cassette is checked whole when it is loaded, because it is meant to be committed and shared: a
 * replay serves what it holds in the simulator's origin, so a crafted one must be refused at start,
 * never half-served. Four passes, each naming the file, the exchange (its index, id, method and path)
 * and what is wrong:
 *
 *  1. the file's size (before it is read) and, once parsed, every value's nesting and keys: nothing
 *     nested deeper than MAX_NESTING (what a deep body would cost every recursive reader later), no
 *     key that reaches a prototype (`__proto__`, `constructor`, `prototype`);
 *  2. the format, by a JSON Schema (CASSETTE_SCHEMA, with the spec's Ajv): headers held to the
 *     recorder's allowlists and to values HTTP can carry (no CR, LF or other control character), and
 *     strings and numbers to bounds;
 *  3. ids, each once;
 *  4. what the replay reads as keys of its own tables: a recorded task's `aspectRatio` and `quality`
 *     never name a property every object has.
 */
import type { ErrorObject } from 'ajv';
import { MAX_ANSWER_BYTES } from '../proxy/live-upstream.js';
import {
  CASSETTE_FORMAT,
  CASSETTE_VERSION,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  type Cassette,
} from './cassette-format.js';

/** The largest cassette read: a recording of tens of thousands of exchanges is far below it. */
export const MAX_CASSETTE_BYTES = 128 * 1024 * 1024;
/** How deep any value of an exchange may nest (the API's bodies nest four or five levels). */
export const MAX_NESTING = 32;
/** The longest header value, path, query value or message kept. */
const MAX_HEADER_VALUE = 8 * 1024;
const MAX_URL_PART = 8 * 1024;
/** Keys that reach an object's prototype when assigned or looked up. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** What Node lets a header value hold (and HTTP/1.1 can carry): tab, printable ASCII, Latin-1. */
const LEGAL_HEADER_VALUE = '^[\\t\\x20-\\x7e\\x80-\\xff]*$';
/**
 * A recorded request's headers are matched, never sent (Authorization is kept as the key's label,
 * `Bearer sk-l…2f9a`, whose ellipsis HTTP could not carry): no control character is all they need.
 */
const NO_CONTROL_CHARACTER = '^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$';

/** The cassette format as JSON Schema; each exchange's bodies are any JSON (pass 1 bounds them). */
export const CASSETTE_SCHEMA = {
  type: 'object',
  required: ['format', 'version', 'target', 'recordedAt', 'recorder', 'exchanges'],
  additionalProperties: false,
  definitions: {
    headerValue: { type: 'string', maxLength: MAX_HEADER_VALUE, pattern: LEGAL_HEADER_VALUE },
    requestHeaderValue: { type: 'string', maxLength: MAX_HEADER_VALUE, pattern: NO_CONTROL_CHARACTER },
    requestHeaders: {
      type: 'object',
      propertyNames: { enum: REQUEST_HEADERS },
      additionalProperties: { $ref: '#/definitions/requestHeaderValue' },
    },
    responseHeaders: {
      type: 'object',
      propertyNames: { enum: RESPONSE_HEADERS },
      additionalProperties: { $ref: '#/definitions/headerValue' },
    },
    text: { type: 'string', maxLength: MAX_ANSWER_BYTES },
    offset: { type: 'number', minimum: 0, maximum: 1e12 },
  },
  properties: {
    format: { const: CASSETTE_FORMAT },
    version: { const: CASSETTE_VERSION },
    target: { type: 'string', maxLength: MAX_URL_PART },
    recordedAt: { type: 'string', format: 'date-time' },
    recorder: { type: 'string', maxLength: 200 },
    exchanges: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'startOffsetMs', 'durationMs', 'request'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          startOffsetMs: { $ref: '#/definitions/offset' },
          durationMs: { $ref: '#/definitions/offset' },
          request: {
            type: 'object',
            required: ['method', 'path', 'query', 'headers'],
            additionalProperties: false,
            properties: {
              method: { type: 'string', pattern: '^[A-Z]{1,16}$' },
              // What an HTTP request line carries: printable ASCII, no space.
              path: { type: 'string', maxLength: MAX_URL_PART, pattern: '^/[\\x21-\\x7e]*$' },
              query: {
                type: 'object',
                additionalProperties: {
                  anyOf: [
                    { type: 'string', maxLength: MAX_URL_PART },
                    { type: 'array', items: { type: 'string', maxLength: MAX_URL_PART } },
                  ],
                },
              },
              headers: { $ref: '#/definitions/requestHeaders' },
              body: {},
              bodyText: { $ref: '#/definitions/text' },
            },
          },
          response: {
            type: 'object',
            required: ['status', 'headers'],
            additionalProperties: false,
            properties: {
              status: { type: 'integer', minimum: 100, maximum: 599 },
              headers: { $ref: '#/definitions/responseHeaders' },
              body: {},
              bodyText: { $ref: '#/definitions/text' },
            },
          },
          error: {
            type: 'object',
            required: ['kind', 'message'],
            additionalProperties: false,
            properties: {
              kind: { enum: ['timeout', 'unreachable', 'network', 'too-large'] },
              message: { type: 'string', maxLength: 2000 },
            },
          },
        },
        oneOf: [{ required: ['response'] }, { required: ['error'] }],
      },
    },
  },
} as const;

/** What a schema error means, where Ajv's own words would not say; `at` is the path inside the exchange. */
function explained(error: ErrorObject, at: string[]): string | undefined {
  const [side, place] = at.slice(-2);
  if (error.propertyName !== undefined && at.at(-1) === 'headers')
    return `is not a header a cassette keeps (${side === 'request' ? `requests keep ${REQUEST_HEADERS.join(', ')}` : `answers keep ${RESPONSE_HEADERS.join(', ')}`})`;
  if (place === 'headers' || at.at(-2) === 'headers') {
    if (error.keyword === 'pattern')
      return 'is not a legal header value (it holds CR, LF or another control character)';
    if (error.keyword === 'maxLength') return `is longer than ${MAX_HEADER_VALUE} characters`;
  }
  if (error.keyword === 'oneOf' && at.length === 0)
    return 'must have either a response or an error, not both';
  return undefined;
}

type Located = { index: number | undefined; where: string; problem: string };

/** Validates a parsed cassette whole; throws an Error whose message names the file, the exchange and the fault. */
export async function validateCassette(doc: unknown, file: string): Promise<Cassette> {
  const fail = ({ index, where, problem }: Located): never => {
    const what = where ? `${where} ${problem}` : problem;
    if (index === undefined)
      throw new Error(`${file} is not a cassette of version ${CASSETTE_VERSION}: ${what}`);
    throw new Error(`${file}: ${exchangeName(doc, index)}: ${what}`);
  };

  const shape = shapeProblem(doc);
  if (shape) fail(shape);

  const { responseAjv } = await import('../http/validation/spec-ajv.js');
  const validate = responseAjv().compile(CASSETTE_SCHEMA);
  if (!validate(doc)) {
    // The first fault, outside the exchanges first; a propertyNames error repeats its inner one.
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames');
    const first = errors.find((e) => !e.instancePath.startsWith('/exchanges/')) ?? errors[0]!;
    fail(schemaProblem(first));
  }

  const cassette = doc as Cassette;
  const seen = new Map<number, number>();
  cassette.exchanges.forEach((e, index) => {
    const earlier = seen.get(e.id);
    if (earlier !== undefined)
      fail({ index, where: '', problem: `id ${e.id} appears twice (also at index ${earlier})` });
    seen.set(e.id, index);
  });

  cassette.exchanges.forEach((e, index) => {
    const request = (e.response?.body as { data?: { request?: unknown } } | undefined)?.data?.request;
    if (typeof request !== 'object' || request === null) return;
    for (const field of ['aspectRatio', 'quality'] as const) {
      const value = (request as Record<string, unknown>)[field];
      if (typeof value === 'string' && (value in Object.prototype || PROTOTYPE_KEYS.has(value)))
        fail({
          index,
          where: `response.body.data.request.${field}`,
          problem: `${JSON.stringify(value)} names a property every object has (a prototype key), not a value of the API`,
        });
    }
  });
  return cassette;
}

/**
 * Pass 1, without recursion (a value nested 20,000 deep must not overflow the stack here): the first
 * value nested deeper than MAX_NESTING or key that reaches a prototype, in the document or an exchange.
 */
function shapeProblem(doc: unknown): Located | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { index: undefined, where: '', problem: 'is not a JSON object' };
  const exchanges = (doc as { exchanges?: unknown }).exchanges;
  const roots: Array<{ index: number | undefined; value: unknown }> = [
    { index: undefined, value: { ...doc, exchanges: [] } },
    ...(Array.isArray(exchanges) ? exchanges.map((value, index) => ({ index, value })) : []),
  ];
  for (const { index, value } of roots) {
    const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
    while (stack.length > 0) {
      const { value: node, path, depth } = stack.pop()!;
      if (typeof node !== 'object' || node === null) continue;
      if (depth >= MAX_NESTING)
        return { index, where: path, problem: `is nested deeper than ${MAX_NESTING} levels` };
      const entries: Array<[string | number, unknown]> = Array.isArray(node)
        ? node.map((v, i) => [i, v])
        : Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const at = step(path, key);
        if (typeof key === 'string' && PROTOTYPE_KEYS.has(key))
          return { index, where: at, problem: 'is a prototype key: no cassette holds one' };
        stack.push({ value: child, path: at, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function schemaProblem(error: ErrorObject): Located {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const inExchange = segments[0] === 'exchanges' && segments.length >= 2;
  const index = inExchange ? Number(segments[1]) : undefined;
  let where = (inExchange ? segments.slice(2) : segments).reduce<string>(
    (path, s) => step(path, /^\d+$/.test(s) ? Number(s) : s),
    '',
  );
  if (error.propertyName !== undefined) where = step(where, error.propertyName);
  const explanation = explained(error, inExchange ? segments.slice(2) : segments);
  if (explanation) return { index, where, problem: explanation };
  const params = error.params as Record<string, unknown>;
  let problem = error.message ?? error.keyword;
  if (typeof params.additionalProperty === 'string')
    problem += `: ${JSON.stringify(params.additionalProperty)}`;
  if (Array.isArray(params.allowedValues))
    problem += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if ('allowedValue' in params) problem += `: ${JSON.stringify(params.allowedValue)}`;
  return { index, where, problem };
}

/** `response.headers` + `content-type` -> `response.headers["content-type"]`; a number is an index. */
function step(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key)}]`;
}

/** `exchange at index 4 (id 5, GET /api/status)`, from whatever the exchange holds, shown safely. */
function exchangeName(doc: unknown, index: number): string {
  const exchange = ((doc as { exchanges?: unknown[] }).exchanges ?? [])[index] as
    { id?: unknown; request?: { method?: unknown; path?: unknown } } | undefined;
  const shown = (value: unknown, plain: RegExp) =>
    typeof value === 'string' && plain.test(value)
      ? value
      : JSON.stringify(typeof value === 'string' && value.length > 60 ? `${value.slice(0, 57)}...` : value);
  const id = exchange?.id;
  const request = typeof exchange?.request === 'object' && exchange.request !== null ? exchange.request : {};
  const parts = [
    Number.isSafeInteger(id) ? `id ${id as number}` : undefined,
    request.method !== undefined || request.path !== undefined
      ? `${shown(request.method, /^[A-Z]{1,16}$/)} ${shown(request.path, /^\/[\x21-\x7e]{0,200}$/)}`
      : undefined,
  ].filter(Boolean);
  return `exchange at index ${index}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
