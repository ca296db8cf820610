/**
 * Fuzzing the edge (issue 6): well over 10,000 generated bad requests, sent in parallel batches
 * over one loopback server and a keep-alive agent. Families: generate bodies (wrong types,
 * missing and extra fields, boundary and huge strings, odd Unicode, `__proto__` and `constructor`
 * keys), broken JSON and wrong content types, oversized bodies, undecodable content encodings,
 * status queries and bodies, GET bodies, malformed Authorization headers, unknown routes and methods.
 *
 * Every answer must be a 4xx (never a 5xx, never a success) in the envelope {code, message, data},
 * code = HTTP status, conforming to the spec when the operation is in it. Nothing may change: no
 * credit spent, no task created, Object.prototype untouched, and the server still serves a valid
 * request at the end.
 *
 * Seeded: FC_SEED=<seed> replays a run (see ./support.ts); fast-check prints seed and path on failure.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { faker } from '@faker-js/faker';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY, DEV_KEY_BALANCE } from '../../mock-server/src/config.js';
import { loadConformance, loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';
import { FC_SEED, fcParams, listenOnLoopback, type Listening } from './support.js';

faker.seed(FC_SEED);

const VALID_AUTH = `Bearer ${DEV_KEY}`;
const JSON_TYPE = 'application/json';
const BODY_LIMIT = 64 * 1024;

/** What to send. Bodies are described, not held, so a counterexample prints small. */
type Body =
  | { text: string }
  | { bytes: readonly number[] }
  | { huge: number; shape: 'prompt' | 'garbage' | 'urls' }
  | { compressed: 'gzip' | 'deflate' | 'br'; text: string };

interface BadRequest {
  /** What is wrong with it, for the report. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Body;
  /** The one status this request must get, when it is certain. */
  expect?: number;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function materialize(body: Body): Buffer {
  if ('bytes' in body) return Buffer.from(body.bytes);
  if ('huge' in body) {
    const n = body.huge;
    if (body.shape === 'garbage') return Buffer.alloc(n, 'x');
    if (body.shape === 'urls') {
      const url = '"https://example.com/reference/image.jpg"';
      const items = Math.ceil(n / (url.length + 1));
      return Buffer.from(
        `{"prompt":"fox","aspectRatio":"1:1","quality":"basic","imageUrls":[${Array(items).fill(url).join(',')}]}`,
      );
    }
    return Buffer.from(JSON.stringify({ ...SAMPLE_REQUEST, prompt: 'p'.repeat(n) }));
  }
  if ('compressed' in body) {
    const raw = Buffer.from(body.text);
    return body.compressed === 'gzip'
      ? gzipSync(raw)
      : body.compressed === 'deflate'
        ? deflateSync(raw)
        : brotliCompressSync(raw);
  }
  return Buffer.from(body.text, 'utf8');
}

/** JSON text sent as written (JSON.stringify would drop a `__proto__` key of an object literal). */
class RawJson {
  constructor(readonly text: string) {}
  toJSON() {
    return `RawJson(${this.text})`;
  }
}

/** A JSON object text from entries, so keys such as __proto__ are sent as written, and may repeat. */
function objectText(entries: ReadonlyArray<readonly [string, unknown]>): string {
  const value = (v: unknown) => (v instanceof RawJson ? v.text : JSON.stringify(v));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${value(v)}`).join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const GENERATE_FIELDS = ['prompt', 'aspectRatio', 'quality', 'imageUrls', 'numImages'] as const;
type Field = (typeof GENERATE_FIELDS)[number];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Odd Unicode: lone surrogates, RTL and bidi controls, emoji and ZWJ sequences, NUL, BOM, zero widths. */
const oddChar = fc.oneof(
  loneSurrogate,
  fc.constantFrom('\u202e', '\u202d', '\u200f', '\u061c', '\u2066', '\u0000', '\ufeff', '\u200b', '\uffff'),
  fc.constantFrom('😀', '👩‍👩‍👧‍👦', '🏳️‍🌈', 'ש', 'مرحبا', '\u0301', '𝕏', '\u{10ffff}'),
);
const oddString = fc
  .array(fc.oneof(oddChar, fc.string({ unit: 'binary', maxLength: 3 })), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(''));
/** Strings with no non-space character: \S never matches them (the prompt's pattern). */
const blank = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\u2028', '\ufeff'), {
    maxLength: 20,
  })
  .map((a) => a.join(''));

const fakerPrompt = fc.nat().map((s) => (faker.seed(s), faker.lorem.sentence({ min: 2, max: 20 })));
const goodUrl = fc
  .nat()
  .map((s) => (faker.seed(s), `https://${faker.internet.domainName()}/${faker.string.alphanumeric(8)}.jpg`));

const validEntries = fc
  .record({
    prompt: fc.oneof(
      fakerPrompt,
      oddString.map((s) => `a ${s}`),
    ),
    aspectRatio: fc.constantFrom('1:1', '3:4', '4:3', '9:16', '16:9'),
    quality: fc.constantFrom('basic', 'high'),
    imageUrls: fc.option(fc.array(goodUrl, { maxLength: 3 }), { nil: undefined }),
    numImages: fc.option(fc.constantFrom(1, 4), { nil: undefined }),
  })
  .map((r) => Object.entries(r).filter(([, v]) => v !== undefined) as Array<[string, unknown]>);

const notString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const notArray = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.object({ maxDepth: 1 }),
);
const notInteger = fc.oneof(
  fc.constantFrom('4', '1', 4.5, 1.5, true, null, [4], { n: 4 }),
  fc.double({ noInteger: true }),
);

const badAspect = fc
  .oneof(
    fc.constantFrom(
      '1:2',
      '5:4',
      '16:10',
      '1x1',
      '1:1 ',
      ' 1:1',
      '1:1\u0000',
      '\u202e9:16',
      '１:１',
      '',
      '4:3:1',
      '21:9',
    ),
    oddString,
    fc.string({ maxLength: 8 }),
  )
  .filter((s) => !['1:1', '3:4', '4:3', '9:16', '16:9'].includes(s));
const badQuality = fc
  .oneof(
    fc.constantFrom('Basic', 'HIGH', 'ultra', 'low', 'basic ', 'basic\u0000', 'hígh', '', 'medium'),
    oddString,
  )
  .filter((s) => s !== 'basic' && s !== 'high');
const badPrompt = fc.oneof(
  fc.constant(''),
  blank.filter((s) => s.length > 0),
  // Boundary: 1501 characters and more (code points, as JSON Schema counts them), some odd ones.
  fc
    .record({
      n: fc.integer({ min: 1501, max: 3000 }),
      c: fc.constantFrom('x', 'é', '😀', 'ש', '\u202e', '\u0000'),
    })
    .map(({ n, c }) => c.repeat(n)),
);
const badUrl = fc.oneof(
  fc.constantFrom(
    'not a url',
    'ftp://example.com/a.jpg',
    'javascript:alert(1)',
    'file:///etc/passwd',
    '//example.com/a.jpg',
    'https//example.com',
    'data:image/png;base64,AAAA',
    '',
    'HTTPS:/example.com',
  ),
  fc.integer({ min: 2049, max: 4000 }).map((n) => `https://example.com/${'a'.repeat(n)}`),
  oddString,
  notString.filter((v) => typeof v !== 'string'),
);
const badNumImages = fc.oneof(
  fc.integer({ min: -10, max: 100 }).filter((n) => n !== 1 && n !== 4),
  notInteger,
);

/** Keys that are not fields of GenerateRequest, including the prototype's. */
const extraKey = fc
  .oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'aspect_ratio',
      'num_images',
      'image_urls',
      'Prompt',
      'prompt ',
      '',
      '\u0000',
      '😀',
      '\u202eprompt',
      'task_id',
    ),
    oddString,
    fc.string({ maxLength: 10 }),
  )
  .filter((k) => !(GENERATE_FIELDS as readonly string[]).includes(k));
