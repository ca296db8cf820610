/**
 * Security checks (issue 6):
 * - the control API refuses every request without its token when the simulator is exposed (built
 *   with --host=0.0.0.0, but listening on loopback only here) or given --control-token, and a
 *   refused request changes nothing;
 * - fault headers and prompt markers are ignored when switched off (--fault-headers=off);
 * - API keys and the control token never appear in the logs (pino at trace, request log on) or in
 *   the journal, whatever the requests: valid, unknown and malformed keys, a 402, a 404, and a 500
 *   forced by a rule that matches a key;
 * - keys and tokens are compared in constant time: SHA-256 digests (equal lengths) compared with
 *   timingSafeEqual, which never throws on inputs of different lengths;
 * (The dependency audit is `npm run audit:deps`: it needs the registry's advisory endpoint, which
 * the development machines cannot reach, so it is not part of `npm test`.)
 */
import type * as Crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compose, createLogger } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import { secretsEqual } from '../../mock-server/src/domain/keys.js';
import { CONTROL_SPEC_PATH, loadSpec, specOperations } from '../../mock-server/src/http/load-spec.js';
import { loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { BASE_ARGS, SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';
import { ROOT } from '../support/spec-walk.js';
import { listenOnLoopback, type Listening } from '../properties/support.js';

/** Records the digest lengths timingSafeEqual is given, passing the call through. */
const timingSafeCalls = vi.hoisted(() => [] as Array<[number, number]>);
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof Crypto>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      timingSafeCalls.push([a.byteLength, b.byteLength]);
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const TASK_ID_PATTERN = /^sd45_[0-9a-f]{16}$/;

// ---------------------------------------------------------------------------------------------
// The control token
// ---------------------------------------------------------------------------------------------

interface Exposed {
  sim: TestSimulator;
  listening: Listening;
  http: ReturnType<typeof supertest>;
  token: string;
}

async function exposedSimulator(args: string[]): Promise<Exposed> {
  const sim = await testSimulator(args);
  // Built as if exposed, but never bound beyond loopback.
  const listening = await listenOnLoopback(sim.app);
  expect(sim.config.controlToken).toBeDefined();
  return { sim, listening, http: supertest(listening.server), token: sim.config.controlToken! };
}

/** A request to each control operation (health and the image files excepted: they are open by design). */
async function controlRequests(
  x: Exposed,
): Promise<Array<{ id: string; method: string; path: string; body?: object }>> {
  const spec = await loadSpec(CONTROL_SPEC_PATH);
  const gen = await x.http
    .post('/api/generate')
    .set({ Authorization: `Bearer ${DEV_KEY}` })
    .send(SAMPLE_REQUEST);
  expect(gen.status).toBe(200);
  const taskId = gen.body.data.task_id as string;
  const fill = (path: string) =>
    path
      .replace('{taskId}', taskId)
      .replace('{apiKey}', encodeURIComponent(DEV_KEY))
      .replace('{ruleId}', 'rule_1')
      .replace('{tenantId}', 'default');
  const bodies: Record<string, object> = {
    putAccount: { balance: 1 },
    advanceClock: { ms: 3_600_000 },
    createFaultRule: { match: { path: '/api/generate' }, action: { status: 500 } },
    loadScenario: { format: 'dreamcore-scenario', version: 1, rules: [{ action: { status: 500 } }] },
    failTask: { error_message: 'forced' },
  };
  // Creating a tenant is open without the token by design (it changes no existing world): tested
  // on its own below, with --tenant-creation operator too.
  // Operations open by the spec (`security: []`: health, the console's page and files, which hold no
  // data) are not refused, by design.
  return specOperations(spec)
    .filter(
      (op) =>
        op.path.startsWith('/__mock') &&
        op.operation.security?.length !== 0 &&
        op.operationId !== 'createTenant',
    )
    .map((op) => ({
      id: op.operationId,
      method: op.method.toUpperCase(),
      path: fill(op.path),
      ...(bodies[op.operationId] ? { body: bodies[op.operationId] } : {}),
    }));
}

describe('the control API needs its token when the simulator is exposed', () => {
  let x: Exposed;
  let conformance: SpecConformance;

  beforeAll(async () => {
    x = await exposedSimulator(['--host=0.0.0.0']);
    conformance = await loadControlConformance();
  });
  afterAll(async () => {
    await x?.listening.close();
  });

  it('generates a token when --host=0.0.0.0 and no --control-token is given', () => {
    expect(x.sim.config.controlTokenGenerated).toBe(true);
    expect(x.token).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses every /__mock operation without the token, or with a wrong one, and changes nothing', async () => {
    const requests = await controlRequests(x);
    expect(requests.map((r) => r.id).sort()).toEqual(
      [
        'advanceClock',
        'clearDrift',
        'clearFaultRules',
        'createFaultRule',
        'deleteFaultRule',
        'deleteTenant',
        'failTask',
        'getAccount',
        'getClock',
        'getInvariants',
        'getDrift',
        'getJournal',
        'getMetrics',
        'getReport',
        'getTask',
        'getTenant',
        'listAccounts',
        'listFaultRules',
        'listTasks',
        'listTenants',
        'loadScenario',
        'putAccount',
        'resetSimulator',
        'streamJournal',
        'succeedTask',
        'waitForJournal',
      ].sort(),
    );
    const t = x.token;
    const wrongTokens: Array<string | string[] | undefined> = [
      undefined,
      '',
      'x',
      t.slice(0, -1),
      `${t}x`,
      t.toUpperCase(),
      `${t.slice(0, -1)}${t.endsWith('0') ? '1' : '0'}`, // same length, last character differs
      t.repeat(2),
      [t, t], // two headers: joined, not the token
      `Bearer ${t}`,
    ];
    const before = {
      balance: await x.sim.balance(),
      tasks: await x.sim.taskCount(),
      clock: x.sim.clock.now(),
      rules: (await x.sim.store.listRules()).length,
    };
    let refused = 0;
    for (const r of requests) {
      for (const token of wrongTokens) {
        let req = x.http[r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](r.path);
        if (token !== undefined) req = req.set('X-Mock-Token', token as string);
        // A key of the public API is no way in either.
        req = req.set('Authorization', `Bearer ${DEV_KEY}`);
        const res = await (r.body ? req.send(r.body) : req);
        expect(res.status, `${r.id} with X-Mock-Token ${JSON.stringify(token)}`).toBe(401);
        expect(res.body).toEqual({
          code: 401,
          message:
            'The control API needs X-Mock-Token: <token> (printed at start, or set with --control-token)',
          data: { type: 'unauthorized' },
        });
        expect(conformance.check(r.method, r.path, res), r.id).toEqual([]);
        refused++;
      }
    }
    expect(refused).toBe(requests.length * wrongTokens.length);
    // Nothing happened: no reset, no balance set, no clock move, no rule, no forced end.
    expect({
      balance: await x.sim.balance(),
      tasks: await x.sim.taskCount(),
      clock: x.sim.clock.now(),
      rules: (await x.sim.store.listRules()).length,
    }).toEqual(before);
    const [task] = await x.sim.store.listTasks({});
    expect(task!.status).toBe('IN_PROGRESS');
  });

  it('serves every /__mock operation with the token', async () => {
    for (const r of await controlRequests(x)) {
      if (r.id === 'streamJournal') {
        // A stream answers its headers and goes on until the client leaves.
        const ctrl = new AbortController();
        const res = await fetch(`http://127.0.0.1:${x.listening.port}${r.path}`, {
          headers: { 'X-Mock-Token': x.token },
          signal: ctrl.signal,
        });
        expect(res.status, r.id).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        ctrl.abort();
        continue;
      }
      const req = x.http[r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](r.path).set(
        'X-Mock-Token',
        x.token,
      );
      const res = await (r.body ? req.send(r.body) : req);
      expect(res.status, r.id).not.toBe(401);
      expect(res.status, `${r.id}: ${res.text}`).toBeLessThan(500);
      expect(conformance.check(r.method, r.path, res), r.id).toEqual([]);
    }
  });

  it('lets anyone create a tenant (it changes no other world), and a tenant credential reach only it', async () => {
    const created = await x.http.post('/__mock/tenants').send({});
    expect(created.status).toBe(201);
    expect(conformance.check('POST', '/__mock/tenants', created)).toEqual([]);
    const token = created.body.data.token as string;
    expect((await x.http.get('/__mock/clock').set('X-Mock-Token', token)).status).toBe(200);
    const other = await x.http
      .get('/__mock/clock')
      .set({ 'X-Mock-Token': token, 'X-Mock-Tenant': 'default' });
    expect(other.status).toBe(403);
    expect(other.body.data.type).toBe('forbidden');
    // A wrong token is refused, not taken for "no token": it might be a mistyped tenant credential.
    expect((await x.http.post('/__mock/tenants').set('X-Mock-Token', `${token}x`).send({})).status).toBe(401);
  });

  it('with --tenant-creation operator, creating a tenant needs the token', async () => {
    const closed = await exposedSimulator(['--host=0.0.0.0', '--tenant-creation=operator']);
    try {
      const refused = await closed.http.post('/__mock/tenants').send({});
      expect(refused.status).toBe(401);
      expect(
        (await closed.http.get('/__mock/tenants').set('X-Mock-Token', closed.token)).body.data.tenants,
      ).toHaveLength(1);
      expect(
        (await closed.http.post('/__mock/tenants').set('X-Mock-Token', closed.token).send({})).status,
      ).toBe(201);
    } finally {
      await closed.listening.close();
    }
  });

  it('keeps health open (container checks) and the public API on its own keys', async () => {
    expect((await x.http.post('/__mock/reset').set('X-Mock-Token', x.token)).status).toBe(200);
    expect((await x.http.get('/__mock/health')).status).toBe(200);
    const res = await x.http
      .post('/api/generate')
      .set({ Authorization: `Bearer ${DEV_KEY}`, 'X-Mock-Token': 'whatever' })
      .send(SAMPLE_REQUEST);
    expect(res.status).toBe(200);
  });
});

describe('--control-token on loopback', () => {
  it('is required too; without any token, loopback control stays open', async () => {
    const withToken = await exposedSimulator(['--control-token=x']);
    try {
      expect(withToken.token).toBe('x');
      expect((await withToken.http.get('/__mock/clock')).status).toBe(401);
      expect((await withToken.http.get('/__mock/clock').set('X-Mock-Token', 'y')).status).toBe(401);
      expect((await withToken.http.get('/__mock/clock').set('X-Mock-Token', 'xx')).status).toBe(401);
      expect((await withToken.http.get('/__mock/clock').set('X-Mock-Token', 'x')).status).toBe(200);
    } finally {
      await withToken.listening.close();
    }
    const open = await testSimulator();
    expect(open.config.controlToken).toBeUndefined();
    expect((await open.http.get('/__mock/clock')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Fault headers switched off
// ---------------------------------------------------------------------------------------------

describe('--fault-headers=off', () => {
  let sim: TestSimulator;
  let on: TestSimulator;
  beforeAll(async () => {
    sim = await testSimulator(['--fault-headers=off']);
    on = await testSimulator();
  });

  const FAULTS: Array<[string, Record<string, string>]> = [
    ['X-Mock-Status: 500', { 'X-Mock-Status': '500' }],
    ['X-Mock-Status: 429', { 'X-Mock-Status': '429' }],
    ['Prefer: code=402', { Prefer: 'code=402' }],
    ['X-Mock-Fault: reset', { 'X-Mock-Fault': 'reset' }],
    ['X-Mock-Fault: malformed', { 'X-Mock-Fault': 'malformed' }],
    ['X-Mock-Fault: hang', { 'X-Mock-Fault': 'hang' }],
    ['X-Mock-Delay-Ms: 30000', { 'X-Mock-Delay-Ms': '30000' }],
    ['an invalid X-Mock-Status', { 'X-Mock-Status': 'banana' }],
    ['an invalid X-Mock-Outcome', { 'X-Mock-Outcome': 'maybe' }],
  ];

  it.each(FAULTS)('ignores %s on generate and on status', async (_name, headers) => {
    const gen = sim.conforms(
      await sim.http.post('/api/generate').set(sim.auth()).set(headers).timeout(5_000).send(SAMPLE_REQUEST),
    );
    expect(gen.status).toBe(200);
    expect(gen.headers['x-mock-injected']).toBeUndefined();
    const status = sim.conforms(
      await sim.http
        .get('/api/status')
        .query({ task_id: gen.body.data.task_id })
        .set(sim.auth())
        .set(headers)
        .timeout(5_000),
    );
    expect(status.status).toBe(200);
    expect(status.headers['x-mock-injected']).toBeUndefined();
  });

  it('would have honoured the same header with fault headers on (the check can fail)', async () => {
    const res = await on.http
      .post('/api/generate')
      .set(on.auth())
      .set('X-Mock-Status', '500')
      .send(SAMPLE_REQUEST);
    expect(res.status).toBe(500);
    expect(res.headers['x-mock-injected']).toBe('header');
  });

  it('ignores the task-shaping headers and prompt markers: the task follows its seeded plan', async () => {
    const cases = [
      {
        headers: {
          'X-Mock-Outcome': 'failed',
          'X-Mock-Duration-Ms': '0',
          'X-Mock-Error-Message': 'forced by header',
          'X-Mock-Polls': '1',
        },
        prompt: SAMPLE_REQUEST.prompt,
      },
      { headers: {}, prompt: 'a fox [mock:outcome=failed] [mock:duration=0] [mock:error=marker]' },
      { headers: {}, prompt: 'a fox [mock:outcome=maybe]' }, // an invalid marker is not even a 400
    ];
    for (const c of cases) {
      const gen = await sim.http
        .post('/api/generate')
        .set(sim.auth())
        .set(c.headers)
        .send({ ...SAMPLE_REQUEST, prompt: c.prompt });
      expect(gen.status).toBe(200);
      const view = (await sim.http.get(`/__mock/tasks/${gen.body.data.task_id}`)).body.data;
      expect(view.plan).toMatchObject({ outcome: 'success', error_message: null, complete_on_poll: null });
      expect(Date.parse(view.plan.ready_at)).toBeGreaterThan(sim.clock.now()); // a drawn duration, not 0
      expect(view.record.status).toBe('IN_PROGRESS');
    }
    sim.advance(3_600_000);
    const tasks = (await sim.http.get('/__mock/tasks')).body.data.tasks as Array<{
      record: { status: string; consumed_credits: number };
    }>;
    expect(tasks.map((t) => t.record.status)).toEqual(tasks.map(() => 'SUCCESS'));
    const journal = (await sim.http.get('/__mock/journal')).body.data.entries as Array<{
      injected: string | null;
    }>;
    expect(journal.every((e) => e.injected === null)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets in logs and in the journal
// ---------------------------------------------------------------------------------------------

const KEY_VALID = 'sk-live-4f9a2c7e1b3d5f60a8c9e7d1';
const KEY_SECOND = 'sk-second-0987654321abcdef0123';
const KEY_SHORT = 'sk-tiny1';
const KEY_UNKNOWN = 'sk-unknown-3e1c9a7b5d2f4068aa11';
const TOKEN = 'ctl-token-7d3f9e1a5b2c8d4e6f0a';
const SECRETS = [KEY_VALID, KEY_SECOND, KEY_SHORT, KEY_UNKNOWN, TOKEN];

interface Captured {
  http: ReturnType<typeof supertest>;
  lines: string[];
  text(): string;
}

async function capturingSimulator(): Promise<Captured> {
  const config = parseConfig(
    [
      ...BASE_ARGS,
      '--request-log=on',
      '--log-level=trace',
      `--control-token=${TOKEN}`,
      `--key=${KEY_VALID}=1000`,
      `--key=${KEY_SECOND}=20`,
      `--key=${KEY_SHORT}=1000`,
    ],
    {},
  );
  expect(config.logLevel).toBe('trace');
  expect(config.logRequests).toBe(true);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { app } = await compose(config, { logger: createLogger(config, sink) });
  return { http: supertest(app), lines, text: () => lines.join('') };
}

/** Lets pino-http write the lines of responses that have just finished. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function expectNoSecret(where: string, text: string) {
  for (const secret of SECRETS) {
    const at = text.indexOf(secret);
    const context = at < 0 ? '' : `: …${text.slice(Math.max(0, at - 120), at + secret.length + 40)}…`;
    expect(at, `${where} contains ${secret}${context}`).toBe(-1);
  }
}

describe('API keys and the control token never reach the logs or the journal', () => {
  it('public API traffic with valid, unknown and malformed keys, a 402, a 404 and a forced 500', async () => {
    const c = await capturingSimulator();
    const ctl = { 'X-Mock-Token': TOKEN };
    const statuses: number[] = [];
    const hit = async (req: supertest.Test) => {
      const res = await req;
      statuses.push(res.status);
      return res;
    };
    const bearer = (k: string) => ({ Authorization: `Bearer ${k}` });

    // Valid keys: accepted, polled by GET and by POST (query and body), another key's task (404).
    const gen = await hit(c.http.post('/api/generate').set(bearer(KEY_VALID)).send(SAMPLE_REQUEST));
    const taskId = gen.body.data.task_id as string;
    expect(taskId).toMatch(TASK_ID_PATTERN);
    await hit(c.http.get('/api/status').query({ task_id: taskId }).set(bearer(KEY_VALID)));
    await hit(c.http.post('/api/status').set(bearer(KEY_VALID)).send({ task_id: taskId }));
    await hit(c.http.post('/api/status').query({ task_id: taskId }).set(bearer(KEY_SHORT)));
    await hit(
      c.http
        .post('/api/generate')
        .set(bearer(KEY_SHORT))
        .send({ ...SAMPLE_REQUEST, quality: 'basic' }),
    );
    // 402: the second key cannot pay 48.
    await hit(
      c.http
        .post('/api/generate')
        .set(bearer(KEY_SECOND))
        .send({ ...SAMPLE_REQUEST, numImages: 4 }),
    );
    // 400 with a valid key.
    await hit(
      c.http
        .post('/api/generate')
        .set(bearer(KEY_SECOND))
        .send({ prompt: KEY_SECOND.slice(0, 3) }),
    );
    // Unknown and malformed keys.
    for (const authorization of [
      `Bearer ${KEY_UNKNOWN}`,
      `bearer ${KEY_UNKNOWN}`,
      `Bearer ${KEY_VALID} trailing`,
      `Bearer ${KEY_VALID}${KEY_SECOND}`,
      `Basic ${Buffer.from(`${KEY_VALID}:`).toString('base64')}`,
      `Token ${KEY_VALID}`,
      KEY_VALID,
      `Bearer\t${KEY_SECOND}\t`,
      `Bearer ${KEY_UNKNOWN}é`,
    ]) {
      await hit(c.http.post('/api/generate').set('Authorization', authorization).send(SAMPLE_REQUEST));
      await hit(c.http.get('/api/status').query({ task_id: taskId }).set('Authorization', authorization));
    }
    // A 500 forced by a rule that matches a key (the rule is set through the control API, token in a header).
    const rule = await c.http
      .post('/__mock/faults')
      .set(ctl)
      .send({ match: { path: '/api/generate', apiKey: KEY_VALID }, action: { status: 500 }, times: 1 });
    expect(rule.status).toBe(201);
    expect(JSON.stringify(rule.body)).not.toContain(KEY_VALID); // the rule echoes the key redacted
    const forced = await hit(c.http.post('/api/generate').set(bearer(KEY_VALID)).send(SAMPLE_REQUEST));
    expect(forced.status).toBe(500);
    // A request that names the key in a header QA tools might log.
    await hit(
      c.http.post('/api/generate').set(bearer(KEY_VALID)).set('X-Api-Key', KEY_VALID).send(SAMPLE_REQUEST),
    );

    expect(statuses).toEqual(expect.arrayContaining([200, 400, 401, 402, 404, 500]));
    const journal = await c.http.get('/__mock/journal').query({ limit: '1000' }).set(ctl);
    expect(journal.status).toBe(200);
    expect(journal.body.data.entries.length).toBe(statuses.length);
    await flush();

    // The capture works: one line per request at least, the forced 500 among them.
    expect(c.lines.length).toBeGreaterThanOrEqual(statuses.length);
    expect(c.text()).toContain('"statusCode":500');
    expectNoSecret('the log', c.text());
    expectNoSecret('the journal', JSON.stringify(journal.body));
    // The journal still tells keys apart, by their redacted labels.
    const labels = new Set(
      (journal.body.data.entries as Array<{ api_key: string | null }>).map((e) => e.api_key),
    );
    expect(labels).toContain('sk-l…e7d1#7a53e0');
    expect(labels).toContain('…#36488d'); // the short key: too short to show any of it, its hash only
  });

  it('control API calls that name a key (accounts, task and journal filters) do not log it either', async () => {
    const c = await capturingSimulator();
    const ctl = { 'X-Mock-Token': TOKEN };
    // The control API documents these ways to name a key: the path of /__mock/accounts/{apiKey}, and
    // the apiKey filter of /__mock/tasks and /__mock/journal. Each answers without echoing the key.
    const answers = [
      await c.http.get(`/__mock/accounts/${encodeURIComponent(KEY_VALID)}`).set(ctl),
      await c.http
        .put(`/__mock/accounts/${encodeURIComponent(KEY_SECOND)}`)
        .set(ctl)
        .send({ balance: 500 }),
      await c.http.get('/__mock/tasks').query({ apiKey: KEY_SHORT }).set(ctl),
      await c.http.get('/__mock/journal').query({ apiKey: KEY_UNKNOWN }).set(ctl),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const a of answers) expectNoSecret(`the answer to ${a.request.url}`, a.text);
    await flush();
    expect(c.lines.length).toBeGreaterThanOrEqual(answers.length);
    // Today the request log prints req.url verbatim, e.g.
    // {"req":{"method":"GET","url":"/__mock/accounts/sk-live-4f9a2c7e1b3d5f60a8c9e7d1"},...}
    expectNoSecret('the log', c.text());
  });
});

// ---------------------------------------------------------------------------------------------
// Constant-time comparison
// ---------------------------------------------------------------------------------------------

describe('secrets are compared in constant time', () => {
  const source = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

  it('keys.ts compares SHA-256 digests of both secrets with timingSafeEqual', () => {
    const keys = source('mock-server/src/domain/keys.ts');
    expect(keys).toMatch(/import\s*\{[^}]*\btimingSafeEqual\b[^}]*\}\s*from\s*'node:crypto'/);
    const fn = /export function secretsEqual\([^)]*\)[^{]*\{([\s\S]*?)\n\}/.exec(keys)?.[1];
    expect(fn, 'secretsEqual in keys.ts').toBeDefined();
    const call = /timingSafeEqual\((\w+),\s*(\w+)\)/.exec(fn!);
    expect(call, 'secretsEqual calls timingSafeEqual').not.toBeNull();
    for (const digest of [call![1]!, call![2]!]) {
      expect(fn).toMatch(
        new RegExp(`const ${digest} = createHash\\('sha256'\\)\\.update\\([^)]*\\)\\.digest\\(\\);`),
      );
    }
    expect(fn).not.toMatch(/===|!==|==|!=|\.length/);
  });

  it('the control token is checked with secretsEqual, never with ===', () => {
    const auth = source('mock-server/src/http/admin/control-auth.ts');
    expect(auth).toMatch(/secretsEqual\(given, token\)/);
    expect(auth).not.toMatch(/(given|token)\s*[!=]==?\s*(given|token)/);
  });

  it('secretsEqual hands timingSafeEqual two 32-byte digests, whatever the lengths, and never throws', () => {
    const pairs: Array<[string, string, boolean]> = [
      ['token', 'token', true],
      ['', '', true],
      ['a', 'abc', false],
      ['abc', 'a', false],
      ['', 'x', false],
      ['x'.repeat(10_000), 'x', false],
      ['clé', 'cle', false],
      ['😀', '😀', true],
      [TOKEN, TOKEN.slice(0, -1), false],
    ];
    for (const [a, b, equal] of pairs) {
      timingSafeCalls.length = 0;
      expect(() => secretsEqual(a, b)).not.toThrow();
      expect(secretsEqual(a, b), `${a.slice(0, 10)} vs ${b.slice(0, 10)}`).toBe(equal);
      expect(timingSafeCalls).toEqual([
        [32, 32],
        [32, 32],
      ]);
    }
  });
});
