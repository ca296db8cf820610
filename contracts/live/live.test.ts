/**
 * The live runner, tested without the internet: its target is a second simulator on loopback (started
 * in this process with a live-looking key and no development key), or a deliberately drifting stand-in
 * (a proxy in front of that simulator that renames a field, changes a status, drops Retry-After or
 * answers 503). The runner is imported (`main`) and given the environment, a place for its JUnit file,
 * and a `sleep` that moves the simulator's virtual clock, so lifecycles take no real time.
 *
 * What must hold: a conforming provider passes; drift is reported as drift with exit 1, transient
 * problems apart with exit 3; `--max-credits 30` never spends more than 30 (read from the simulator's
 * ledger); without the environment it refuses with a clear message; the key appears nowhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_TEST_COMMAND, PACT_FILE, PACT_FILE_NAME, PROJECT_ROOT } from '../consumer/pact-config.js';
import { loadPact } from '../pact-spec/compare-pact.js';
import {
  startSimulator,
  VERIFICATION_ARGS,
  type InProcessSimulator,
} from '../provider/in-process-simulator.js';
import {
  allOf,
  changeStatus,
  dropHeader,
  renameField,
  startRewritingProxy,
  type Rewrite,
} from '../provider/rewriting-proxy.js';
import { readCassette } from '../../mock-server/src/cassette/cassette.js';
import { main } from './cli.js';
import { matchResponse, formatToRegex, type PactHttpResponse } from './pact-match.js';
import { replayRequest, whyNotReplayable, type ReplayableInteraction } from './pact-replay.js';

/** The "real" key: the only key the simulator knows (no dev key), so every replacement is proven. */
const LIVE_KEY = 'sk-live-7f3a9c1e5b2d4680-do-not-print';
const BALANCE = 100;

let sim: InProcessSimulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator([...VERIFICATION_ARGS, '--dev-key=off', `--key=${LIVE_KEY}=${BALANCE}`]);
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-live-'));
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  junit: string;
}

let runs = 0;

/** Runs the CLI in-process against `baseUrl`, with the simulator's clock as its sleep. */
async function runLive(
  args: string[],
  options: { baseUrl?: string; apiKey?: string; env?: NodeJS.ProcessEnv; target?: InProcessSimulator } = {},
): Promise<Run> {
  const target = options.target ?? sim;
  const junitFile = join(dir, `run-${++runs}.junit.xml`);
  let stdout = '';
  let stderr = '';
  const env = options.env ?? {
    DREAMCORE_BASE_URL: options.baseUrl ?? target.url,
    DREAMCORE_API_KEY: options.apiKey ?? LIVE_KEY,
  };
  const code = await main(['--junit', junitFile, ...args], {
    env,
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: PROJECT_ROOT,
    sleep: async (ms) => void (await target.control.advanceClock(ms)),
  });
  let junit = '';
  try {
    junit = readFileSync(junitFile, 'utf8');
  } catch {
    // No report: the run refused to start.
  }
  // Whatever happened, the key is nowhere.
  expect(stdout).not.toContain(LIVE_KEY);
  expect(stderr).not.toContain(LIVE_KEY);
  expect(junit).not.toContain(LIVE_KEY);
  return { code, stdout, stderr, junit };
}

async function withProxy<T>(rewrite: Rewrite, body: (url: string) => Promise<T>, target = sim): Promise<T> {
  const proxy = await startRewritingProxy(target.url, rewrite);
  try {
    return await body(proxy.url);
  } finally {
    await proxy.close();
  }
}

/** Lines of the summary (after the progress lines) for one outcome. */
function summaryLines(stdout: string, label: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(`  ${label} `));
}

async function debits(): Promise<number> {
  const account = await sim.control.account(LIVE_KEY);
  return (account?.ledger ?? []).filter((e) => e.kind === 'debit').reduce((sum, e) => sum - e.amount, 0);
}

