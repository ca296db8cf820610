/**
 * A cassette is validated whole when it is loaded (the replay at start, `npm run cassette`): its
 * format by a JSON Schema, its headers held to the recorder's allowlists and to legal values, its
 * bodies to a depth and its file to a size, no prototype key anywhere. A malformed one is refused
 * with a message naming the file, the exchange (index, method and path) and what is wrong, and the
 * process exits with it at start: it never starts and fails later.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCassette, type Cassette } from '../../mock-server/src/cassette/cassette.js';
import { MAX_CASSETTE_BYTES, MAX_NESTING } from '../../mock-server/src/cassette/cassette-validation.js';
import { CassetteReplay } from '../../mock-server/src/cassette/replay.js';
import { main as cassetteCli } from '../../scripts/cassette.js';
import { MAIN_JS } from '../support/spawn-simulator.js';
import { ROOT } from '../support/spec-walk.js';
import { BODY, RECORDED_GENERATE, cassetteOf, startGatewaySimulator, writeCassette } from './support.js';

const TASK = 'sd45_0123456789abcdef';
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-cassette-validation-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A recorded generate and a poll that saw it succeed; `record` changes the recorded task record. */
function recordedTask(record: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return [
    {
      request: RECORDED_GENERATE,
      response: {
        status: 200,
        headers: JSON_TYPE,
        body: { code: 200, message: 'success', data: { task_id: TASK } },
      },
    },
    {
      request: {
        ...RECORDED_GENERATE,
        method: 'GET',
        path: '/api/status',
        query: { task_id: TASK },
        body: undefined,
      },
      response: {
        status: 200,
        headers: JSON_TYPE,
        body: {
          code: 200,
          message: 'success',
          data: {
            task_id: TASK,
            status: 'SUCCESS',
            request: BODY,
            response: ['https://cdn.example/0.jpg'],
            consumed_credits: 18,
            error_message: null,
            created_at: '2026-01-01T00:00:00Z',
            ...record,
          },
        },
      },
    },
  ];
}

const GOOD_ANSWER = {
  status: 200,
  headers: JSON_TYPE,
  body: { code: 200, message: 'success', data: { task_id: TASK } },
};

/** Each defect: the cassette, and what the refusal must say (after the file and the exchange). */
const MALFORMED: Array<{ what: string; cassette: () => Cassette | string; says: RegExp }> = [
  {
    what: 'a header value with CR/LF',
    cassette: () =>
      cassetteOf([
        {
          request: RECORDED_GENERATE,
          response: { ...GOOD_ANSWER, headers: { 'content-type': 'application/json\r\nSet-Cookie: a=b' } },
        },
      ]),
    says: /exchange at index 0 \(id 1, POST \/api\/generate\): response\.headers\["content-type"\] .*not a legal header value/,
  },
  {
    what: 'an answer header the recorder never keeps (a cookie)',
    cassette: () =>
      cassetteOf([
        {
          request: RECORDED_GENERATE,
          response: { ...GOOD_ANSWER, headers: { ...JSON_TYPE, 'set-cookie': 'a=b' } },
        },
      ]),
    says: /exchange at index 0 \(id 1, POST \/api\/generate\): response\.headers\["set-cookie"\] is not a header a cassette keeps/,
  },
  {
    what: 'a request header the recorder never keeps',
    cassette: () =>
      cassetteOf([
        {
          request: { ...RECORDED_GENERATE, headers: { ...RECORDED_GENERATE.headers, cookie: 'a=b' } },
          response: GOOD_ANSWER,
        },
      ]),
    says: /exchange at index 0 \(id 1, POST \/api\/generate\): request\.headers\.cookie is not a header a cassette keeps/,
  },
  {
    what: "a recorded task's aspectRatio of __proto__",
    cassette: () => cassetteOf(recordedTask({ request: { ...BODY, aspectRatio: '__proto__' } })),
    says: /exchange at index 1 \(id 2, GET \/api\/status\): response\.body\.data\.request\.aspectRatio .*"__proto__"/,
  },
  {
    what: 'a prototype key in a body',
    cassette: () =>
      `{"format":"dreamcore-cassette","version":1,"target":"https://api.example","recordedAt":"2026-01-01T00:00:00.000Z","recorder":"x","exchanges":[{"id":1,"startOffsetMs":0,"durationMs":1,"request":{"method":"POST","path":"/api/generate","query":{},"headers":{},"body":{"__proto__":{"polluted":true}}},"response":{"status":200,"headers":{}}}]}`,
    says: /exchange at index 0 \(id 1, POST \/api\/generate\): request\.body\.__proto__ is a prototype key/,
  },
  {
    what: 'a body nested 20,000 deep',
    cassette: () =>
      JSON.stringify(cassetteOf([{ request: RECORDED_GENERATE, response: GOOD_ANSWER }])).replace(
        '"body":{"code":200',
        `"body":{"deep":${'['.repeat(20_000)}${']'.repeat(20_000)},"code":200`,
      ),
    says: new RegExp(
      `exchange at index 0 \\(id 1, POST /api/generate\\): response\\.body\\.deep.* nested deeper than ${MAX_NESTING}`,
    ),
  },
  {
    what: 'an id that appears twice',
    cassette: () => {
      const c = cassetteOf([
        { request: RECORDED_GENERATE, response: GOOD_ANSWER },
        { request: RECORDED_GENERATE, response: GOOD_ANSWER },
      ]);
      c.exchanges[1]!.id = 1;
      return c;
    },
    says: /exchange at index 1 \(id 1, POST \/api\/generate\): id 1 appears twice \(also at index 0\)/,
  },
  {
    what: 'a path that is not one',
    cassette: () =>
      cassetteOf([
        { request: { ...RECORDED_GENERATE, path: '/api/generate\n<script>' }, response: GOOD_ANSWER },
      ]),
    says: /exchange at index 0 \(id 1, POST "\/api\/generate\\n<script>"\): request\.path must match pattern/,
  },
];