/** Values that would pollute a prototype if a merge ever walked them. */
const pollution = fc.oneof(
  fc.constant({ polluted: 'yes', isAdmin: true }),
  fc.constant({ prototype: { polluted: 'yes' } }),
  fc.constant(new RawJson('{"__proto__":{"polluted":"yes","isAdmin":true}}')),
  fc.constant(new RawJson('{"constructor":{"prototype":{"polluted":"yes"}}}')),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation =
  | { kind: 'missing'; field: 'prompt' | 'aspectRatio' | 'quality' }
  | { kind: 'set'; field: Field; value: unknown; why: string }
  | { kind: 'extra'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom('prompt', 'aspectRatio', 'quality').map((field) => ({ kind: 'missing' as const, field })),
  notString.map((value) => ({ kind: 'set' as const, field: 'prompt' as const, value, why: 'not a string' })),
  badPrompt.map((value) => ({
    kind: 'set' as const,
    field: 'prompt' as const,
    value,
    why: `${value.length} chars`,
  })),
  fc
    .oneof(badAspect, notString)
    .map((value) => ({ kind: 'set' as const, field: 'aspectRatio' as const, value, why: 'bad' })),
  fc
    .oneof(badQuality, notString)
    .map((value) => ({ kind: 'set' as const, field: 'quality' as const, value, why: 'bad' })),
  notArray.map((value) => ({
    kind: 'set' as const,
    field: 'imageUrls' as const,
    value,
    why: 'not an array',
  })),
  fc
    .tuple(fc.array(goodUrl, { maxLength: 3 }), badUrl, fc.array(goodUrl, { maxLength: 3 }))
    .map(([a, bad, b]) => ({
      kind: 'set' as const,
      field: 'imageUrls' as const,
      value: [...a, bad, ...b],
      why: 'a bad url',
    })),
  fc.array(goodUrl, { minLength: 15, maxLength: 30 }).map((value) => ({
    kind: 'set' as const,
    field: 'imageUrls' as const,
    value,
    why: `${value.length} urls`,
  })),
  badNumImages.map((value) => ({ kind: 'set' as const, field: 'numImages' as const, value, why: 'bad' })),
  fc.tuple(extraKey, pollution).map(([key, value]) => ({ kind: 'extra' as const, key, value })),
);

function applyMutations(
  entries: Array<[string, unknown]>,
  mutations: readonly Mutation[],
): Array<[string, unknown]> {
  let out = [...entries];
  for (const m of mutations) {
    if (m.kind === 'missing') out = out.filter(([k]) => k !== m.field);
    else if (m.kind === 'set') out = [...out.filter(([k]) => k !== m.field), [m.field, m.value]];
    else out = [...out, [m.key, m.value]];
  }
  return out;
}

const describeMutation = (m: Mutation) =>
  m.kind === 'missing'
    ? `no ${m.field}`
    : m.kind === 'set'
      ? `${m.field} ${m.why}`
      : `extra ${JSON.stringify(m.key)}`;

const validGenerateText = validEntries.map(objectText);

const unknownTaskId = fc.stringMatching(/^sd45_[0-9a-f]{16}$/);

/** Header values a client can send (no CR, LF or other controls but tab), some of them latin-1. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)),
      fc.constant('\t'),
    ),
    maxLength,
  });

/** Percent-encodes for a path or query, and also leaves well-formed-looking garbage as it is. */
const queryValue = fc.oneof(
  unknownTaskId.map((id) => id.toUpperCase()),
  fc.stringMatching(/^sd45_[0-9a-f]{15}$/),
  fc.stringMatching(/^sd45_[0-9a-f]{17}$/),
  fc.stringMatching(/^sd46_[0-9a-f]{16}$/),
  fc.constantFrom(
    '',
    '%ZZ',
    '%',
    '%u0041',
    '%E0%A4%A',
    '%00',
    '%C0%AF',
    '%FF%FE',
    '+',
    '%2B',
    'null',
    'undefined',
    '[]',
    '{}',
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: 100, max: 4000 }).map((n) => 'sd45_'.padEnd(n, 'f')),
  unknownTaskId.map((id) => `%20${id}`),
  unknownTaskId.map((id) => `${id}%00`),
);