describe('the command line', () => {
  it('refuses to run without DREAMCORE_BASE_URL and DREAMCORE_API_KEY, saying which, sending nothing', async () => {
    const before = (await sim.control.journal()).length;
    const none = await runLive([], { env: {} });
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('refuses to run: DREAMCORE_BASE_URL and DREAMCORE_API_KEY are not set');
    expect(none.junit).toBe('');

    const noKey = await runLive([], { env: { DREAMCORE_BASE_URL: sim.url } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('DREAMCORE_API_KEY is not set');
    expect(noKey.stderr).not.toContain('DREAMCORE_BASE_URL is');

    const badUrl = await runLive([], { env: { DREAMCORE_BASE_URL: 'ftp://x', DREAMCORE_API_KEY: LIVE_KEY } });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('DREAMCORE_BASE_URL is not an http(s) URL');
    expect((await sim.control.journal()).length).toBe(before);
  });

  it('the script refuses the same way as a process (npx tsx scripts/contracts-live.ts)', () => {
    const env = { ...process.env };
    delete env.DREAMCORE_BASE_URL;
    delete env.DREAMCORE_API_KEY;
    const result = spawnSync('npx', ['tsx', 'scripts/contracts-live.ts'], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('contracts:live refuses to run');
  });

  it('--help lists the options, the environment and the exit codes', async () => {
    const help = await runLive(['--help']);
    expect(help.code).toBe(0);
    for (const text of [
      '--max-credits <n>',
      '--junit <file>',
      '--timeout-ms <ms>',
      'DREAMCORE_API_KEY',
      'Exit codes',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('refuses a bad option value with exit 2', async () => {
    const bad = await runLive(['--max-credits', '-5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-credits/);
  });
});

describe('on a fresh clone, without pacts/ (item 19)', () => {
  const pactIn = (root: string) => join(root, 'pacts', PACT_FILE_NAME);

  it('builds the pact with the consumer tests first, says so, and then checks as usual', async () => {
    const root = mkdtempSync(join(dir, 'fresh-'));
    const run = await runLive(['--pact', pactIn(root)]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('is missing: building it with the consumer tests');
    expect(run.stdout).toContain(CONSUMER_TEST_COMMAND);
    expect(existsSync(pactIn(root))).toBe(true);
    expect(run.stdout).toMatch(/PASS .*pact: "a status request for an unknown task"/);
    expect(summaryLines(run.stdout, 'FAIL')).toEqual([]);
  });

  it('refuses with the set-up exit code and the command to run when the pact cannot be built', async () => {
    const blocker = join(dir, 'a-file-not-a-directory');
    writeFileSync(blocker, 'x');
    const before = (await sim.control.journal()).length;
    const run = await runLive(['--pact', pactIn(blocker)]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('could not build the pact');
    expect(run.stderr).toContain(CONSUMER_TEST_COMMAND);
    expect(run.stderr).not.toContain('differs from openapi.yaml');
    expect(run.junit).toBe('');
    expect((await sim.control.journal()).length).toBe(before); // nothing was sent
  });

  it('refuses a --pact file that is missing and not one the consumer tests write (exit 4)', async () => {
    const run = await runLive(['--pact', join(dir, 'elsewhere.json')]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('elsewhere.json does not exist');
  });
});

describe('against a conforming provider (the simulator)', () => {
  it('passes every free check and every replayable pact interaction, spending nothing', async () => {
    const run = await runLive([]);
    expect(run.code, run.stdout).toBe(0);
    expect(summaryLines(run.stdout, 'DRIFT')).toEqual([]);
    expect(summaryLines(run.stdout, 'FAIL')).toEqual([]);
    expect(summaryLines(run.stdout, 'TRANSIENT')).toEqual([]);
    // Seven free checks and the three interactions that need no setup.
    expect(summaryLines(run.stdout, 'PASS')).toHaveLength(10);
    for (const description of [
      'a generate request without an Authorization header',
      'a generate request with an unknown API key',
      'a status request for an unknown task',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`PASS .*pact: "${description}"`));
    }
    expect(run.stdout).toContain('credits spent 0 of 0');
    expect(await debits()).toBe(0);
    expect(await sim.control.tasks({ apiKey: LIVE_KEY })).toEqual([]);

    expect(run.junit).toMatch(/<testsuites name="dreamcore-live" tests="\d+" failures="0" errors="0"/);
    expect(run.junit).toContain(
      'name="[inferred] GET /api/status for an unknown well-formed task id -&gt; 404"',
    );
    expect(run.junit).toContain('name="[documented] POST /api/generate without an API key -&gt; 401"');
  });

  it('replays pact interactions with the real key only where the interaction expects it to be accepted', () => {
    const pact = loadPact(PACT_FILE);
    const byDescription = (d: string) =>
      pact.interactions.find((i) => i.description === d) as ReplayableInteraction;
    const notFound = replayRequest(byDescription('a status request for an unknown task'), LIVE_KEY);
    expect(notFound.headers.Authorization).toBe(`Bearer ${LIVE_KEY}`);
    const unknownKey = replayRequest(byDescription('a generate request with an unknown API key'), LIVE_KEY);
    expect(unknownKey.headers.Authorization).toBe('Bearer sk-dreamcore-not-a-real-key');
    const noKey = replayRequest(
      byDescription('a generate request without an Authorization header'),
      LIVE_KEY,
    );
    expect(Object.keys(noKey.headers).map((h) => h.toLowerCase())).not.toContain('authorization');
    // Nothing that costs credits or needs setup is replayed.
    const replayable = pact.interactions
      .filter((i) => whyNotReplayable(i as ReplayableInteraction, LIVE_KEY) === undefined)
      .map((i) => i.description)
      .sort();
    expect(replayable).toEqual([
      'a generate request with an unknown API key',
      'a generate request without an Authorization header',
      'a status request for an unknown task',
    ]);
  });

  it('--max-credits 30 runs lifecycles cheapest first and the ledger shows at most 30 spent', async () => {
    await sim.control.reset();
    const run = await runLive(['--max-credits', '30']);
    expect(run.code, run.stdout).toBe(0);
    // 12 (text-to-image basic) + 18 (text-to-image high) = 30; the rest does not fit.
    expect(await debits()).toBe(30);
    expect(await debits()).toBeLessThanOrEqual(30);
    const tasks = await sim.control.tasks({ apiKey: LIVE_KEY });
    expect(tasks.map((t) => [t.preset, t.record.status]).sort()).toEqual([
      ['text-to-image-basic', 'SUCCESS'],
      ['text-to-image-high', 'SUCCESS'],
    ]);
    expect(run.stdout).toMatch(/PASS .*lifecycle: text-to-image-basic \(12 credits\)/);
    expect(run.stdout).toMatch(
      /SKIP .*lifecycle: edit-basic \(18 credits\)[^\n]*\n\s+budget: costs 18 credits, 0 of --max-credits 30 left/,
    );
    expect(run.stdout).toMatch(/SKIP .*lifecycle: burst \(48 credits\)/);
    expect(run.stdout).toContain('credits spent 30 of 30');
    expect(run.junit).toContain('<property name="credits_spent" value="30"/>');
  });

  it('a budget below the cheapest preset creates no task; a failed task is refunded and still counted', async () => {
    await sim.control.reset();
    const tooSmall = await runLive(['--max-credits', '11']);
    expect(tooSmall.code).toBe(0);
    expect(await debits()).toBe(0);
    expect(tooSmall.stdout).toContain('budget: costs 12 credits, 11 of --max-credits 11 left');

    // A rule acts on the next N matching requests, whatever becomes of them: the free check that sends a
    // generate without a prompt (with this key) spends the first, the lifecycle's generate the second.
    await sim.control.addFault({
      match: { method: 'POST', path: '/api/generate', apiKey: LIVE_KEY },
      action: { task: { outcome: 'failed', errorMessage: 'upstream moderation', durationMs: 20_000 } },
      times: 2,
    });
    const failed = await runLive(['--max-credits', '20']);
    expect(failed.code, failed.stdout).toBe(0);
    expect(failed.stdout).toContain('FAILED ("upstream moderation"), refunded: consumed_credits 0');
    // The refund is not spent again: 12 counted, 8 left, so text-to-image high (18) is skipped.
    expect(failed.stdout).toContain('budget: costs 18 credits, 8 of --max-credits 20 left');
    expect(await debits()).toBe(12);
    expect((await sim.control.account(LIVE_KEY))?.balance).toBe(BALANCE);
  });
});

describe('against a drifting stand-in', () => {
  it('a renamed field and a changed status are drift, with where and provenance; exit 1', async () => {
    const drifting = allOf(
      renameField('type', 'kind'),
      changeStatus(404, 400, (request) => request.path === '/api/status'),
    );
    const run = await withProxy(drifting, (url) => runLive([], { baseUrl: url }));
    expect(run.code).toBe(1);
    expect(summaryLines(run.stdout, 'PASS')).toEqual([]);
    expect(summaryLines(run.stdout, 'DRIFT').length).toBe(10);
    // Where, what, and whether the spec's point was documented or inferred.
    expect(run.stdout).toContain('status: expected 404, got 400: "Task not found" (inferred)');
    expect(run.stdout).toContain("body.data: must have required property 'type' (inferred)");
    expect(run.stdout).toContain('body.data: must NOT have additional properties: "kind" (inferred)');
    // The 401 is documented, but the envelope's `data.type` is our inference: the finding says so.
    expect(run.stdout).toMatch(
      /DRIFT +\[documented\] pact: "a generate request with an unknown API key" -> 401/,
    );
    expect(run.stdout).toContain('pact $.data: missing key(s) type (present: kind) (inferred)');
    expect(run.junit).toContain('<failure type="drift"');
    expect(run.junit).toMatch(/failures="10" errors="0"/);
  });

  it('a 401 answered 403 on a documented point is drift marked documented', async () => {
    const run = await withProxy(changeStatus(401, 403), (url) => runLive([], { baseUrl: url }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/DRIFT +\[documented\] POST \/api\/generate without an API key -> 401/);
    expect(run.stdout).toContain('status: status 403 is not listed for POST /api/generate');
  });

  it('dropping Retry-After from 429s is drift in a lifecycle, though the client copes', async () => {
    // One status request a minute: the first poll, 15 s after the generate, meets a 429.
    const limited = await startSimulator([
      ...VERIFICATION_ARGS,
      '--dev-key=off',
      `--key=${LIVE_KEY}=${BALANCE}`,
      '--rate-limit=generate=20/10s,status=1/60s',
    ]);
    try {
      const run = await withProxy(
        dropHeader('Retry-After'),
        (url) => runLive(['--max-credits', '12'], { baseUrl: url, target: limited }),
        limited,
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/DRIFT .*lifecycle: text-to-image-basic/);
      expect(run.stdout).toContain(
        'GET /api/status 429 header Retry-After: required header Retry-After is missing (inferred)',
      );
      expect(run.stdout).toMatch(/task sd45_[0-9a-f]{16}: SUCCESS with 1 image\(s\)/);
    } finally {
      await limited.close();
    }
  });

  it('a provider that echoes the key in a message has it redacted in stdout and the JUnit file', async () => {
    const echo: Rewrite = (response, request) =>
      request.headers.authorization === `Bearer ${LIVE_KEY}` && response.status === 404
        ? {
            ...response,
            status: 400,
            body: { code: 400, message: `bad ${request.headers.authorization}`, data: null },
          }
        : response;
    const run = await withProxy(echo, (url) => runLive([], { baseUrl: url }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('got 400: "bad Bearer [redacted]"');
    expect(run.junit).toContain('bad Bearer [redacted]');
  });
});

describe('through the proxy (--through-proxy)', () => {
  it("runs every check through the simulator's proxy and keeps the cassette of what the API said beside the JUnit file", async () => {
    await sim.control.reset();
    const run = await runLive(['--through-proxy', '--max-credits', '12']);
    expect(run.code, run.stdout).toBe(0);
    expect(summaryLines(run.stdout, 'PASS')).toHaveLength(11); // the ten free and pact checks, one lifecycle
    expect(run.stdout).toContain("through: the simulator's proxy, recording to");
    const cassetteFile = join(dir, `run-${runs}.cassette.json`);
    expect(run.stdout).toMatch(/Cassette: .*\.cassette\.json \(\d+ exchanges, keys redacted\)/);
    // The report names the live API, and the cassette that holds its answers.
    expect(run.junit).toContain(`<property name="base_url" value="${sim.url}"/>`);
    expect(run.junit).toMatch(/<property name="cassette" value="[^"]*run-\d+\.cassette\.json"\/>/);
    const text = readFileSync(cassetteFile, 'utf8');
    expect(text).not.toContain(LIVE_KEY);
    const cassette = await readCassette(cassetteFile);
    expect(cassette.target).toBe(sim.url);
    const statuses = cassette.exchanges.map(
      (e) => `${e.request.method} ${e.request.path} ${e.response?.status}`,
    );
    expect(statuses).toContain('POST /api/generate 401');
    expect(statuses).toContain('GET /api/status 404');
    expect(statuses).toContain('POST /api/generate 400');
    expect(statuses.filter((s) => s === 'POST /api/generate 200')).toHaveLength(1); // the lifecycle's, 12 credits
    expect(await debits()).toBe(12);

    // The evidence replays: the same check against the cassette, with no live API behind it, passes.
    const replay = await startSimulator([...VERIFICATION_ARGS, `--replay=${cassetteFile}`]);
    try {
      const again = await runLive(['--max-credits', '12'], { target: replay });
      expect(again.code, again.stdout).toBe(0);
      expect(summaryLines(again.stdout, 'PASS')).toHaveLength(11);
    } finally {
      await replay.close();
    }
  });
});

describe('transient problems and failures', () => {
  it('503s are transient, reported apart from drift; exit 3', async () => {
    const unavailable = allOf(
      changeStatus(404, 503, (request) => request.path === '/api/status'),
      changeStatus(401, 503, (request) => request.path === '/api/status'),
    );
    const run = await withProxy(unavailable, (url) => runLive([], { baseUrl: url }));
    expect(run.code).toBe(3);
    expect(summaryLines(run.stdout, 'DRIFT')).toEqual([]);
    expect(summaryLines(run.stdout, 'TRANSIENT')).toHaveLength(5);
    expect(run.stdout).toContain('answered 503: "Task not found": a transient answer, not a verdict');
    expect(run.junit).toContain('<error type="transient"');
    expect(run.stdout).toContain('no drift found, but some checks met transient problems');
  });

  it('an unreachable provider is transient, not drift', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const run = await runLive(['--timeout-ms', '2000'], { baseUrl: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(3);
    expect(summaryLines(run.stdout, 'TRANSIENT')).toHaveLength(10);
    expect(run.stdout).toContain('network error: fetch failed (ECONNREFUSED)');
  });

  it('a refused key is a fail (fix the key), not drift', async () => {
    const run = await runLive(['--max-credits', '12'], { apiKey: 'sk-live-revoked-key' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL .*GET \/api\/status for an unknown well-formed task id/);
    expect(run.stdout).toContain(
      'the API key was refused (answered 401: "Invalid API key"): check DREAMCORE_API_KEY',
    );
    expect(run.stdout).toMatch(/FAIL .*lifecycle: text-to-image-basic/);
    expect(run.junit).toContain('<failure type="fail"');
  });
});

describe('the pact matcher', () => {
  const notFound: PactHttpResponse = {
    status: 404,
    headers: { 'Content-Type': ['application/json'] },
    body: { content: { code: 404, message: 'Task not found', data: { type: 'not_found' } } },
    matchingRules: {
      body: { '$.message': { combine: 'AND', matchers: [{ match: 'type' }] } },
      header: {
        'Content-Type': { combine: 'AND', matchers: [{ match: 'regex', regex: '^application/json(;.*)?$' }] },
      },
    },
  };
  const actual = (status: number, json: unknown, contentType = 'application/json; charset=utf-8') => ({
    status,
    headers: new Headers({ 'content-type': contentType }),
    json,
    isJson: true,
    text: JSON.stringify(json),
  });

  it('passes a matching answer: any message, extra keys allowed', () => {
    const result = matchResponse(
      notFound,
      actual(404, { code: 404, message: 'Nope', data: { type: 'not_found', x: 1 } }),
    );
    expect(result).toEqual({ mismatches: [], unsupported: [] });
  });

  it('names each mismatch: status, header, exact value, type', () => {
    const result = matchResponse(
      notFound,
      actual(400, { code: 400, message: 3, data: { type: 'invalid_request' } }, 'text/html'),
    );
    expect(result.mismatches).toEqual([
      { where: 'status', message: 'expected 404, got 400' },
      { where: 'header Content-Type', message: '"text/html" does not match /^application/json(;.*)?$/' },
      { where: '$.code', message: 'expected 404, got 400' },
      { where: '$.message', message: 'expected a string, got 3' },
      { where: '$.data.type', message: 'expected "not_found", got "invalid_request"' },
    ]);
  });

  it('eachLike arrays, arrayContains and datetimes, as the consumer tests write them', () => {
    const expected: PactHttpResponse = {
      status: 200,
      body: {
        content: {
          response: ['https://x/0.jpg'],
          errors: [{ field: 'body.aspectRatio', message: 'm' }],
          created_at: '2025-06-14T05:21:11Z',
        },
      },
      matchingRules: {
        body: {
          '$.response': { matchers: [{ match: 'type', min: 1 }] },
          '$.response[*]': { matchers: [{ match: 'regex', regex: '^https?://\\S+$' }] },
          '$.errors': {
            matchers: [
              {
                match: 'arrayContains',
                variants: [{ index: 0, rules: { '$.message': { matchers: [{ match: 'type' }] } } }],
              },
            ],
          },
          '$.created_at': { matchers: [{ match: 'datetime', format: "yyyy-MM-dd'T'HH:mm:ss'Z'" }] },
        },
      },
    };
    const good = {
      response: ['https://a/0.jpg', 'http://b/1.jpg'],
      errors: [
        { field: 'x', message: '' },
        { field: 'body.aspectRatio', message: 'other' },
      ],
      created_at: '2026-01-02T03:04:05Z',
    };
    expect(matchResponse(expected, actual(200, good)).mismatches).toEqual([]);
    const bad = {
      response: [],
      errors: [{ field: 'body.prompt', message: 'm' }],
      created_at: '2026-01-02 03:04:05',
    };
    expect(matchResponse(expected, actual(200, bad)).mismatches.map((m) => m.where)).toEqual([
      '$.response',
      '$.errors',
      '$.created_at',
    ]);
    expect(formatToRegex("yyyy-MM-dd'T'HH:mm:ss'Z'")?.test('2025-06-14T05:21:11Z')).toBe(true);
  });

  it('reports a matcher it cannot evaluate instead of passing it', () => {
    const expected: PactHttpResponse = {
      status: 200,
      body: { content: { a: 'x' } },
      matchingRules: { body: { '$.a': { matchers: [{ match: 'semver' }] } } },
    };
    expect(matchResponse(expected, actual(200, { a: 'y' })).unsupported).toEqual(['matcher "semver"']);
  });
});
