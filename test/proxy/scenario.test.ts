/**
 * A recorded bad day as the simulator's own scenario (`npm run cassette -- to-scenario`): recorded
 * errors become `times: 1` rules in order, with their messages verbatim; recorded tasks become
 * task-shaping rules with their outcome and duration (or polls). Loaded with --scenario (and put back
 * by every reset) or POST /__mock/scenario, the simulator answers what was recorded, offline.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRewritingProxy, storm } from '../../contracts/provider/rewriting-proxy.js';
import { CASSETTE_FORMAT, readCassette, type Cassette } from '../../mock-server/src/cassette/cassette.js';
import { cassetteToScenario } from '../../mock-server/src/cassette/to-scenario.js';
import { API_SPEC_PATH, loadSpec, specOperations } from '../../mock-server/src/http/load-spec.js';
import { ruleProblems, ruleStatusChecker } from '../../mock-server/src/qa/rule-checks.js';
import { main as cassetteCli } from '../../scripts/cassette.js';
import {
  BODY,
  LIVE_KEY,
  call,
  startGatewaySimulator,
  startLive,
  startProxy,
  LIGHTHOUSE,
  FAILURE,
  BAD_DAY_FAULTS,
  type Answer,
} from './support.js';

const DEV = 'sk-dreamcore-dev';

interface Step {
  status: number;
  message?: string;
  retryAfter?: string;
  task?: string;
  errorMessage?: string | null;
  credits?: number;
}

/** What a regression test holds the simulator to: statuses, messages, Retry-After, each task's end. */
function projected(a: Answer): Step {
  if (a.status >= 400) {
    return {
      status: a.status,
      message: a.json?.message,
      ...(a.headers.get('retry-after') !== null ? { retryAfter: a.headers.get('retry-after')! } : {}),
    };
  }
  const data = a.json.data;
  return data.status === undefined
    ? { status: a.status }
    : {
        status: a.status,
        task: data.status,
        errorMessage: data.error_message,
        credits: data.consumed_credits,
      };
}

/** The bad day's client: it retries a generate through a storm, polls, meets a 429, a failure, a 500. */
async function badDay(
  url: string,
  key: string,
  hooks: { advance(ms: number): Promise<void>; before?(step: string): Promise<void> },
) {
  const seen: Step[] = [];
  const see = (a: Answer) => (seen.push(projected(a)), a);
  see(await call(url, 'POST', '/api/generate', { key, body: BODY }));
  see(await call(url, 'POST', '/api/generate', { key, body: BODY }));
  const a = see(await call(url, 'POST', '/api/generate', { key, body: BODY })).json.data.task_id as string;
  see(await call(url, 'GET', `/api/status?task_id=${a}`, { key }));
  await hooks.before?.('poll limited');
  see(await call(url, 'GET', `/api/status?task_id=${a}`, { key }));
  await hooks.advance(60_000);
  see(await call(url, 'GET', `/api/status?task_id=${a}`, { key }));
  await hooks.before?.('task fails');
  const b = see(await call(url, 'POST', '/api/generate', { key, body: LIGHTHOUSE })).json.data
    .task_id as string;
  see(await call(url, 'GET', `/api/status?task_id=${b}`, { key }));
  await hooks.advance(60_000);
  see(await call(url, 'GET', `/api/status?task_id=${b}`, { key }));
  await hooks.before?.('generate fails');
  see(await call(url, 'POST', '/api/generate', { key, body: BODY }));
  see(await call(url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key }));
  return seen;
}

let dir: string;
let recorded: Step[];
let scenarioFile: string;
let stderr = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-scenario-'));
  const cassetteFile = join(dir, 'bad-day.cassette.json');
  scenarioFile = join(dir, 'bad-day.scenario.json');
  const live = await startLive();
  const stand = await startRewritingProxy(live.url, (r) => r, {
    intercept: storm(503, 2, (request) => request.path === '/api/generate'),
  });
  const proxy = await startProxy(stand.url, [`--record=${cassetteFile}`]);
  try {
    recorded = await badDay(proxy.url, LIVE_KEY, {
      advance: async (ms) => void (await live.control.advanceClock(ms)),
      before: async (step) => {
        const rule = BAD_DAY_FAULTS[step];
        if (rule) await live.control.addFault(rule);
      },
    });
  } finally {
    await proxy.close();
    await stand.close();
    await live.close();
  }
  const code = await cassetteCli(
    ['to-scenario', cassetteFile, '--out', scenarioFile, '--timing', 'polls', '--no-delays'],
    { stdout: () => undefined, stderr: (text) => void (stderr += text) },
  );
  expect(code).toBe(0);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The recorded day as the simulator must answer it: every status, the 503s too (openapi.yaml lists 503
 * everywhere), which the simulator sends with the Retry-After the spec requires of a 503.
 */