// ---------------------------------------------------------------------------------------------
// The families of bad requests
// ---------------------------------------------------------------------------------------------

const jsonHeaders = { Authorization: VALID_AUTH, 'Content-Type': JSON_TYPE };

/** Bodies that break GenerateRequest, with a valid key and content type: exactly 400, naming fields. */
const badGenerateBody: fc.Arbitrary<BadRequest> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(validEntries, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([entries, mutations]) => ({
        label: `generate: ${mutations.map(describeMutation).join(', ')}`,
        method: 'POST',
        path: '/api/generate',
        headers: jsonHeaders,
        body: { text: objectText(applyMutations(entries, mutations)) },
        expect: 400,
      })),
  },
  {
    weight: 1,
    // Not an object at all.
    arbitrary: fc
      .oneof(
        validGenerateText.map((t) => `[${t}]`),
        fc.constantFrom('[]', '[1,2,3]', '[null]', '[{}]'),
      )
      .map((text) => ({
        label: 'generate: array body',
        method: 'POST',
        path: '/api/generate',
        headers: jsonHeaders,
        body: { text },
        expect: 400,
      })),
  },
);

/** Text that is not JSON, or JSON that strict parsing refuses (a bare string, number or literal). */
const brokenJson = fc.oneof(
  validGenerateText.chain((t) => fc.integer({ min: 1, max: t.length - 1 }).map((n) => t.slice(0, n))),
  fc.constantFrom(
    '{',
    '}',
    '{"prompt": }',
    "{'prompt': 'fox'}",
    '{"prompt":"fox",}',
    '{"prompt":"fox"} trailing',
    '{}{}',
    'NaN',
    'undefined',
    '{"prompt":"\\x41"}',
    '{"prompt":"\\ud800"',
    '"just a string"',
    '42',
    'true',
    'null',
    '\u0000',
    '{"__proto__":',
    '// comment\n{}',
    '{"a":1e999999999999}x',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => {
    try {
      const v: unknown = JSON.parse(s);
      return typeof v !== 'object' || v === null; // objects and arrays parse: not broken
    } catch {
      return true;
    }
  }),
);
const invalidUtf8 = fc.constantFrom(
  [0xff, 0xfe, 0x7b, 0x7d],
  [0xc0, 0x80],
  [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
);

const NOT_JSON_TYPES = [
  'text/plain',
  'text/html',
  'text/json',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'image/jpeg',
  'application/jsonx',
  'application/javascript',
  'application/merge-patch+json',
  'json',
  '*/*',
  'application/*',
];

const statusOrGenerate = fc.constantFrom(
  { method: 'POST', path: '/api/generate' },
  { method: 'POST', path: '/api/status?task_id=sd45_0123456789abcdef' },
);

/** Broken JSON, undecodable bytes and wrong content types. */
const badTransport: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.tuple(statusOrGenerate, brokenJson).map(([target, text]) => ({
    label: 'broken JSON',
    ...target,
    headers: jsonHeaders,
    body: { text },
    expect: 400,
  })),
  fc.tuple(statusOrGenerate, invalidUtf8).map(([target, bytes]) => ({
    label: 'invalid UTF-8',
    ...target,
    headers: jsonHeaders,
    body: { bytes },
  })),
  fc
    .tuple(statusOrGenerate, fc.constantFrom(...NOT_JSON_TYPES, ''), validGenerateText)
    .map(([target, type, text]) => ({
      label: `content type ${JSON.stringify(type)}`,
      ...target,
      headers: { Authorization: VALID_AUTH, ...(type === '' ? {} : { 'Content-Type': type }) },
      body: { text },
      // Status takes an optional body: one without a content type may be ignored (then 404, unknown task).
      ...(type === '' && target.path !== '/api/generate' ? {} : { expect: 415 }),
    })),
  fc
    .tuple(
      statusOrGenerate,
      headerText(30).filter((t) => !/json/i.test(t) && t.trim() !== ''),
      validGenerateText,
    )
    .map(([target, type, text]) => ({
      label: `content type ${JSON.stringify(type)}`,
      ...target,
      headers: { Authorization: VALID_AUTH, 'Content-Type': type },
      body: { text },
    })),
  fc
    .tuple(
      statusOrGenerate,
      fc.constantFrom('utf-16', 'utf-16le', 'utf-32', 'latin1', 'us-ascii', 'iso-8859-1', 'klingon'),
      validGenerateText,
    )
    .map(([target, charset, text]) => ({
      label: `charset ${charset}`,
      ...target,
      headers: { Authorization: VALID_AUTH, 'Content-Type': `application/json; charset=${charset}` },
      body: { text },
    })),
);

