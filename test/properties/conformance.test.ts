/**
 * Schemathesis-style conformance (issue 6), over every operation of openapi.yaml and of
 * mock-server/control-api.yaml: requests are generated from the operations' own schemas
 * (parameters and request bodies, derived below into fast-check arbitraries, boundaries included)
 * and from the documented examples, sent to the simulator, and every response is checked with
 * `check()` (status listed, content type listed, required headers present, body valid against the
 * schema with additionalProperties: false). Like Schemathesis's default checks, a request valid by
 * the spec must also not be refused as invalid (400) nor fail (5xx).
 *
 * Ids are drawn from the schema and from resources that exist (tasks in each state, keys), so both
 * the 404 and the 200 sides of each operation are reached. Every operation must be exercised.
 *
 * Seeded: FC_SEED=<seed> replays a run (see ./support.ts); fast-check prints seed and path on failure.
 */
import fc from 'fast-check';
import type { OpenAPIV3 } from 'openapi-types';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import {
  API_SPEC_PATH,
  CONTROL_SPEC_PATH,
  loadSpec,
  specOperations,
} from '../../mock-server/src/http/load-spec.js';
import { loadConformance, loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import { FC_SEED, fcParams, listenOnLoopback, type Listening } from './support.js';

type Schema = OpenAPIV3.SchemaObject;
type Operation = OpenAPIV3.OperationObject;

const RUNS = 30;
const OTHER_KEY = 'sk-conformance-other-key';

// ---------------------------------------------------------------------------------------------
// Arbitraries derived from JSON Schemas (the subset the two documents use)
// ---------------------------------------------------------------------------------------------

/** Length as JSON Schema (and Ajv) counts it: in code points. */
const codePoints = (s: string) => [...s].length;

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 200;
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u');
  const fits = (s: string) => codePoints(s) >= min && codePoints(s) <= max && (!pattern || pattern.test(s));
  let arb: fc.Arbitrary<string>;
  if (schema.format === 'uri') {
    arb = fc.webUrl({ validSchemes: ['http', 'https'] });
  } else if (pattern && schema.pattern !== '\\S') {
    arb = fc.stringMatching(pattern);
  } else {
    // Free text (or \S): any graphemes, and boundary lengths (exactly min and max), odd ones included.
    const unit = fc.constantFrom('a', 'Z', ' ', 'é', '😀', 'ש', '\u202e', '\u0000', '\t');
    arb = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 60) }) },
      { weight: 1, arbitrary: fc.string({ unit, minLength: max, maxLength: max }) },
      { weight: 1, arbitrary: fc.string({ unit, minLength: Math.max(min, 1), maxLength: Math.max(min, 1) }) },
    );
    if (pattern)
      arb = fc.tuple(arb, fc.constantFrom('x', '😀', '1')).map(([s, c]) => (pattern.test(s) ? s : s + c));
  }
  return arb.filter(fits);
}

function integerOf(schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? 1_000_000;
  return fc.bigInt({ min: BigInt(Math.ceil(min)), max: BigInt(Math.floor(max)) }).map(Number);
}

export function arbitraryOf(schema: Schema): fc.Arbitrary<unknown> {
  const inner = nonNullable(schema);
  return schema.nullable ? fc.option(inner, { nil: null }) : inner;
}

function nonNullable(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  switch (schema.type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return integerOf(schema);
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = arbitraryOf(schema.items as Schema);
      const min = schema.minItems ?? 0;
      const max = schema.maxItems ?? 5;
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(items, { minLength: min, maxLength: Math.min(max, min + 3) }) },
        {
          weight: 1,
          arbitrary: fc.array(items, { minLength: Math.min(max, 20), maxLength: Math.min(max, 20) }),
        },
      );
    }
    case 'object':
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, arbitraryOf(s)])),
        { requiredKeys: (schema.required ?? []) as never[] },
      ) as fc.Arbitrary<Record<string, unknown>>;
      const minProperties = schema.minProperties ?? 0;
      return record.filter((o) => Object.keys(o).length >= minProperties);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The operations, and sending a request to one
// ---------------------------------------------------------------------------------------------

interface Op {
  spec: 'api' | 'control';
  operationId: string;
  method: string;
  path: string;
  operation: Operation;
  parameters: OpenAPIV3.ParameterObject[];
  body: Schema | undefined;
}

