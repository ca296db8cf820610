/**
 * The validators compiled from the spec, on their own: small documents mounted on a bare Express
 * app, so each rule is seen failing for one reason. The simulator's behaviour with the real
 * documents is covered by the HTTP, fuzz and conformance suites.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler } from 'express';
import fc from 'fast-check';
import type { OpenAPIV3 } from 'openapi-types';
import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_SPEC_PATH,
  CONTROL_SPEC_PATH,
  loadSpec,
  specOperations,
  type SpecOperation,
} from '../../mock-server/src/http/load-spec.js';
import { errorHandler } from '../../mock-server/src/http/middleware/error-handler.js';
import { jsonBody } from '../../mock-server/src/http/middleware/json-body.js';
import { allRequestSchemas } from '../../mock-server/src/http/validation/request-schemas.js';
import { requestValidator } from '../../mock-server/src/http/validation/request-validator.js';
import { responseValidator } from '../../mock-server/src/http/validation/response-validator.js';
import { responseAjv } from '../../mock-server/src/http/validation/spec-ajv.js';
import {
  requestValidatorSource,
  writePrebuiltRequestValidators,
  type Validate,
} from '../../mock-server/src/http/validation/validator-source.js';
import { projectRoot } from '../../mock-server/src/project-root.js';
import { SAMPLE_REQUEST } from '../support/harness.js';

const ERROR: OpenAPIV3.SchemaObject = {
  type: 'object',
  required: ['code'],
  properties: { code: { type: 'integer' } },
};

function operation(
  overrides: Partial<OpenAPIV3.OperationObject>,
  parameters: OpenAPIV3.ParameterObject[] = [],
) {
  return {
    operationId: 'thing',
    method: 'post',
    path: '/things/{id}',
    expressPath: '/things/:id',
    parameters,
    operation: {
      responses: {
        '200': {
          description: 'ok',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['ok'],
                properties: { ok: { type: 'boolean' } },
                additionalProperties: false,
              },
            },
          },
        },
        '4XX': { description: 'error', content: { 'application/json': { schema: ERROR } } },
        '500': { description: 'error', content: { 'application/json': { schema: ERROR } } },
      },
      ...overrides,
    },
  } satisfies SpecOperation;
}

const BODY: OpenAPIV3.RequestBodyObject = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 5 },
          size: { type: 'string', enum: ['s', 'm'] },
          count: { type: 'integer', default: 1 },
        },
      },
    },
  },
};

const ID: OpenAPIV3.ParameterObject = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^t[0-9]+$' },
};
const MODE: OpenAPIV3.ParameterObject = {
  name: 'mode',
  in: 'query',
  schema: { type: 'string', enum: ['a', 'b'] },
};

/** A request validator compiled now (not the build's), for a made-up operation. */
async function validatorOf(op: SpecOperation) {
  return requestValidator(op, await requestValidatorSource([op], { prebuilt: false }));
}

async function appFor(op: SpecOperation, handler: RequestHandler, validateResponses = false) {
  const app = express();
  app.set('query parser', 'simple');
  app.use(jsonBody('1kb'));
  app.post(
    op.expressPath,
    ...(validateResponses ? [responseValidator(op, responseAjv())] : []),
    await validatorOf(op),
    handler,
  );
  app.use(errorHandler(pino({ level: 'silent' }), '1kb'));
  return supertest(app);
}

const echo: RequestHandler = (req, res) => void res.json({ ok: true, body: req.body as unknown });

describe('the request validator', () => {
  const op = operation({ requestBody: BODY }, [ID, MODE]);
  let http: Awaited<ReturnType<typeof appFor>>;
  beforeAll(async () => {
    http = await appFor(op, echo);
  });

  it('passes a valid request and fills in the body defaults', async () => {
    const res = await http.post('/things/t1?mode=a').send({ name: 'ab' });
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ name: 'ab', count: 1 });
  });

  it('names every bad field at once: body, query and path, with the enum values', async () => {
    const res = await http.post('/things/x?mode=c').send({ name: 'toolong', size: 'xl', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual(
      expect.arrayContaining([
        { field: 'params.id', message: 'must match pattern "^t[0-9]+$"' },
        { field: 'query.mode', message: 'must be equal to one of the allowed values: a, b' },
        { field: 'body.name', message: 'must NOT have more than 5 characters' },
        { field: 'body.size', message: 'must be equal to one of the allowed values: s, m' },
        { field: 'body.extra', message: 'must NOT have additional properties' },
      ]),
    );
    expect(res.body.data.errors).toHaveLength(5);
  });

  it('names a missing required property by its own name', async () => {
    const res = await http.post('/things/t1').send({});
    expect(res.body.data.errors).toEqual([
      { field: 'body.name', message: "must have required property 'name'" },
    ]);
  });

  it('refuses an undeclared or empty query parameter before anything else', async () => {
    const unknown = await http.post('/things/t1?debug=1').send({});
    expect(unknown.status).toBe(400);
    expect(unknown.body.data.errors).toEqual([
      { field: 'query.debug', message: "Unknown query parameter 'debug'" },
    ]);
    const empty = await http.post('/things/t1?mode=').send({ name: 'a' });
    expect(empty.body.data.errors).toEqual([
      { field: 'query.mode', message: "Empty value found for query parameter 'mode'" },
    ]);
  });

  it('refuses a repeated query parameter (an array) as not a string', async () => {
    const res = await http.post('/things/t1?mode=a&mode=b').send({ name: 'a' });
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toContainEqual({ field: 'query.mode', message: 'must be string' });
  });

  it('answers 415 for a media type the operation does not take, and for a required body without one', async () => {
    const plus = await http
      .post('/things/t1')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"name":"a"}');
    expect(plus.status).toBe(415);
    const none = await http.post('/things/t1');
    expect(none.status).toBe(415);
    expect(none.body.message).toMatch(/\(none\)/);
  });

  it('lets an optional body be left out, but still checks one that is sent', async () => {
    const optional = await appFor(operation({ requestBody: { ...BODY, required: false } }, [ID]), echo);
    expect((await optional.post('/things/t1')).status).toBe(200);
    expect((await optional.post('/things/t1').send({ name: 'toolong' })).status).toBe(400);
  });

  it('caps the list of errors at 20', async () => {
    const many = operation({
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'array', items: { type: 'integer' } } } },
      },
    });
    const res = await (
      await appFor(many, echo)
    )
      .post('/things/t1')
      .send(Array.from({ length: 50 }, () => 'x'));
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toHaveLength(20);
  });

  it.each([
    ['a cookie parameter', { name: 'c', in: 'cookie', schema: { type: 'string' } }, /cookie parameter/],
    ['a non-string parameter', { name: 'n', in: 'query', schema: { type: 'integer' } }, /other than string/],
    [
      'a serialisation style',
      { name: 's', in: 'query', style: 'form', schema: { type: 'string' } },
      /serialisation style/,
    ],
  ] as const)(
    'refuses a document with %s when it compiles (start or build)',
    async (_what, parameter, message) => {
      await expect(validatorOf(operation({}, [parameter as OpenAPIV3.ParameterObject]))).rejects.toThrow(
        message,
      );
    },
  );
});