/** Bodies over the 64 KiB limit: exactly 413. */
const oversized: fc.Arbitrary<BadRequest> = fc
  .tuple(
    statusOrGenerate,
    fc.integer({ min: BODY_LIMIT + 1, max: 3 * BODY_LIMIT }),
    fc.constantFrom<'prompt' | 'garbage' | 'urls'>('prompt', 'garbage', 'urls'),
  )
  .map(([target, huge, shape]) => ({
    label: `${huge} byte ${shape} body`,
    ...target,
    headers: jsonHeaders,
    body: { huge, shape },
    expect: 413,
  }));

/** Content encodings the body is not in (or that are unknown), and compressed bodies that decode to bad JSON. */
const badEncoding: fc.Arbitrary<BadRequest> = fc.oneof(
  fc
    .tuple(
      statusOrGenerate,
      fc.oneof(
        fc.constantFrom(
          'gzip',
          'deflate',
          'br',
          'x-gzip',
          'compress',
          'zstd',
          'GZIP',
          'identity, gzip',
          'gzip, gzip',
        ),
        headerText(12).filter((e) => !/^\s*(identity)?\s*$/i.test(e)),
      ),
      fc.oneof(validGenerateText, fc.string({ minLength: 1, maxLength: 30 })),
    )
    .map(([target, encoding, text]) => ({
      label: `Content-Encoding ${JSON.stringify(encoding)} on a plain body`,
      ...target,
      headers: { ...jsonHeaders, 'Content-Encoding': encoding },
      body: { text },
    })),
  fc
    .tuple(statusOrGenerate, fc.constantFrom<'gzip' | 'deflate' | 'br'>('gzip', 'deflate', 'br'), brokenJson)
    .map(([target, compressed, text]) => ({
      label: `${compressed}-compressed broken JSON`,
      ...target,
      headers: { ...jsonHeaders, 'Content-Encoding': compressed },
      body: { compressed, text },
      expect: 400,
    })),
);