interface Call {
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

let apiOps: Op[];
let controlOps: Op[];
let apiCheck: SpecConformance;
let controlCheck: SpecConformance;
/** Statuses seen per operation, each response having conformed. */
const covered = new Map<string, Map<number, number>>();

async function operationsOf(spec: 'api' | 'control', path: string): Promise<Op[]> {
  const doc = await loadSpec(path);
  return specOperations(doc).map((op) => {
    const item = doc.paths[op.path] as OpenAPIV3.PathItemObject;
    const parameters = [
      ...(item.parameters ?? []),
      ...(op.operation.parameters ?? []),
    ] as OpenAPIV3.ParameterObject[];
    const requestBody = op.operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
    return {
      spec,
      operationId: op.operationId,
      method: op.method.toUpperCase(),
      path: op.path,
      operation: op.operation,
      parameters,
      body: requestBody?.content['application/json']?.schema as Schema | undefined,
    };
  });
}

function opById(id: string): Op {
  const op = [...apiOps, ...controlOps].find((o) => o.operationId === id);
  if (!op) throw new Error(`no operation ${id}`);
  return op;
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters: the parameters do not set
 * `allowReserved`, so a client must encode `!'()*` too (which encodeURIComponent leaves alone).
 * A path segment is never a bare `.` or `..` either (a client would resolve it).
 */
const strictEncode = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const segment = (v: string) => (v === '.' || v === '..' ? v.replace(/\./g, '%2E') : strictEncode(v));

/** Arbitraries of the operation's parameters (by name) and body, straight from the spec. */
function requestArbs(op: Op) {
  const params = Object.fromEntries(
    op.parameters.map((p) => {
      let arb = arbitraryOf(p.schema as Schema);
      // `allowEmptyValue` defaults to false: a query parameter, when sent, has a value.
      if (p.in === 'query' && !p.allowEmptyValue) arb = arb.filter((v) => v !== '');
      return [`${p.in}:${p.name}`, { required: p.required ?? false, arb }];
    }),
  );
  return { params, body: op.body ? (arbitraryOf(op.body) as fc.Arbitrary<unknown>) : undefined };
}

class Client {
  constructor(
    readonly sim: TestSimulator,
    readonly http: ReturnType<typeof supertest>,
    /** The listening server's origin, for requests supertest cannot make (a stream that never ends). */
    readonly origin: string,
  ) {}

  async call(op: Op, call: Call = {}): Promise<supertest.Response> {
    let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = call.path?.[name];
      if (value === undefined) throw new Error(`${op.operationId}: no value for {${name}}`);
      return segment(value);
    });
    const query = Object.entries(call.query ?? {});
    if (query.length > 0)
      url += `?${query.map(([k, v]) => `${strictEncode(k)}=${strictEncode(v)}`).join('&')}`;
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    let req = this.http[method](url);
    if (op.spec === 'api') req = req.set('Authorization', `Bearer ${DEV_KEY}`);
    if (call.headers) req = req.set(call.headers);
    const res = await (call.body === undefined ? req : req.send(call.body as object));
    this.judge(op, res, call);
    return res;
  }

  /** A GET whose answer is a stream: its status and headers are judged, then the client leaves. */
  async stream(op: Op, call: Call = {}): Promise<{ status: number }> {
    const path = op.path;
    const query = Object.entries(call.query ?? {});
    const url = `${path}${query.length > 0 ? `?${query.map(([k, v]) => `${strictEncode(k)}=${strictEncode(v)}`).join('&')}` : ''}`;
    const ctrl = new AbortController();
    const res = await fetch(`${this.origin}${url}`, { headers: call.headers ?? {}, signal: ctrl.signal });
    const text = res.ok ? '' : await res.text();
    ctrl.abort();
    const observed = {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: text ? JSON.parse(text) : '',
      text,
      req: { path: url },
    };
    this.judge(op, observed as unknown as supertest.Response, call);
    return { status: res.status };
  }

  /** The response conforms; a request valid by the spec is neither refused as invalid nor failed. */
  judge(op: Op, res: supertest.Response, call: Call): void {
    const where = `${op.operationId} (${op.method} ${(res as unknown as { req: { path: string } }).req.path.slice(0, 120)}) -> ${res.status}`;
    const check = op.spec === 'api' ? apiCheck : controlCheck;
    const reqPath = (res as unknown as { req: { path: string } }).req.path;
    expect(check.check(op.method, reqPath, res), `${where}: ${res.text?.slice(0, 300)}`).toEqual([]);
    expect(
      res.status === 400 || res.status >= 500,
      `${where}: a request valid by the spec was refused: ${res.text?.slice(0, 300)}\nrequest: ${JSON.stringify(call).slice(0, 600)}`,
    ).toBe(false);
    const statuses = covered.get(op.operationId) ?? new Map<number, number>();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    covered.set(op.operationId, statuses);
  }
}

