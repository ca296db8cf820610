/**
 * Hardening issue, item 11: no web page on another origin may change the simulator's state.
 *
 * - Cross-site requests to the control API (`/__mock/*`), in the exact shapes a browser sends them: an
 *   HTML form POST, a `text/plain` fetch (both "simple" requests, sent without a preflight), a `no-cors`
 *   fetch. Each is refused (403 `forbidden`, or 415 for a non-JSON body even without `Origin`) and the
 *   state is the same afterwards: balances, tasks, the clock, fault rules, the journal.
 * - DNS rebinding: a page on `attacker.example` whose name resolves to 127.0.0.1 reaches the loopback
 *   simulator with `Host: attacker.example`. Unknown Host names are refused on every route, before
 *   anything else (`--allowed-hosts`).
 * - What must keep working: curl and scripts (no Origin), a page served by the simulator itself
 *   (same origin), origins given with `--control-cors`, and any Host beyond loopback by default.
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import { loadControlConformance, type SpecConformance } from '../support/conformance.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';
import { listenOnLoopback, type Listening } from '../properties/support.js';

interface Running {
  sim: TestSimulator;
  listening: Listening;
  http: ReturnType<typeof supertest>;
  taskId: string;
}

async function running(args: string[] = []): Promise<Running> {
  const sim = await testSimulator(args);
  const listening = await listenOnLoopback(sim.app);
  const http = supertest(listening.server);
  const gen = await http.post('/api/generate').set(sim.auth()).send(SAMPLE_REQUEST);
  expect(gen.status).toBe(200);
  // One rule in place, so a reset or a clear would show.
  const rule = await http
    .post('/__mock/faults')
    .send({ match: { path: '/api/status' }, action: { delayMs: 1 } });
  expect(rule.status).toBe(201);
  return { sim, listening, http, taskId: gen.body.data.task_id as string };
}

/** Everything a cross-site request could change. */
async function stateOf(r: Running) {
  const [task] = await r.sim.store.listTasks({});
  return {
    balance: await r.sim.balance(),
    tasks: await r.sim.taskCount(),
    status: task?.status,
    clock: r.sim.clock.now(),
    rules: (await r.sim.store.listRules()).map((rule) => [rule.id, rule.hits]),
    journal: (await r.sim.store.queryJournal({ limit: 500 })).entries.length,
    accounts: (await r.sim.store.listAccounts()).length,
  };
}

const EVIL = 'http://evil.example';