/** /api/status by GET and POST with bad query strings and bodies (no GET bodies: see below). */
const badStatus: fc.Arbitrary<BadRequest> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('GET', 'POST'),
      fc.oneof(
        queryValue.map((v) => `task_id=${v}`),
        unknownTaskId.map((id) => `task_id[]=${id}`),
        unknownTaskId.map((id) => `task_id[0]=${id}`),
        unknownTaskId.map((id) => `task_id[a][b]=${id}`),
        fc.tuple(unknownTaskId, unknownTaskId).map(([a, b]) => `task_id=${a}&task_id=${b}`),
        unknownTaskId.map((id) => `task_id=${id}&task_id=${id}`),
        fc
          .tuple(unknownTaskId, fc.stringMatching(/^[a-z_]{1,10}$/))
          .map(([id, k]) => (k === 'task_id' ? `task_id=${id}&x=1` : `task_id=${id}&${k}=1`)),
        fc.constantFrom(
          '',
          '&',
          '&&&',
          '=',
          '==',
          'task_id',
          'task_id&',
          '?',
          '%ZZ',
          '%26task_id%3D',
          'TASK_ID=sd45_0123456789abcdef',
        ),
        // A well-formed id nobody owns: 404, the last of the bad answers.
        unknownTaskId.map((id) => `task_id=${id}`),
      ),
    )
    .map(([method, query]) => ({
      label: `${method} status ?${query}`,
      method,
      path: `/api/status${query === '' ? '' : `?${query}`}`,
      headers: method === 'POST' ? jsonHeaders : { Authorization: VALID_AUTH },
      ...(method === 'POST' ? { body: { text: '{}' } } : {}),
    })),
  fc
    .tuple(
      fc.oneof(
        fc.constant(''),
        unknownTaskId.map((id) => `?task_id=${id}`),
      ),
      fc.oneof(
        notString.map((v) => objectText([['task_id', v]])),
        queryValue.map((v) => objectText([['task_id', decodeURIComponentSafe(v)]])),
        fc.tuple(extraKey, pollution).map(([k, v]) => objectText([[k, v]])),
        fc.tuple(unknownTaskId, extraKey, pollution).map(([id, k, v]) =>
          objectText([
            ['task_id', id],
            [k, v],
          ]),
        ),
        fc.constantFrom('{}', '[]', '[{"task_id":"sd45_0123456789abcdef"}]'),
        unknownTaskId.map((id) => objectText([['task_id', id]])),
      ),
    )
    .map(([query, text]) => ({
      label: `POST status${query} with body ${text.slice(0, 40)}`,
      method: 'POST',
      path: `/api/status${query}`,
      headers: jsonHeaders,
      body: { text },
    })),
  // Query and body name different tasks.
  fc
    .tuple(unknownTaskId, unknownTaskId)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({
      label: 'POST status with query and body that differ',
      method: 'POST',
      path: `/api/status?task_id=${a}`,
      headers: jsonHeaders,
      body: { text: objectText([['task_id', b]]) },
      expect: 400,
    })),
);

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** GET /api/status with a body: the operation has none, so whatever is sent must not break the answer. */
const getStatusWithBody: fc.Arbitrary<BadRequest> = fc
  .tuple(
    unknownTaskId,
    fc.oneof(
      fc.record({
        label: fc.constant('JSON body'),
        headers: fc.constant(jsonHeaders),
        body: unknownTaskId.map((id) => ({ text: objectText([['task_id', id]]) })),
      }),
      fc.record({
        label: fc.constant('broken JSON body'),
        headers: fc.constant(jsonHeaders),
        body: brokenJson.map((text) => ({ text })),
      }),
      fc.record({
        label: fc.constant('oversized body'),
        headers: fc.constant(jsonHeaders),
        body: fc
          .integer({ min: BODY_LIMIT + 1, max: 2 * BODY_LIMIT })
          .map((huge) => ({ huge, shape: 'prompt' as const })),
      }),
      fc.record({
        label: fc.constant('text body'),
        headers: fc.constant({ Authorization: VALID_AUTH, 'Content-Type': 'text/plain' }),
        body: fc.string({ minLength: 1 }).map((text) => ({ text })),
      }),
      fc.record({
        label: fc.constant('body in an unsupported encoding'),
        headers: fc.constant({ ...jsonHeaders, 'Content-Encoding': 'x-unknown' }),
        body: fc.constant({ text: '{}' }),
      }),
    ),
  )
  .map(([id, { label, headers, body }]) => ({
    label: `GET status with a ${label}`,
    method: 'GET',
    path: `/api/status?task_id=${id}`,
    headers,
    body,
  }));

/** Authorization headers that carry no valid key: exactly 401, whatever the rest. */
const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;
const carriesValidKey = (value: string) => BEARER.exec(value.trim())?.[1] === DEV_KEY;
const badAuthorization: fc.Arbitrary<string | string[] | undefined> = fc
  .oneof(
    fc.constant(undefined),
    fc.constantFrom(
      '',
      ' ',
      '\t',
      'Bearer',
      'Bearer ',
      'Bearer\t',
      `Basic ${Buffer.from(`${DEV_KEY}:`).toString('base64')}`,
      `Token ${DEV_KEY}`,
      DEV_KEY,
      `Bearer:${DEV_KEY}`,
      `Bearer=${DEV_KEY}`,
      `Bearer ${DEV_KEY} extra`,
      `Bearer ${DEV_KEY},Bearer other`,
      `Bearer${DEV_KEY}`,
      `Bearer ${DEV_KEY}2`,
      `Bearer ${DEV_KEY.toUpperCase()}`,
      `Bearer ${DEV_KEY.slice(0, -1)}`,
      `"Bearer ${DEV_KEY}"`,
      `Bearer "${DEV_KEY}"`,
      `Bearer sk-dréamcore-dev`,
      `Bearer ${'k'.repeat(513)}`,
      `Bearer ${DEV_KEY}\u00a0`,
      `Digest username="${DEV_KEY}"`,
    ),
    headerText(60),
    headerText(40).map((k) => `Bearer ${k}`),
    fc.stringMatching(/^[\x21-\x7e]{1,64}$/).map((k) => `Bearer ${k}`),
    fc.tuple(headerText(20), fc.constant(VALID_AUTH)).map(([bad, good]) => [`Bearer x${bad}`, good]),
  )
  .filter((v) => v === undefined || (Array.isArray(v) ? !carriesValidKey(v[0]!) : !carriesValidKey(v)));