/** Each optional parameter present or not; required ones always; values from `overrides` or the schema. */
function paramsArb(op: Op, overrides: Record<string, fc.Arbitrary<string>> = {}) {
  const { params } = requestArbs(op);
  const entries = Object.entries(params).map(([key, { required, arb }]) => {
    const value = (overrides[key] ?? arb) as fc.Arbitrary<string>;
    return [key, required ? value : fc.option(value, { nil: undefined })] as const;
  });
  return fc.record(Object.fromEntries(entries)).map((values) => {
    const call: Call = { path: {}, query: {} };
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const [where, name] = key.split(':') as [string, string];
      if (where === 'path') call.path![name] = String(value);
      else if (where === 'query') call.query![name] = String(value);
    }
    return call;
  });
}

function bodyArb(op: Op): fc.Arbitrary<unknown> {
  const arb = requestArbs(op).body;
  if (!arb) throw new Error(`${op.operationId} has no JSON body`);
  return arb;
}

const run = <Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncPropertyWithHooks<Ts>, runs = RUNS) =>
  fc.assert(property, fcParams<Ts>(runs));

// ---------------------------------------------------------------------------------------------
// Resources that exist, so the 200 sides are reached
// ---------------------------------------------------------------------------------------------

interface Pool {
  succeeded: string[];
  failed: string[];
  inProgress: string[];
  othersTask: string;
  keys: string[];
}

async function newTask(client: Client, headers: Record<string, string>, body: object = {}): Promise<string> {
  const res = await client.call(opById('createGenerationTask'), {
    body: { prompt: 'A lighthouse in a storm, oil painting', aspectRatio: '1:1', quality: 'basic', ...body },
    headers,
  });
  expect(res.status).toBe(200);
  return res.body.data.task_id as string;
}

async function makePool(client: Client): Promise<Pool> {
  const done = { 'X-Mock-Outcome': 'success', 'X-Mock-Duration-Ms': '0' };
  const succeeded = [
    await newTask(client, done),
    await newTask(client, done, { numImages: 4 }),
    await newTask(client, done, { imageUrls: ['https://example.com/ref.jpg'], aspectRatio: '9:16' }),
  ];
  const failed = [await newTask(client, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '0' })];
  const inProgress = [await newTask(client, { 'X-Mock-Duration-Ms': '86400000' })];
  const other = await client.http
    .post('/api/generate')
    .set('Authorization', `Bearer ${OTHER_KEY}`)
    .send({ prompt: 'not yours', aspectRatio: '1:1', quality: 'basic' });
  expect(other.status).toBe(200);
  return { succeeded, failed, inProgress, othersTask: other.body.data.task_id, keys: [DEV_KEY, OTHER_KEY] };
}

async function newClient(extra: string[] = []): Promise<{ client: Client; listening: Listening }> {
  const sim = await testSimulator([`--key=${DEV_KEY}=100000000`, `--key=${OTHER_KEY}=1000`, ...extra]);
  const listening = await listenOnLoopback(sim.app);
  return { client: new Client(sim, supertest(listening.server), listening.origin), listening };
}

// ---------------------------------------------------------------------------------------------