const expected = () => recorded.map((s) => (s.status === 503 ? { ...s, retryAfter: '1' } : s));

describe('a recorded bad day as a scenario', () => {
  it('is a scenario document: one rule per exchange in order, what could not be expressed noted', () => {
    expect(recorded.map((s) => s.status)).toEqual([503, 503, 200, 200, 429, 200, 200, 200, 200, 500, 404]);
    expect(recorded[8]).toMatchObject({ task: 'FAILED', errorMessage: FAILURE, credits: 0 });
    const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8'));
    expect(scenario).toMatchObject({ format: 'dreamcore-scenario', version: 1, source: { exchanges: 11 } });
    expect(scenario.rules).toHaveLength(11);
    expect(scenario.rules.slice(0, 3)).toEqual([
      {
        match: { method: 'POST', path: '/api/generate' },
        action: { status: 503, message: 'Service temporarily unavailable' },
        times: 1,
      },
      {
        match: { method: 'POST', path: '/api/generate' },
        action: { status: 503, message: 'Service temporarily unavailable' },
        times: 1,
      },
      {
        match: { method: 'POST', path: '/api/generate' },
        action: { task: { outcome: 'success', completeOnPoll: 2 } },
        times: 1,
      },
    ]);
    expect(scenario.rules).toContainEqual({
      match: { method: 'GET', path: '/api/status' },
      action: { status: 429, retryAfterSeconds: 4, message: expect.stringContaining('Too many requests') },
      times: 1,
    });
    expect(scenario.rules).toContainEqual({
      match: { method: 'POST', path: '/api/generate' },
      action: { task: { outcome: 'failed', errorMessage: FAILURE, completeOnPoll: 2 } },
      times: 1,
    });
    expect(scenario.notes ?? []).toEqual([]); // everything recorded could be expressed
    expect(stderr).toContain('11 rules from 11 exchanges');
  });

  it('makes only rules the simulator accepts (rule-checks.ts), with every option', async () => {
    const cassette = await readCassette(join(dir, 'bad-day.cassette.json'));
    const ruleStatuses = ruleStatusChecker(specOperations(await loadSpec(API_SPEC_PATH)));
    for (const timing of ['clock', 'polls'] as const) {
      for (const delays of [true, false]) {
        const { rules } = cassetteToScenario(cassette, { timing, delays, ruleStatuses });
        expect(rules.length).toBe(11);
        const problems = rules.flatMap((rule, i) => ruleProblems(rule, { ruleStatuses }, `rules[${i}]`));
        expect(problems, `timing ${timing}, delays ${delays}`).toEqual([]);
      }
    }
  });

  it('loaded with --scenario, the simulator answers what was recorded, and again after every reset', async () => {
    const sim = await startGatewaySimulator([
      `--scenario=${scenarioFile}`,
      '--dev-key=on',
      '--rate-limit=off',
    ]);
    try {
      const advance = async (ms: number) => void (await sim.control.advanceClock(ms));
      expect(await badDay(sim.url, DEV, { advance })).toEqual(expected());
      expect(await sim.control.faults()).toEqual([]); // every rule spent
      await sim.control.reset();
      expect((await sim.control.faults()).length).toBe(11);
      expect(await badDay(sim.url, DEV, { advance })).toEqual(expected());
    } finally {
      await sim.close();
    }
  });

  it('POST /__mock/scenario loads it into a running world (a tenant, here) the same way', async () => {
    const sim = await startGatewaySimulator(['--dev-key=on', '--rate-limit=off']);
    try {
      const tenant = (await call(sim.url, 'POST', '/__mock/tenants', { body: { keys: [{ balance: 500 }] } }))
        .json.data;
      const headers = { 'X-Mock-Token': tenant.token };
      const loaded = await call(sim.url, 'POST', '/__mock/scenario', {
        body: readFileSync(scenarioFile, 'utf8'),
        headers,
      });
      expect(loaded.status).toBe(201);
      expect(loaded.json.data.rules.map((r: { id: string }) => r.id)).toEqual(
        Array.from({ length: 11 }, (_, i) => `rule_${i + 1}`),
      );
      const advance = async (ms: number) =>
        void (await call(sim.url, 'POST', '/__mock/clock/advance', { body: { ms }, headers }));
      expect(await badDay(sim.url, tenant.keys[0].apiKey, { advance })).toEqual(expected());
    } finally {
      await sim.close();
    }
  });

  it('refuses a scenario whose rules the simulator would refuse, whole, naming the rule', async () => {
    const sim = await startGatewaySimulator(['--dev-key=on']);
    try {
      const refused = await call(sim.url, 'POST', '/__mock/scenario', {
        body: {
          format: 'dreamcore-scenario',
          version: 1,
          rules: [{ action: { status: 500 } }, { match: { path: '/api/status' }, action: { status: 402 } }],
        },
      });
      expect(refused.status).toBe(400);
      expect(refused.json.data.errors[0].field).toBe('body.rules[1].action.status');
      expect(await sim.control.faults()).toEqual([]);
    } finally {
      await sim.close();
    }
    const bad = join(dir, 'bad.scenario.json');
    writeFileSync(
      bad,
      JSON.stringify({ format: 'dreamcore-scenario', version: 1, rules: [{ action: { delayMs: 0 } }] }),
    );
    await expect(startGatewaySimulator([`--scenario=${bad}`])).rejects.toThrow(
      /--scenario .*rules\[0\]\.action does nothing/,
    );
    // Task rules cannot shape a real task: not in proxy mode.
    await expect(
      startGatewaySimulator([`--scenario=${scenarioFile}`, '--proxy=http://127.0.0.1:9']),
    ).rejects.toThrow(/rules\[2\]\.action\.task cannot shape a task in proxy mode/);
  });
});