const badAuth: fc.Arbitrary<BadRequest> = fc
  .tuple(
    badAuthorization,
    fc.oneof(
      validGenerateText.map((text) => ({ method: 'POST', path: '/api/generate', body: { text } as Body })),
      unknownTaskId.map((id) => ({ method: 'GET', path: `/api/status?task_id=${id}` })),
      unknownTaskId.map((id) => ({
        method: 'POST',
        path: '/api/status',
        body: { text: objectText([['task_id', id]]) } as Body,
      })),
      // A bad key wins over a bad body too.
      fc.constant({ method: 'POST', path: '/api/generate', body: { text: '{broken' } as Body }),
    ),
  )
  .map(([authorization, target]) => ({
    label: `Authorization ${JSON.stringify(authorization)}`,
    ...target,
    headers: {
      ...(authorization === undefined ? {} : { Authorization: authorization }),
      ...('body' in target ? { 'Content-Type': JSON_TYPE } : {}),
    },
    expect: 401,
  }));

/** First path segments of the control API: never sent, so the fuzzer changes no state through it. */
const CONTROL_SEGMENTS = new Set(['health', 'reset', 'accounts', 'tasks', 'clock', 'faults', 'journal']);
const segment = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9._~-]{1,12}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map(encodeURIComponent),
  fc.constantFrom(
    '%ZZ',
    '%00',
    '%2e%2e',
    '..',
    '.',
    '%2F',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    'sd45_0123456789abcdef',
    '0.jpg',
  ),
);
const unknownPath = fc.oneof(
  fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .map((s) => `/api/${s.join('/')}`)
    .filter((p) => !/^\/api\/(generate|status)\/?$/i.test(p)),
  segment.map((s) => `/api/generate/${s}`),
  segment.map((s) => `/api/status/${s}`),
  fc
    .array(segment, { minLength: 1, maxLength: 3 })
    .filter((s) => !CONTROL_SEGMENTS.has(s[0]!.toLowerCase()))
    .map((s) => `/__mock/${s.join('/')}`),
  fc.tuple(segment, segment).map(([a, b]) => `/files/${a}/${b}`),
  fc
    .array(segment, { maxLength: 3 })
    .map((s) => `/${s.join('/')}`)
    .filter((p) => !/^\/(api|__mock|files)(\/|$)/i.test(p)),
  fc.constantFrom(
    '/',
    '/api',
    '/api/',
    '//api/generate',
    '/v1/generate',
    '/api/generate%00',
    '/api/%ZZ',
    '/.env',
    '/%2e%2e/etc/passwd',
    '/files',
    '/files/x',
    '/__mock',
    '/favicon.ico',
  ),
);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'];

const badRoute: fc.Arbitrary<BadRequest> = fc.oneof(
  // Unknown routes, any method, with or without a key, and no usable body.
  fc
    .tuple(fc.constantFrom(...METHODS), unknownPath, fc.boolean(), fc.option(brokenJson, { nil: undefined }))
    .map(([method, path, withKey, text]) => ({
      label: `${method} ${path}`,
      method,
      path,
      headers: {
        ...(withKey ? { Authorization: VALID_AUTH } : {}),
        ...(text === undefined || method === 'HEAD' || method === 'TRACE'
          ? {}
          : { 'Content-Type': JSON_TYPE }),
      },
      ...(text === undefined || method === 'HEAD' || method === 'TRACE' ? {} : { body: { text } }),
    })),
  // Known routes with a method they do not have.
  fc
    .tuple(
      fc.oneof(
        fc
          .constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE')
          .map((m) => [m, '/api/generate'] as const),
        fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE').map((m) => [m, '/api/status'] as const),
      ),
      fc.boolean(),
    )
    .map(([[method, path], withKey]) => ({
      label: `${method} ${path}`,
      method,
      path,
      headers: withKey ? { Authorization: VALID_AUTH } : {},
      expect: withKey ? 405 : 401,
    })),
);