describe('cross-site requests to the control API change nothing', () => {
  let r: Running;
  let conformance: SpecConformance;
  beforeAll(async () => {
    r = await running();
    conformance = await loadControlConformance();
  });
  afterAll(async () => {
    await r?.listening.close();
  });

  /** The request shapes a page on another origin can send without any preflight. */
  const shapes = (taskId: string) => [
    {
      name: 'an HTML form POST /__mock/reset',
      method: 'post' as const,
      path: '/__mock/reset',
      headers: {
        Origin: EVIL,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Sec-Fetch-Site': 'cross-site',
        'Sec-Fetch-Mode': 'navigate',
      },
      body: 'confirm=1',
    },
    {
      name: 'a text/plain fetch POST /__mock/tasks/{id}/succeed',
      method: 'post' as const,
      path: `/__mock/tasks/${taskId}/succeed`,
      headers: { Origin: EVIL, 'Content-Type': 'text/plain;charset=UTF-8', 'Sec-Fetch-Site': 'cross-site' },
      body: '{"anything":1}',
    },
    {
      name: 'a no-cors fetch POST /__mock/reset without a body',
      method: 'post' as const,
      path: '/__mock/reset',
      headers: { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' },
    },
    {
      name: 'a form POST /__mock/clock/advance',
      method: 'post' as const,
      path: '/__mock/clock/advance',
      headers: { Origin: EVIL, 'Content-Type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="ms"\r\n\r\n99999\r\n--x--\r\n',
    },
    {
      name: 'a no-cors fetch DELETE /__mock/faults from a sibling subdomain (same-site)',
      method: 'delete' as const,
      path: '/__mock/faults',
      headers: { Origin: 'http://other.localhost:4010', 'Sec-Fetch-Site': 'same-site' },
    },
    {
      name: 'a sandboxed page (Origin: null) POST /__mock/reset',
      method: 'post' as const,
      path: '/__mock/reset',
      headers: { Origin: 'null', 'Content-Type': 'text/plain' },
      body: 'x',
    },
    {
      name: 'a cross-site read of the journal',
      method: 'get' as const,
      path: '/__mock/journal',
      headers: { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'cors' },
    },
    {
      name: 'a navigation from another site without Origin (Sec-Fetch-Site only)',
      method: 'get' as const,
      path: '/__mock/tasks',
      headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate' },
    },
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7])('refuses shape %i with 403 forbidden, state unchanged', async (index) => {
    const shape = shapes(r.taskId)[index]!;
    const before = await stateOf(r);
    let req = r.http[shape.method](shape.path).set(shape.headers);
    if (shape.body !== undefined) req = req.send(shape.body);
    const res = await req;
    expect(res.status, `${shape.name}: ${res.text}`).toBe(403);
    expect(res.body.data.type).toBe('forbidden');
    expect(res.body.message).toMatch(/cross-origin|another site/i);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(conformance.check(shape.method.toUpperCase(), shape.path, res), shape.name).toEqual([]);
    expect(await stateOf(r), shape.name).toEqual(before);
  });

  it('refuses a state-changing control request with a non-JSON body even without Origin (415)', async () => {
    for (const [path, contentType, body] of [
      ['/__mock/reset', 'text/plain', 'reset'],
      ['/__mock/reset', 'application/x-www-form-urlencoded', ''],
      [`/__mock/tasks/${r.taskId}/fail`, 'text/plain', '{"error_message":"x"}'],
      ['/__mock/faults', 'multipart/form-data; boundary=x', '--x--'],
    ] as const) {
      const before = await stateOf(r);
      const res = await r.http.post(path).set('Content-Type', contentType).send(body);
      expect(res.status, `${path} ${contentType}: ${res.text}`).toBe(415);
      expect(res.body.data.type).toBe('unsupported_media_type');
      expect(res.body.message).toContain('application/json');
      expect(conformance.check('POST', path, res)).toEqual([]);
      expect(await stateOf(r)).toEqual(before);
    }
    // A body without any Content-Type (what a no-cors fetch of an ArrayBuffer sends) is refused too.
    const before = await stateOf(r);
    const raw = await new Promise<number>((resolve, reject) => {
      const req = (r.listening.server.address() as { port: number }).port;
      void fetch(`http://127.0.0.1:${req}/__mock/reset`, {
        method: 'POST',
        body: new Uint8Array([1, 2, 3]),
      }).then((res) => resolve(res.status), reject);
    });
    expect(raw).toBe(415);
    expect(await stateOf(r)).toEqual(before);
  });

  it('still serves curl and scripts (no Origin, JSON or no body) and the same origin', async () => {
    const own = r.listening.origin;
    expect((await r.http.get('/__mock/clock')).status).toBe(200);
    expect(
      (await r.http.get('/__mock/journal').set({ Origin: own, 'Sec-Fetch-Site': 'same-origin' })).status,
    ).toBe(200);
    expect((await r.http.get('/__mock/health').set('Sec-Fetch-Site', 'none')).status).toBe(200);
    const advance = await r.http
      .post('/__mock/clock/advance')
      .set({ Origin: own, 'Sec-Fetch-Site': 'same-origin' })
      .send({ ms: 1 });
    expect(advance.status).toBe(200);
    const jsonReset = await r.http
      .post('/__mock/reset')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send('{}');
    expect(jsonReset.status).toBe(200);
    expect((await r.http.post('/__mock/reset')).status).toBe(200); // curl -X POST, no body
    expect(await r.sim.taskCount()).toBe(0);
  });
});

describe('--control-cors lets named origins use the control API from a page', () => {
  let r: Running;
  beforeAll(async () => {
    r = await running(['--control-cors=http://console.example:8080']);
  });
  afterAll(async () => {
    await r?.listening.close();
  });

  it('answers the named origin (preflight and request) and still refuses the others', async () => {
    const origin = 'http://console.example:8080';
    const preflight = await r.http.options('/__mock/reset').set({
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Mock-Token/i);
    const reset = await r.http
      .post('/__mock/reset')
      .set({ Origin: origin, 'Sec-Fetch-Site': 'cross-site' })
      .send({});
    expect(reset.status).toBe(200);
    expect(reset.headers['access-control-allow-origin']).toBe(origin);

    const before = await stateOf(r);
    const evil = await r.http.post('/__mock/reset').set({ Origin: EVIL }).send({});
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(await stateOf(r)).toEqual(before);
  });
});

describe('DNS rebinding: unknown Host names are refused on every route', () => {
  let r: Running;
  beforeAll(async () => {
    r = await running();
  });
  afterAll(async () => {
    await r?.listening.close();
  });

  it('answers Host: attacker.example with 403 forbidden naming --allowed-hosts, touching nothing', async () => {
    const conformance = await loadControlConformance();
    const before = await stateOf(r);
    const requests = [
      r.http.post('/__mock/reset'),
      r.http.post('/__mock/clock/advance').send({ ms: 1000 }),
      r.http.get('/__mock/journal'),
      r.http.get('/__mock/health'),
      r.http.delete('/__mock/faults'),
      r.http.post('/api/generate').set('Authorization', `Bearer ${DEV_KEY}`).send(SAMPLE_REQUEST),
      r.http.get('/api/status').query({ task_id: r.taskId }).set('Authorization', `Bearer ${DEV_KEY}`),
      r.http.get(`/files/${r.taskId}/0.jpg`),
      r.http.get('/no/such/route'),
      r.http
        .options('/api/generate')
        .set({ Origin: 'http://attacker.example', 'Access-Control-Request-Method': 'POST' }),
    ];
    for (const pending of requests) {
      const res = await pending.set('Host', 'attacker.example:4010');
      const { req } = res as unknown as { req: { method: string; path: string } };
      const what = `${req.method} ${req.path}`;
      expect(res.status, what).toBe(403);
      expect(res.body, what).toEqual({
        code: 403,
        message: expect.stringContaining('--allowed-hosts'),
        data: { type: 'forbidden' },
      });
      expect(res.headers['access-control-allow-origin'], what).toBeUndefined();
      if (req.path.startsWith('/__mock') || req.path.startsWith('/files'))
        expect(conformance.check(req.method, req.path, res), what).toEqual([]);
    }
    expect(await stateOf(r)).toEqual(before);
  });

  it('serves the loopback names, with any port', async () => {
    for (const host of [
      'localhost:4010',
      'LOCALHOST',
      '127.0.0.1',
      '127.0.0.1:1',
      '[::1]:4010',
      'app.localhost:3000',
    ]) {
      const res = await r.http.get('/__mock/clock').set('Host', host);
      expect(res.status, host).toBe(200);
    }
    for (const host of [
      'localhost.attacker.example',
      '127.0.0.1.nip.io',
      'attacker.example',
      'evil.localhost.example',
    ]) {
      const res = await r.http.get('/__mock/clock').set('Host', host);
      expect(res.status, host).toBe(403);
    }
  });

  it('--allowed-hosts and --public-url add names; * serves any', async () => {
    const named = await running([
      '--allowed-hosts=sim.internal,.example.test,127.0.0.1',
      '--public-url=https://images.example.org/base',
    ]);
    try {
      for (const [host, status] of [
        ['sim.internal', 200],
        ['sim.internal:9', 200],
        ['example.test', 200],
        ['a.b.example.test', 200],
        ['images.example.org', 403], // --allowed-hosts replaces the defaults, --public-url's host included
        ['localhost', 403],
        ['notexample.test', 403],
      ] as const) {
        expect((await named.http.get('/__mock/clock').set('Host', host)).status, host).toBe(status);
      }
    } finally {
      await named.listening.close();
    }
    const byDefault = await running(['--public-url=https://images.example.org/base']);
    try {
      expect((await byDefault.http.get('/__mock/clock').set('Host', 'images.example.org')).status).toBe(200);
      expect((await byDefault.http.get('/__mock/clock').set('Host', 'localhost')).status).toBe(200);
      expect((await byDefault.http.get('/__mock/clock').set('Host', 'attacker.example')).status).toBe(403);
    } finally {
      await byDefault.listening.close();
    }
    const any = await running(['--allowed-hosts=*']);
    try {
      expect((await any.http.get('/__mock/clock').set('Host', 'attacker.example')).status).toBe(200);
    } finally {
      await any.listening.close();
    }
  });

  it('defaults: loopback names when listening on loopback, any host beyond it', () => {
    expect(parseConfig([], {}).allowedHosts).toEqual(['localhost', '.localhost', '127.0.0.1', '::1']);
    expect(parseConfig(['--host=0.0.0.0'], {}).allowedHosts).toEqual(['*']);
    expect(parseConfig(['--host=127.0.0.2', '--public-url=http://sim.test:1/x'], {}).allowedHosts).toEqual([
      'localhost',
      '.localhost',
      '127.0.0.1',
      '::1',
      '127.0.0.2',
      'sim.test',
    ]);
    expect(
      parseConfig([], { DREAMCORE_ALLOWED_HOSTS: '*.Example.com, [::1]:80 ,10.0.0.1' }).allowedHosts,
    ).toEqual(['.example.com', '::1', '10.0.0.1']);
    expect(() => parseConfig(['--allowed-hosts=exa mple.com'], {})).toThrow(/--allowed-hosts/);
    expect(() => parseConfig(['--allowed-hosts='], {})).toThrow(/--allowed-hosts/);
  });
});

describe('image URLs are never built from an unchecked Host header (item 15)', () => {
  it('uses a well-formed allowed Host; any other falls back to the listening address', async () => {
    const r = await running(['--allowed-hosts=*', '--latency=instant']);
    try {
      const url = async (host: string) => {
        const gen = await r.http
          .post('/api/generate')
          .set(r.sim.auth())
          .set('Host', host)
          .send(SAMPLE_REQUEST);
        expect(gen.status, host).toBe(200);
        const status = await r.http
          .get('/api/status')
          .query({ task_id: gen.body.data.task_id })
          .set(r.sim.auth())
          .set('Host', host);
        expect(status.body.data.status, host).toBe('SUCCESS');
        return status.body.data.response[0] as string;
      };
      const port = r.listening.port;
      expect(await url('sim.example:8080')).toMatch(
        /^http:\/\/sim\.example:8080\/files\/sd45_[0-9a-f]{16}\/0\.jpg$/,
      );
      expect(await url('[::1]:4010')).toMatch(/^http:\/\/\[::1\]:4010\/files\//);
      for (const bad of ['evil.example/phish?', 'a@b', 'x:y:z', 'host:99999', 'a..b', '-x.example', 'x"y']) {
        expect(await url(bad), bad).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/files/sd45_`));
      }
    } finally {
      await r.listening.close();
    }
  });
});