describe('cassetteToScenario, by clock', () => {
  it('gives each task the recorded time from its generate to the first poll that saw its end, and each answer its recorded latency', async () => {
    const exchange = (
      id: number,
      at: number,
      durationMs: number,
      method: string,
      path: string,
      query: Record<string, string>,
      status: number,
      body: unknown,
    ) => ({
      id,
      startOffsetMs: at,
      durationMs,
      request: { method, path, query, headers: {} },
      response: { status, headers: { 'content-type': 'application/json' }, body },
    });
    const record = (status: string) => ({
      code: 200,
      message: 'success',
      data: {
        task_id: 'sd45_00000000000000aa',
        status,
        request: { prompt: 'x', aspectRatio: '1:1', quality: 'basic' },
        response: [],
        consumed_credits: 12,
        error_message: null,
        created_at: '2026-01-01T00:00:00Z',
      },
    });
    const cassette: Cassette = {
      format: CASSETTE_FORMAT,
      version: 1,
      target: 'https://seedream45ai.org',
      recordedAt: '2026-05-04T09:00:00.000Z',
      recorder: 'dreamcore-simulator 0.1.0',
      exchanges: [
        exchange(1, 1_000, 420, 'POST', '/api/generate', {}, 200, {
          code: 200,
          message: 'success',
          data: { task_id: 'sd45_00000000000000aa' },
        }),
        exchange(
          2,
          16_000,
          180,
          'GET',
          '/api/status',
          { task_id: 'sd45_00000000000000aa' },
          200,
          record('IN_PROGRESS'),
        ),
        exchange(
          3,
          21_000,
          2_400,
          'GET',
          '/api/status',
          { task_id: 'sd45_00000000000000aa' },
          200,
          record('SUCCESS'),
        ),
      ],
    };
    const scenario = cassetteToScenario(cassette, {
      timing: 'clock',
      delays: true,
      ruleStatuses: ruleStatusChecker(specOperations(await loadSpec(API_SPEC_PATH))),
    });
    expect(scenario.rules).toEqual([
      {
        match: { method: 'POST', path: '/api/generate' },
        action: { task: { outcome: 'success', durationMs: 20_000 }, delayMs: 420 },
        times: 1,
      },
      { match: { method: 'GET', path: '/api/status' }, action: { delayMs: 180 }, times: 1 },
      { match: { method: 'GET', path: '/api/status' }, action: { delayMs: 2_400 }, times: 1 },
    ]);
  });
});