describe('the response validator', () => {
  const op = operation({}, [ID]);

  it('lets a response that matches the spec through unchanged', async () => {
    const res = await (await appFor(op, (_req, res) => void res.json({ ok: true }), true)).post('/things/t1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it('turns a body that breaks the spec into a 500 that names the field', async () => {
    const res = await (
      await appFor(op, (_req, res) => void res.json({ ok: 'yes' }), true)
    ).post('/things/t1');
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('Response thing 200 does not match the spec: ok must be boolean');
  });

  it('turns an undocumented status into a 500', async () => {
    const res = await (
      await appFor(op, (_req, res) => void res.status(302).json({}), true)
    ).post('/things/t1');
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/status 302 is not documented/);
  });

  it('checks error envelopes against the range (4XX) they fall in', async () => {
    const http = await appFor(op, (_req, res) => void res.status(409).json({ code: 'x' }), true);
    const res = await http.post('/things/t1');
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/409 does not match the spec: code must be integer/);
  });
});

describe('prebuilt request validators (npm run build)', () => {
  // Inside the project, so the generated code resolves `ajv` as dist/request-validators.cjs does.
  const path = join(projectRoot(), 'dist', `request-validators.test-${process.pid}.cjs`);
  let operations: SpecOperation[];
  beforeAll(async () => {
    const specs = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
    operations = specs.flatMap((spec) => specOperations(spec));
    await writePrebuiltRequestValidators(operations, path);
  });
  afterAll(() => rmSync(path, { force: true }));

  it('are used when built from the same schemas, and not when the schemas differ', async () => {
    expect((await requestValidatorSource(operations, { prebuiltPath: path })).origin).toBe('prebuilt');
    const changed = operations.map((op) =>
      op.operationId === 'getTaskStatus'
        ? { ...op, parameters: op.parameters.map((p) => ({ ...p, schema: { type: 'string' as const } })) }
        : op,
    );
    expect((await requestValidatorSource(changed, { prebuiltPath: path })).origin).toBe('runtime');
    expect((await requestValidatorSource(operations, { prebuiltPath: `${path}.missing` })).origin).toBe(
      'runtime',
    );
  });

  it('give the same verdicts, errors and defaults as validators compiled at start', async () => {
    const prebuilt = await requestValidatorSource(operations, { prebuiltPath: path });
    const runtime = await requestValidatorSource(operations, { prebuilt: false });
    const names = allRequestSchemas(operations).map((s) => s.name);
    const run = (validate: Validate, data: unknown) => {
      const copy = structuredClone(data);
      const valid = validate(copy);
      return { valid, errors: validate.errors ?? null, data: copy };
    };
    // Near-valid bodies (the documented sample with one field replaced) and arbitrary JSON.
    const value = fc.jsonValue({ maxDepth: 3 });
    const near = fc
      .record({
        field: fc.constantFrom('prompt', 'aspectRatio', 'quality', 'imageUrls', 'numImages', 'extra'),
        v: value,
      })
      .map(({ field, v }) => ({ ...SAMPLE_REQUEST, [field]: v }));
    const input = fc.record({
      name: fc.constantFrom(...names),
      data: fc.oneof(
        fc.record({ body: fc.oneof(near, value) }),
        fc.record({
          query: fc.dictionary(fc.constantFrom('task_id', 'limit', 'status', 'x'), fc.string()),
          params: fc.dictionary(fc.constantFrom('taskId', 'file', 'apiKey', 'ruleId'), fc.string()),
          headers: fc.constant({}),
        }),
      ),
    });
    let invalid = 0;
    fc.assert(
      fc.property(input, ({ name, data }) => {
        const expected = run(runtime.get(name), data);
        expect(run(prebuilt.get(name), data)).toEqual(expected);
        if (!expected.valid) invalid++;
      }),
      { numRuns: 2_000, seed: 20251125 },
    );
    expect(invalid).toBeGreaterThan(100); // the comparison covered failures, not only passes
  });
});