describe('a malformed cassette is refused at load, naming the file, the exchange and what is wrong', () => {
  for (const { what, cassette, says } of MALFORMED) {
    it(what, async () => {
      const file = writeCassette(dir, `${what.replace(/\W+/g, '-')}.json`, cassette());
      const refusal = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${says.source}`);
      await expect(readCassette(file)).rejects.toThrow(refusal);
      // The replay does not start: the message is the reason.
      await expect(startGatewaySimulator([`--replay=${file}`])).rejects.toThrow(
        new RegExp(`--replay: ${refusal.source.slice(1)}`),
      );
    });
  }

  it('a file over the size bound, before reading it', async () => {
    const file = join(dir, 'huge.cassette.json');
    writeCassette(dir, 'huge.cassette.json', '');
    truncateSync(file, MAX_CASSETTE_BYTES + 1); // sparse: no disk spent
    await expect(readCassette(file)).rejects.toThrow(
      new RegExp(`is larger than ${MAX_CASSETTE_BYTES} bytes`),
    );
  });

  it('the process exits at start with the message (exit 1), not later', () => {
    const file = writeCassette(dir, 'crlf-process.json', MALFORMED[0]!.cassette());
    const run = spawnSync(process.execPath, [MAIN_JS, '--port=0', `--replay=${file}`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `failed to start: --replay: ${file}: exchange at index 0 (id 1, POST /api/generate)`,
    );
    expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('npm run cassette -- to-scenario reads through the same validation (exit 2, the message)', async () => {
    const file = writeCassette(dir, 'crlf-cli.json', MALFORMED[0]!.cassette());
    const err: string[] = [];
    const code = await cassetteCli(['to-scenario', file], {
      stdout: () => undefined,
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(2);
    expect(err.join('')).toContain(
      `${file}: exchange at index 0 (id 1, POST /api/generate): response.headers["content-type"]`,
    );
  });
});

describe('the replay reads recorded values as data, never as keys of its tables', () => {
  it("a recorded aspectRatio or quality that names a prototype property gives no image size (not Object's)", () => {
    for (const request of [
      { ...BODY, aspectRatio: '__proto__', quality: 'high' },
      { ...BODY, aspectRatio: '__proto__', quality: 'constructor' },
      { ...BODY, aspectRatio: '1:1', quality: 'constructor' },
      { ...BODY, aspectRatio: 'toString', quality: 'high' },
    ]) {
      // Not through readCassette, which refuses these: the replay itself must not be fooled either.
      const replay = new CassetteReplay(cassetteOf(recordedTask({ request })), 'polls', 'crafted.json');
      expect(replay.imageOf(TASK, 0), JSON.stringify(request)).toBeUndefined();
    }
    const replay = new CassetteReplay(cassetteOf(recordedTask()), 'polls', 'good.json');
    expect(replay.imageOf(TASK, 0)).toEqual({ width: 4704, height: 3520 });
  });

  it('a recorded task record whose response is not a list is served as recorded, not a crash', async () => {
    const file = writeCassette(dir, 'odd-record.json', cassetteOf(recordedTask({ response: 'not-a-list' })));
    const replay = await startGatewaySimulator([`--replay=${file}`, '--replay-timing=polls']);
    try {
      const poll = await fetch(`${replay.url}/api/status?task_id=${TASK}`, {
        headers: { Authorization: 'Bearer sk-any' },
      });
      expect(poll.status).toBe(200);
      expect(((await poll.json()) as { data: { response: unknown } }).data.response).toBe('not-a-list');
    } finally {
      await replay.close();
    }
  });
});