// ---------------------------------------------------------------------------------------------
// Sending and judging
// ---------------------------------------------------------------------------------------------

let sim: TestSimulator;
let listening: Listening;
let agent: Agent;
let apiSpec: SpecConformance;
let controlSpec: SpecConformance;
const sent = { total: 0, byFamily: new Map<string, number>(), byStatus: new Map<number, number>() };
const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

function send(req: BadRequest): Promise<Answer> {
  const payload = req.body === undefined ? undefined : materialize(req.body);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
  if (payload !== undefined) headers['Content-Length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const r = request(
      { agent, host: '127.0.0.1', port: listening.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    r.setTimeout(15_000, () => r.destroy(new Error('no answer within 15 s')));
    r.on('error', reject);
    r.end(payload);
  });
}

/** What is wrong with the answer to a bad request; empty when it is a clean refusal. */
function problemsOf(req: BadRequest, res: Answer): string[] {
  const problems: string[] = [];
  if (res.status < 400 || res.status > 499) problems.push(`answered ${res.status}, not a 4xx`);
  if (req.expect !== undefined && res.status !== req.expect)
    problems.push(`answered ${res.status}, expected ${req.expect}`);
  if (req.method === 'HEAD') return problems; // no body to judge
  if (!String(res.headers['content-type']).startsWith('application/json')) {
    problems.push(`content type ${res.headers['content-type']}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return [...problems, `body is not JSON: ${res.text.slice(0, 80)}`];
  }
  const env = body as { code?: unknown; message?: unknown; data?: { type?: unknown } | null };
  if (typeof body !== 'object' || body === null || Object.keys(body).sort().join() !== 'code,data,message') {
    problems.push(`not the envelope {code, message, data}: ${res.text.slice(0, 120)}`);
  } else {
    if (env.code !== res.status) problems.push(`code ${String(env.code)} differs from status ${res.status}`);
    if (typeof env.message !== 'string' || env.message === '')
      problems.push('message is not a non-empty string');
    if (env.data !== null && (typeof env.data !== 'object' || typeof env.data?.type !== 'string'))
      problems.push('data is neither null nor {type, ...}');
  }
  if (res.status === 405 && !res.headers.allow) problems.push('405 without Allow');
  // Against the spec, where the operation is in it.
  const spec = req.path.startsWith('/api/') ? apiSpec : controlSpec;
  const found = spec.check(req.method, req.path, { status: res.status, headers: res.headers, body });
  const notAnOperation = found.length === 1 && found[0]!.endsWith('is not an operation of the spec');
  if (!notAnOperation) problems.push(...found.map((p) => `spec: ${p}`));
  return problems;
}

/** Sends a batch at once; throws (a property failure) with every bad answer of the batch. */
async function sendBatch(family: string, batch: readonly BadRequest[]): Promise<void> {
  const answers = await Promise.allSettled(batch.map(send));
  sent.total += batch.length;
  sent.byFamily.set(family, (sent.byFamily.get(family) ?? 0) + batch.length);
  const failures: string[] = [];
  answers.forEach((a, i) => {
    const req = batch[i]!;
    if (a.status === 'rejected') {
      failures.push(`${req.label} (${req.method} ${req.path.slice(0, 80)}): no answer: ${String(a.reason)}`);
      return;
    }
    sent.byStatus.set(a.value.status, (sent.byStatus.get(a.value.status) ?? 0) + 1);
    const problems = problemsOf(req, a.value);
    if (problems.length > 0) {
      failures.push(
        `${req.label} (${req.method} ${req.path.slice(0, 80)}): ${problems.join('; ')} :: ${a.value.text.slice(0, 160)}`,
      );
    }
  });
  // No bad request may leave a trace; if one did, the state is put back so the next runs (and the
  // shrinking) judge their own requests.
  const [balance, tasks] = [await sim.balance(), await sim.taskCount()];
  if (balance !== DEV_KEY_BALANCE || tasks !== 0) {
    failures.push(`state changed: balance ${balance} (was ${DEV_KEY_BALANCE}), ${tasks} task(s) created`);
    await sim.simulator.reset();
  }
  if (failures.length > 0) throw new Error(`${failures.length} bad answer(s):\n${failures.join('\n')}`);
}

/**
 * `size` requests sent together; a failing batch shrinks first to each of its requests alone, then
 * that request shrinks as usual, so a counterexample is one small request.
 */
class Batch<T> extends fc.Arbitrary<T[]> {
  constructor(
    private readonly inner: fc.Arbitrary<T>,
    private readonly size: number,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T[]> {
    const items = Array.from({ length: this.size }, () => this.inner.generate(mrng, biasFactor));
    return new fc.Value(
      items.map((v) => v.value),
      items,
    );
  }

  canShrinkWithoutContext(_value: unknown): _value is T[] {
    return false;
  }

  shrink(_value: T[], context: unknown): fc.Stream<fc.Value<T[]>> {
    const items = context as Array<fc.Value<T>>;
    const single = (v: fc.Value<T>) => new fc.Value([v.value], [v]);
    if (items.length > 1) return fc.Stream.of(...items.map(single));
    const [only] = items;
    return only ? this.inner.shrink(only.value_, only.context).map(single) : fc.Stream.nil();
  }
}

function fuzz(family: string, arb: fc.Arbitrary<BadRequest>, batches: number, batchSize: number) {
  return fc.assert(
    fc.asyncProperty(fc.limitShrink(new Batch(arb, batchSize), 200), (batch) => sendBatch(family, batch)),
    fcParams(batches, { verbose: 0 }),
  );
}

describe('fuzzing the edge with bad requests', () => {
  beforeAll(async () => {
    sim = await testSimulator();
    listening = await listenOnLoopback(sim.app);
    agent = new Agent({ keepAlive: true, maxSockets: 32 });
    [apiSpec, controlSpec] = await Promise.all([loadConformance(), loadControlConformance()]);
  });

  afterAll(async () => {
    agent?.destroy();
    await listening?.close();
    console.log(
      `fuzz: ${sent.total} bad requests (${[...sent.byFamily].map(([f, n]) => `${f} ${n}`).join(', ')}); ` +
        `statuses ${[...sent.byStatus]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}x${n}`)
          .join(', ')}; seed ${FC_SEED}`,
    );
  });

  it('generate bodies with wrong types, missing and extra fields, boundary strings, odd Unicode: 400', async () => {
    await fuzz('generate-body', badGenerateBody, 160, 25);
  }, 120_000);

  it('broken JSON, undecodable bytes and wrong content types: 400 or 415', async () => {
    await fuzz('transport', badTransport, 80, 25);
  }, 120_000);

  it('bodies over 64 KiB: 413', async () => {
    await fuzz('oversized', oversized, 20, 10);
  }, 120_000);

  it('bodies in a content encoding they are not in, or compressed broken JSON: a 4xx', async () => {
    await fuzz('content-encoding', badEncoding, 20, 25);
  }, 120_000);

  it('GET and POST /api/status with bad query strings and bodies: a 4xx the spec lists', async () => {
    await fuzz('status', badStatus, 80, 25);
  }, 120_000);

  it('GET /api/status with a request body: a 4xx the spec lists for GET', async () => {
    await fuzz('get-with-body', getStatusWithBody, 10, 20);
  }, 120_000);

  it('malformed, unknown or missing Authorization headers: 401', async () => {
    await fuzz('authorization', badAuth, 50, 25);
  }, 120_000);

  it('unknown routes and methods: 404 or 405 (or 401 first) in the envelope', async () => {
    await fuzz('routes', badRoute, 50, 25);
  }, 120_000);

  it('names an unsupported Content-Encoding in its 415, instead of refusing the JSON content type it accepts', async () => {
    for (const path of ['/api/generate', '/api/status?task_id=sd45_0123456789abcdef']) {
      const res = await send({
        label: 'unknown encoding',
        method: 'POST',
        path,
        headers: { ...jsonHeaders, 'Content-Encoding': 'x-unknown' },
        body: { text: JSON.stringify(SAMPLE_REQUEST) },
      });
      expect(res.status).toBe(415);
      const { message } = JSON.parse(res.text) as { message: string };
      // Today: "Unsupported Content-Type application/json: send application/json".
      expect(message, `415 message for Content-Encoding: x-unknown on ${path}`).not.toMatch(
        /Content-Type application\/json: send application\/json/,
      );
      expect(message).toMatch(/encoding/i);
    }
  });

  it('left no trace: no credit, no task, no polluted prototype; a valid request still succeeds', async () => {
    expect(sent.total, 'bad requests sent').toBeGreaterThanOrEqual(10_000);
    expect(await sim.balance()).toBe(DEV_KEY_BALANCE);
    expect(await sim.taskCount()).toBe(0);

    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysBefore);
    const probe = {} as Record<string, unknown>;
    for (const key of ['polluted', 'isAdmin', 'task_id', 'prompt', 'prototype']) {
      expect(probe[key], `Object.prototype.${key}`).toBeUndefined();
    }
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();

    const ok = await send({
      label: 'valid',
      method: 'POST',
      path: '/api/generate',
      headers: jsonHeaders,
      body: { text: JSON.stringify(SAMPLE_REQUEST) },
    });
    expect(ok.status).toBe(200);
    const taskId = (JSON.parse(ok.text) as { data: { task_id: string } }).data.task_id;
    const status = await send({
      label: 'valid',
      method: 'GET',
      path: `/api/status?task_id=${taskId}`,
      headers: { Authorization: VALID_AUTH },
    });
    expect(status.status).toBe(200);
    expect(await sim.balance()).toBe(DEV_KEY_BALANCE - 18);
  }, 30_000);
});