describe('every operation conforms to its spec', () => {
  let main: { client: Client; listening: Listening };
  let pool: Pool;
  const closers: Listening[] = [];

  beforeAll(async () => {
    [apiOps, controlOps, apiCheck, controlCheck] = await Promise.all([
      operationsOf('api', API_SPEC_PATH),
      operationsOf('control', CONTROL_SPEC_PATH),
      loadConformance(),
      loadControlConformance(),
    ]);
    main = await newClient();
    closers.push(main.listening);
    pool = await makePool(main.client);
  });

  afterAll(async () => {
    await Promise.all(closers.map((l) => l.close()));
    const summary = [...covered]
      .map(([id, statuses]) => `${id} ${[...statuses].map(([s, n]) => `${s}x${n}`).join('/')}`)
      .join(', ');
    console.log(`conformance (seed ${FC_SEED}): ${summary}`);
  });

  const taskIds = () =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...pool.succeeded, ...pool.failed, ...pool.inProgress) },
      { weight: 1, arbitrary: fc.constant(pool.othersTask) },
      { weight: 1, arbitrary: stringOf({ type: 'string', pattern: '^sd45_[0-9a-f]{16}$' }) },
    );

  describe('openapi.yaml', () => {
    it('createGenerationTask: bodies generated from GenerateRequest are accepted (200) and answered per spec', async () => {
      const op = opById('createGenerationTask');
      await run(
        fc.asyncProperty(bodyArb(op), async (body) => {
          const res = await main.client.call(op, { body });
          expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
        }),
        60,
      );
    });

    it('getTaskStatus: any task_id of the TaskId pattern, known or not', async () => {
      const op = opById('getTaskStatus');
      await run(
        fc.asyncProperty(paramsArb(op, { 'query:task_id': taskIds() }), async (call) => {
          await main.client.call(op, call);
        }),
      );
    });

    it('postTaskStatus: task_id by query, by body, or both (equal)', async () => {
      const op = opById('postTaskStatus');
      await run(
        fc.asyncProperty(taskIds(), fc.constantFrom('query', 'body', 'both'), async (id, how) => {
          await main.client.call(op, {
            ...(how !== 'body' ? { query: { task_id: id } } : {}),
            ...(how !== 'query' ? { body: { task_id: id } } : {}),
          });
        }),
      );
    });
  });

  describe('control-api.yaml', () => {
    const keys = () =>
      fc.oneof(
        fc.constantFrom(DEV_KEY, OTHER_KEY),
        stringOf({ type: 'string', minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' }),
      );

    it('getHealth, getClock, listFaultRules: no parameters', async () => {
      for (const id of ['getHealth', 'getClock', 'listFaultRules']) {
        const res = await main.client.call(opById(id));
        expect(res.status).toBe(200);
      }
    });

    it('getAccount: known and unknown keys', async () => {
      const op = opById('getAccount');
      await run(
        fc.asyncProperty(
          paramsArb(op, { 'path:apiKey': keys() }),
          async (call) => void (await main.client.call(op, call)),
        ),
      );
    });

    it('putAccount: any key of the pattern, any balance of AccountUpdate', async () => {
      const op = opById('putAccount');
      const notDev = stringOf({
        type: 'string',
        minLength: 1,
        maxLength: 512,
        pattern: '^[\\x21-\\x7e]+$',
      }).filter((k) => k !== DEV_KEY && k !== OTHER_KEY);
      await run(
        fc.asyncProperty(paramsArb(op, { 'path:apiKey': notDev }), bodyArb(op), async (call, body) => {
          const res = await main.client.call(op, { ...call, body });
          expect(res.status).toBe(200);
          expect(res.body.data.balance).toBe((body as { balance: number }).balance);
        }),
      );
    });

    it('listTasks: every combination of apiKey, status and limit', async () => {
      const op = opById('listTasks');
      await run(
        fc.asyncProperty(paramsArb(op, { 'query:apiKey': keys() }), async (call) => {
          const res = await main.client.call(op, call);
          expect(res.status).toBe(200);
        }),
      );
    });

    it('getTask: known and unknown task ids', async () => {
      const op = opById('getTask');
      await run(
        fc.asyncProperty(
          paramsArb(op, { 'path:taskId': taskIds() }),
          async (call) => void (await main.client.call(op, call)),
        ),
      );
    });

    it('succeedTask and failTask: in progress (200), ended (409), unknown (404), with FailTask bodies', async () => {
      const fail = opById('failTask');
      const succeed = opById('succeedTask');
      await run(
        fc.asyncProperty(
          fc.constantFrom('fresh', 'ended', 'random'),
          fc.boolean(),
          fc.option(bodyArb(fail), { nil: undefined }),
          stringOf({ type: 'string', pattern: '^sd45_[0-9a-f]{16}$' }),
          async (which, failing, body, randomId) => {
            const taskId =
              which === 'fresh'
                ? await newTask(main.client, { 'X-Mock-Duration-Ms': '86400000' })
                : which === 'ended'
                  ? pool.succeeded[0]!
                  : randomId;
            const res = await main.client.call(failing ? fail : succeed, {
              path: { taskId },
              ...(failing && body !== undefined ? { body } : {}),
            });
            if (which === 'fresh') {
              expect(res.status).toBe(200);
              if (failing && body && (body as { error_message?: string }).error_message !== undefined) {
                expect(res.body.data.record.error_message).toBe(
                  (body as { error_message: string }).error_message,
                );
              }
            }
            if (which === 'ended') expect(res.status).toBe(409);
          },
        ),
      );
    });

    it('getJournal: every combination of its filters', async () => {
      const op = opById('getJournal');
      await run(
        fc.asyncProperty(paramsArb(op, { 'query:apiKey': keys() }), async (call) => {
          const res = await main.client.call(op, call);
          expect(res.status).toBe(200);
        }),
      );
    });

    it('listAccounts: pages and ledger sizes', async () => {
      const op = opById('listAccounts');
      await run(
        fc.asyncProperty(paramsArb(op), async (call) => {
          const res = await main.client.call(op, call);
          expect(res.status).toBe(200);
          expect(res.body.data.total).toBeGreaterThanOrEqual(2);
        }),
      );
    });

    it('streamJournal: every combination of its filters, answered with an event stream', async () => {
      const op = opById('streamJournal');
      await run(
        fc.asyncProperty(paramsArb(op, { 'query:apiKey': keys() }), async (call) => {
          const res = await main.client.stream(op, call);
          expect(res.status).toBe(200);
        }),
        20,
      );
    });

    it('getMetrics, getConsole, getDocs: no parameters', async () => {
      for (const id of ['getMetrics', 'getConsole', 'getDocs']) {
        const res = await main.client.call(opById(id));
        expect(res.status, id).toBe(200);
      }
    });

    it('getConsoleAsset, getDocsAsset, getDocsDocument: every file, and a console file that is none', async () => {
      for (const asset of [
        'console.js',
        'console.css',
        'console.js.map',
        'console.css.map',
        'nothing-here.js',
      ])
        await main.client.call(opById('getConsoleAsset'), { path: { asset } });
      // (Names outside the enum are a 400 of the request validator, which `judge` counts as a refusal.)
      const docsAssets = (opById('getDocsAsset').parameters[0]!.schema as { enum: string[] }).enum;
      for (const asset of docsAssets) await main.client.call(opById('getDocsAsset'), { path: { asset } });
      for (const document of ['openapi.json', 'control-api.json'])
        await main.client.call(opById('getDocsDocument'), { path: { document } });
    });

    it('getTaskImage: images of succeeded tasks (JPEG), and ids or files that have none', async () => {
      const op = opById('getTaskImage');
      await run(
        fc.asyncProperty(
          paramsArb(op, {
            'path:taskId': fc.oneof(
              fc.constantFrom(...pool.succeeded, ...pool.failed, ...pool.inProgress),
              taskIds(),
            ),
            'path:file': fc.oneof(
              fc.constantFrom('0.jpg', '1.jpg', '3.jpg'),
              stringOf({ type: 'string', pattern: '^[0-9]\\.jpg$' }),
            ),
          }),
          async (call) => void (await main.client.call(op, call)),
        ),
        20,
      );
    });
  });

  describe('control-api.yaml, operations that change the edge or the clock (each on its own simulator)', () => {
    /**
     * FaultAction.status is typed 400..599, but documented as "an error status the spec lists for the
     * matched route", and the simulator refuses others (400): a generated status is therefore one that
     * every public operation the rule's match reaches lists, and a match with a status reaches one.
     */
    function withDocumentedStatus(input: unknown, pick: number): unknown {
      const rule = structuredClone(input) as {
        match?: { method?: string; path?: string };
        action: { status?: number; message?: string; fault?: string; task?: unknown; delayMs?: number };
      };
      // Also documented beside the schema: a message goes with a status, and an action must do
      // something (a status, a fault, a task or a delay above 0); the simulator refuses others (400).
      // And every part must be able to act (issue 19): status, fault and task exclude one another,
      // retryAfterSeconds goes with 429 or 503 (set below, once the status is known), and a task
      // needs a match that reaches POST /api/generate.
      const action = rule.action as typeof rule.action & { retryAfterSeconds?: number };
      if (action.status !== undefined) {
        delete action.fault;
        delete action.task;
      } else if (action.fault !== undefined) delete action.task;
      if (action.task !== undefined) {
        rule.match = { ...rule.match, method: 'POST', path: '/api/generate' };
      }
      // A match must reach a route (GET /api/generate is none).
      const reaches = (m: { method?: string; path?: string }) =>
        apiOps.filter((op) => (!m.method || op.method === m.method) && (!m.path || op.path === m.path));
      if (rule.match && reaches(rule.match).length === 0) delete rule.match.method;
      if (rule.action.status === undefined) delete rule.action.message;
      const { status, fault, task, delayMs } = rule.action;
      if (status === undefined && fault === undefined && task === undefined && !delayMs)
        rule.action.delayMs = 1;
      if (rule.action.status === undefined) {
        delete action.retryAfterSeconds;
        return rule;
      }
      const errorStatuses = (op: Op) =>
        Object.keys(op.operation.responses)
          .map(Number)
          .filter((n) => n >= 400);
      const [first, ...rest] = reaches(rule.match ?? {});
      const allowed = errorStatuses(first!).filter((n) => rest.every((op) => errorStatuses(op).includes(n)));
      rule.action.status = allowed[pick % allowed.length]!;
      if (rule.action.status !== 429 && rule.action.status !== 503) delete action.retryAfterSeconds;
      return rule;
    }

    it('createFaultRule, listFaultRules, deleteFaultRule, clearFaultRules: any FaultRuleInput', async () => {
      const own = await newClient();
      closers.push(own.listening);
      const [create, list, remove, clear] = [
        'createFaultRule',
        'listFaultRules',
        'deleteFaultRule',
        'clearFaultRules',
      ].map(opById) as [Op, Op, Op, Op];
      await run(
        fc.asyncProperty(
          fc.tuple(bodyArb(create), fc.nat()).map(([rule, pick]) => withDocumentedStatus(rule, pick)),
          paramsArb(remove),
          fc.boolean(),
          async (rule, randomRule, removeOne) => {
            const created = await own.client.call(create, { body: rule });
            expect(created.status).toBe(201);
            expect((await own.client.call(list)).status).toBe(200);
            if (removeOne) {
              const removed = await own.client.call(remove, { path: { ruleId: created.body.data.id } });
              expect(removed.status).toBe(200);
            }
            await own.client.call(remove, randomRule); // 404 unless it names a rule
            // Never let a rule act: the rules are the object under test, not the public API.
            expect((await own.client.call(clear)).status).toBe(200);
          },
        ),
      );
    });

    it('loadScenario, getDrift, clearDrift: any Scenario of documented rules; the summary of a simulator answering itself', async () => {
      const own = await newClient();
      closers.push(own.listening);
      const [load, clearRules, getDrift, clearDrift] = [
        'loadScenario',
        'clearFaultRules',
        'getDrift',
        'clearDrift',
      ].map(opById) as [Op, Op, Op, Op];
      await run(
        fc.asyncProperty(
          fc.tuple(bodyArb(load), fc.nat()).map(([scenario, pick]) => {
            const s = scenario as { rules: unknown[] };
            return { ...s, rules: s.rules.map((rule) => withDocumentedStatus(rule, pick)) };
          }),
          async (scenario) => {
            const res = await own.client.call(load, { body: scenario });
            expect(res.status).toBe(201);
            expect(res.body.data.rules).toHaveLength(scenario.rules.length);
            expect((await own.client.call(clearRules)).status).toBe(200);
          },
        ),
        20,
      );
      const drift = await own.client.call(getDrift);
      expect([drift.status, drift.body.data.mode, drift.body.data.exchanges]).toEqual([200, 'off', 0]);
      expect((await own.client.call(clearDrift)).status).toBe(200);
    });

    it('advanceClock and resetSimulator: any ClockAdvance, and back', async () => {
      const own = await newClient();
      closers.push(own.listening);
      const ownPool = await makePool(own.client);
      const [advance, reset, clock] = ['advanceClock', 'resetSimulator', 'getClock'].map(opById) as [
        Op,
        Op,
        Op,
      ];
      await run(
        fc.asyncProperty(bodyArb(advance), fc.boolean(), async (body, thenReset) => {
          const before = (await own.client.call(clock)).body.data.now as number;
          const res = await own.client.call(advance, { body });
          expect(res.status).toBe(200);
          expect(res.body.data.now).toBe(before + (body as { ms: number }).ms);
          // Tasks settle during the jump; their records still conform.
          await own.client.call(opById('getTask'), { path: { taskId: ownPool.inProgress[0]! } });
          if (thenReset) expect((await own.client.call(reset)).status).toBe(200);
        }),
        20,
      );
    });
  });

  describe('the invariants', () => {
    it('hold after every kind of activity, and the answer conforms', async () => {
      const res = await main.client.call(opById('getInvariants'));
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ ok: true, problems: [] });
      expect(res.body.data.checked.tasks).toBeGreaterThan(0);
    });
  });

  describe('the verdict', () => {
    it('getReport: any format, after every kind of activity, each answer per spec', async () => {
      const op = opById('getReport');
      await run(
        fc.asyncProperty(paramsArb(op), async (call) => {
          expect((await main.client.call(op, call)).status).toBe(200);
        }),
        10,
      );
    });
  });

  describe('tenants and the journal wait', () => {
    it('creates tenants from any valid input, reads, lists and drops them, each answer per spec', async () => {
      const own = await newClient(['--max-tenants=1000']);
      closers.push(own.listening);
      const c = own.client;
      await run(
        fc.asyncProperty(bodyArb(opById('createTenant')), async (body) => {
          const created = await c.call(opById('createTenant'), { body });
          expect(created.status).toBe(201);
          const id = created.body.data.tenant.id as string;
          const token = created.body.data.token as string;
          expect((await c.call(opById('getTenant'), { path: { tenantId: id } })).status).toBe(200);
          const mine = await c.call(opById('listTenants'), { headers: { 'X-Mock-Token': token } });
          expect(mine.body.data.tenants.map((t: { id: string }) => t.id)).toEqual([id]);
          // Another tenant's credential is refused (403); the operator drops it.
          const peer = (await c.call(opById('createTenant'), { body: {} })).body.data.token as string;
          expect(
            (await c.call(opById('getTenant'), { path: { tenantId: id }, headers: { 'X-Mock-Token': peer } }))
              .status,
          ).toBe(403);
          expect((await c.call(opById('deleteTenant'), { path: { tenantId: id } })).status).toBe(200);
          expect((await c.call(opById('getTenant'), { path: { tenantId: id } })).status).toBe(404);
        }),
        15,
      );
      expect((await c.call(opById('deleteTenant'), { path: { tenantId: 'default' } })).status).toBe(409);
    });

    it('waits for journal entries with any valid filter, answering per spec', async () => {
      const c = main.client;
      await newTask(c, {});
      await run(
        fc.asyncProperty(
          paramsArb(opById('waitForJournal')).chain((call) =>
            // Always bounded: a filter that matches nothing waits the whole time-out.
            fc
              .constantFrom('0', '1', '20')
              .map((timeoutMs) => ({ ...call, query: { ...call.query, timeoutMs } })),
          ),
          async (call) => {
            const res = await c.call(opById('waitForJournal'), call);
            expect(res.status).toBe(200);
          },
        ),
        30,
      );
      const found = await c.call(opById('waitForJournal'), {
        query: { path: '/api/generate', timeoutMs: '0' },
      });
      expect(found.body.data).toMatchObject({ timed_out: false });
      const none = await c.call(opById('waitForJournal'), { query: { path: '/nowhere', timeoutMs: '10' } });
      expect(none.body.data).toEqual({ timed_out: true, entries: [] });
    });
  });

  describe('the documented examples', () => {
    /** Every request example of an operation: `example` and each of `examples`. */
    function requestExamples(op: Op): Array<[string, unknown]> {
      const media = (op.operation.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content[
        'application/json'
      ];
      if (!media) return [];
      const out: Array<[string, unknown]> = [];
      if (media.example !== undefined) out.push(['example', media.example]);
      for (const [name, ex] of Object.entries(media.examples ?? {}))
        out.push([name, (ex as OpenAPIV3.ExampleObject).value]);
      return out;
    }

    it('every request example is accepted and answered per spec', async () => {
      const own = await newClient();
      closers.push(own.listening);
      const ownPool = await makePool(own.client);
      let sent = 0;
      for (const op of [...apiOps, ...controlOps]) {
        for (const [name, example] of requestExamples(op)) {
          const path: Record<string, string> = {};
          if (op.path.includes('{taskId}'))
            path.taskId =
              op.operationId === 'failTask'
                ? await newTask(own.client, { 'X-Mock-Duration-Ms': '86400000' })
                : ownPool.succeeded[0]!;
          if (op.path.includes('{apiKey}')) path.apiKey = 'sk-conformance-example';
          const res = await own.client.call(op, { path, body: example });
          sent++;
          expect(res.status, `${op.operationId} example ${name}`).toBeLessThan(
            op.operationId === 'postTaskStatus' ? 500 : 300,
          );
          if (op.operationId === 'createFaultRule') await own.client.call(opById('clearFaultRules'));
        }
      }
      expect(sent).toBeGreaterThanOrEqual(9);
    });

    it('every response example conforms to its response (schema, content type, required headers)', async () => {
      let checked = 0;
      for (const op of [...apiOps, ...controlOps]) {
        const check = op.spec === 'api' ? apiCheck : controlCheck;
        for (const [status, response] of Object.entries(op.operation.responses)) {
          const r = response as OpenAPIV3.ResponseObject;
          for (const [type, media] of Object.entries(r.content ?? {})) {
            const examples = [
              ...(media.example !== undefined ? [['example', media.example] as const] : []),
              ...Object.entries(media.examples ?? {}).map(
                ([n, e]) => [n, (e as OpenAPIV3.ExampleObject).value] as const,
              ),
            ];
            for (const [name, body] of examples) {
              // The headers the response promises, with example values of their schemas.
              const headers: Record<string, string> = { 'content-type': type };
              for (const h of Object.keys(r.headers ?? {})) headers[h.toLowerCase()] = '1';
              const path = op.path.replace(/\{[^}]+\}/g, 'x');
              expect(
                check.check(op.method, path, { status: Number(status), headers, body }),
                `${op.operationId} ${status} ${name}`,
              ).toEqual([]);
              checked++;
            }
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(10);
    });
  });

  it('reaches both the success and the refusal of each operation that has both (fixed requests)', async () => {
    const c = main.client;
    const expectStatus = async (id: string, call: Call, status: number) =>
      expect((await c.call(opById(id), call)).status, `${id} ${JSON.stringify(call)}`).toBe(status);
    const unknownTask = 'sd45_0000000000000000';
    await expectStatus('getTaskStatus', { query: { task_id: pool.succeeded[0]! } }, 200);
    await expectStatus('getTaskStatus', { query: { task_id: unknownTask } }, 404);
    await expectStatus('getTaskStatus', { query: { task_id: pool.othersTask } }, 404);
    await expectStatus('postTaskStatus', { body: { task_id: pool.failed[0]! } }, 200);
    await expectStatus('postTaskStatus', { query: { task_id: unknownTask } }, 404);
    await expectStatus('getAccount', { path: { apiKey: DEV_KEY } }, 200);
    await expectStatus('getAccount', { path: { apiKey: 'sk-nobody-has-this-key' } }, 404);
    await expectStatus('getTask', { path: { taskId: pool.inProgress[0]! } }, 200);
    await expectStatus('getTask', { path: { taskId: unknownTask } }, 404);
    for (const id of ['succeedTask', 'failTask']) {
      await expectStatus(
        id,
        { path: { taskId: await newTask(c, { 'X-Mock-Duration-Ms': '86400000' }) } },
        200,
      );
      await expectStatus(id, { path: { taskId: pool.succeeded[0]! } }, 409);
      await expectStatus(id, { path: { taskId: unknownTask } }, 404);
    }
    const image = await c.call(opById('getTaskImage'), {
      path: { taskId: pool.succeeded[1]!, file: '3.jpg' },
    });
    expect([image.status, image.headers['content-type']]).toEqual([200, 'image/jpeg']);
    await expectStatus('getTaskImage', { path: { taskId: pool.succeeded[0]!, file: '1.jpg' } }, 404);
    await expectStatus('getTaskImage', { path: { taskId: pool.failed[0]!, file: '0.jpg' } }, 404);
    const rule = await c.call(opById('createFaultRule'), {
      // Matches a key nobody uses: it never acts on this simulator's other requests.
      body: {
        match: { method: 'GET', path: '/api/status', apiKey: 'sk-nobody-uses-this' },
        action: { status: 500 },
      },
    });
    await expectStatus('deleteFaultRule', { path: { ruleId: rule.body.data.id } }, 200);
    await expectStatus('deleteFaultRule', { path: { ruleId: 'rule_999999' } }, 404);
  });

  it('exercised every operation of both documents, each response conforming', () => {
    const all = [...apiOps, ...controlOps].map((o) => o.operationId).sort();
    expect(all.length).toBe(37);
    expect([...covered.keys()].sort()).toEqual(all);
    // And reached success and refusal where the operation has both.
    for (const id of [
      'getTaskStatus',
      'postTaskStatus',
      'getAccount',
      'getTask',
      'succeedTask',
      'failTask',
      'getTaskImage',
      'deleteFaultRule',
    ]) {
      const statuses = [...covered.get(id)!.keys()];
      expect(
        statuses.some((s) => s < 300),
        `${id} reached a 2xx`,
      ).toBe(true);
      expect(
        statuses.some((s) => s >= 400),
        `${id} reached a 4xx`,
      ).toBe(true);
    }
  });
});
