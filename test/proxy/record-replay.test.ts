/**
 * Recording (--record) and replay (--replay): a session recorded through the proxy in front of a
 * second simulator replays, with no network at all, to the same client-visible results; a task's
 * answers follow the simulator's clock (or the polls); images are the simulator's own, of the
 * recorded size; a request the cassette cannot answer gets a 404 naming the nearest recorded one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessSimulator } from '../../contracts/provider/in-process-simulator.js';
import { renameField, slowAnswers, startRewritingProxy } from '../../contracts/provider/rewriting-proxy.js';
import { readCassette, type Cassette } from '../../mock-server/src/cassette/cassette.js';
import {
  BODY,
  LIVE_KEY,
  call,
  driftOf,
  startGatewaySimulator,
  startLive,
  startProxy,
  LIGHTHOUSE,
  FAILURE,
  BAD_DAY_FAULTS,
  visible,
  type Answer,
  type TestProxy,
} from './support.js';

/** The replaying client's key: another one than the recording's, as in CI. */
const REPLAY_KEY = 'sk-ci-replay-0000000000000000';

let dir: string;
let live: InProcessSimulator;
let cassetteFile: string;
let recorded: unknown[];

interface Hooks {
  /** Moves the clock of whoever answers (the live API while recording, the replay after). */
  advance(ms: number): Promise<void>;
  /** Recording only: sets the live API's bad day up. */
  beforeStep?(step: string): Promise<void>;
}

/** A client's session with a bad day in it, as the client sees it (image origins made comparable). */
async function session(url: string, key: string, hooks: Hooks): Promise<unknown[]> {
  const seen: unknown[] = [];
  const see = (a: Answer) => {
    seen.push(
      JSON.parse(
        JSON.stringify(visible(a))
          .replaceAll(url, 'ORIGIN')
          .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'ORIGIN'),
      ),
    );
    return a;
  };
  const step = async (name: string) => hooks.beforeStep?.(name);
  const a = see(await call(url, 'POST', '/api/generate', { key, body: BODY })).json.data.task_id as string;
  see(await call(url, 'GET', `/api/status?task_id=${a}`, { key }));
  await hooks.advance(60_000);
  see(await call(url, 'GET', `/api/status?task_id=${a}`, { key }));
  await step('task fails');
  const b = see(await call(url, 'POST', '/api/generate', { key, body: LIGHTHOUSE })).json.data
    .task_id as string;
  see(await call(url, 'POST', '/api/status', { key, body: { task_id: b } }));
  await step('poll limited');
  see(await call(url, 'GET', `/api/status?task_id=${b}`, { key }));
  await hooks.advance(60_000);
  see(await call(url, 'GET', `/api/status?task_id=${b}`, { key }));
  see(await call(url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key }));
  see(await call(url, 'POST', '/api/generate', { body: BODY }));
  await step('generate fails');
  see(await call(url, 'POST', '/api/generate', { key, body: BODY }));
  return seen;
}

const liveBadDay: Hooks['beforeStep'] = async (step) => {
  const rule = BAD_DAY_FAULTS[step];
  if (rule) await live.control.addFault(rule);
};

async function replayOf(file: string, extra: string[] = []): Promise<TestProxy> {
  return startGatewaySimulator([`--replay=${file}`, ...extra]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-replay-'));
  cassetteFile = join(dir, 'session.cassette.json');
  live = await startLive(['--rate-limit=generate=20/10s,status=60/10s']);
  const proxy = await startProxy(live.url, [`--record=${cassetteFile}`]);
  try {
    recorded = await session(proxy.url, LIVE_KEY, {
      advance: async (ms) => void (await live.control.advanceClock(ms)),
      beforeStep: liveBadDay,
    });
  } finally {
    await proxy.close();
    await live.close(); // from here on there is no live API at all
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the cassette', () => {
  let cassette: Cassette;
  let text: string;

  beforeAll(async () => {
    text = readFileSync(cassetteFile, 'utf8');
    cassette = await readCassette(cassetteFile);
  });

  it('is a versioned document of every exchange that reached the live API, in arrival order', () => {
    expect(cassette).toMatchObject({
      format: 'dreamcore-cassette',
      version: 1,
      target: live.url,
      recorder: expect.stringMatching(/^dreamcore-simulator \d+\.\d+\.\d+$/),
    });
    expect(new Date(cassette.recordedAt).toISOString()).toBe(cassette.recordedAt);
    // Ten requests reached it (the generate without a key got the live API's own 401).
    expect(cassette.exchanges.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const offsets = cassette.exchanges.map((e) => e.startOffsetMs);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(
      cassette.exchanges.map((e) => `${e.request.method} ${e.request.path} ${e.response?.status}`),
    ).toEqual([
      'POST /api/generate 200',
      'GET /api/status 200',
      'GET /api/status 200',
      'POST /api/generate 200',
      'POST /api/status 200',
      'GET /api/status 429',
      'GET /api/status 200',
      'GET /api/status 404',
      'POST /api/generate 401',
      'POST /api/generate 500',
    ]);
  });

  it('holds no key: Authorization only as its label, headers allowlisted and sorted, pretty-printed', () => {
    expect(text).not.toContain(LIVE_KEY);
    const first = cassette.exchanges[0]!;
    expect(first.request.headers.authorization).toBe('Bearer sk-l…aves#a3bd7c');
    expect(Object.keys(first.request.headers)).toEqual([...Object.keys(first.request.headers)].sort());
    for (const e of cassette.exchanges) {
      for (const name of Object.keys(e.request.headers))
        expect(['accept', 'authorization', 'content-type']).toContain(name);
      for (const name of Object.keys(e.response?.headers ?? {}))
        expect([
          'allow',
          'content-type',
          'retry-after',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
        ]).toContain(name);
    }
    const noKey = cassette.exchanges.find((e) => e.response?.status === 401)!;
    expect(noKey.request.headers.authorization).toBeUndefined();
    const limited = cassette.exchanges.find((e) => e.response?.status === 429)!;
    expect(limited.response!.headers['retry-after']).toBe('4');
    expect(text.startsWith('{\n  "format": "dreamcore-cassette",\n  "version": 1,')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('replay', () => {
  it('replays the session to the same client-visible results, with another key and no network', async () => {
    const replay = await replayOf(cassetteFile, ['--replay-timing=polls']);
    try {
      const again = await session(replay.url, REPLAY_KEY, {
        advance: async (ms) => void (await replay.control.advanceClock(ms)),
      });
      expect(again).toEqual(recorded);
      // And again after a reset: the cursors start over.
      await replay.control.reset();
      expect(await session(replay.url, REPLAY_KEY, { advance: async () => undefined })).toEqual(recorded);
    } finally {
      await replay.close();
    }
  });

  it("serves a replayed SUCCESS's images itself, at the recorded request's size", async () => {
    const replay = await replayOf(cassetteFile, ['--replay-timing=polls']);
    try {
      const created = await call(replay.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: BODY });
      const id = created.json.data.task_id as string;
      await call(replay.url, 'GET', `/api/status?task_id=${id}`, { key: REPLAY_KEY });
      const done = await call(replay.url, 'GET', `/api/status?task_id=${id}`, { key: REPLAY_KEY });
      expect(done.json.data.status).toBe('SUCCESS');
      const [link] = done.json.data.response as string[];
      expect(link).toBe(`${replay.url}/files/${id}/0.jpg`);
      const image = await fetch(link!);
      expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      const { width, height } = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      expect([width, height]).toEqual([4704, 3520]); // 4:3, high: the upstream's size
      expect((await fetch(`${replay.url}/files/${id}/1.jpg`)).status).toBe(404);
    } finally {
      await replay.close();
    }
  });

  it("on the simulator's clock (the default): IN_PROGRESS until the recorded end's time has passed", async () => {
    const replay = await replayOf(cassetteFile);
    try {
      const poll = async (id: string) =>
        (await call(replay.url, 'GET', `/api/status?task_id=${id}`, { key: REPLAY_KEY })).json;
      const a = (await call(replay.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: BODY })).json.data
        .task_id;
      expect((await poll(a)).data.status).toBe('IN_PROGRESS');
      expect((await poll(a)).data.status).toBe('IN_PROGRESS'); // the clock did not move
      await replay.control.advanceClock(3_600_000);
      expect((await poll(a)).data.status).toBe('SUCCESS');
      const b = (await call(replay.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: LIGHTHOUSE })).json
        .data.task_id;
      expect((await poll(b)).data.status).toBe('IN_PROGRESS');
      await replay.control.advanceClock(3_600_000);
      // The recorded 429, once, at the first poll after its time; then the recorded end.
      expect((await poll(b)).code).toBe(429);
      expect((await poll(b)).data).toMatchObject({
        status: 'FAILED',
        consumed_credits: 0,
        error_message: FAILURE,
      });
      expect((await poll(b)).data.status).toBe('FAILED');
    } finally {
      await replay.close();
    }
  });

  it('answers a request it has no recording of with 404 naming the nearest recorded request and the difference', async () => {
    const replay = await replayOf(cassetteFile);
    try {
      const miss = await call(replay.url, 'POST', '/api/generate', {
        key: REPLAY_KEY,
        body: { ...BODY, aspectRatio: '16:9' },
      });
      expect(miss.status).toBe(404);
      expect(miss.headers.get('x-mock-injected')).toBe('replay-miss');
      expect(miss.json.data.type).toBe('not_found');
      expect(miss.json.message).toContain('No recorded answer for POST /api/generate');
      expect(miss.json.message).toContain('The nearest recorded request is #1 POST /api/generate');
      expect(miss.json.message).toContain('body.aspectRatio (recorded "4:3", sent "16:9")');
      const unknown = await call(replay.url, 'GET', '/api/status?task_id=sd45_1111111111111111', {
        key: REPLAY_KEY,
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json.message).toMatch(
        /nearest recorded request is #\d+ GET \/api\/status\?task_id=sd45_[0-9a-f]{16}, which differs in query\.task_id \(recorded "sd45_[0-9a-f]{16}", sent "sd45_1111111111111111"\)$/,
      );
      const noKey = await call(replay.url, 'GET', '/api/status?task_id=sd45_0000000000000000');
      expect(noKey.json.message).toContain('Authorization (recorded with a key, sent without)');
    } finally {
      await replay.close();
    }
  });

  it('cycles: a request sent more often than it was recorded gets its recordings again, in order', async () => {
    const replay = await replayOf(cassetteFile);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await call(replay.url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key: REPLAY_KEY }))
            .status,
        );
      expect(statuses).toEqual([404, 404, 404]);
      // Recorded: BODY answered 200 (task a), then 500. Sent four times: 200, 500, 200, 500.
      const answers = [];
      for (let i = 0; i < 4; i++)
        answers.push(
          (await call(replay.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: BODY })).status,
        );
      expect(answers).toEqual([200, 500, 200, 500]);
    } finally {
      await replay.close();
    }
  });

  it("holds a recording to today's spec: drift reported, and --proxy-strict answers 502", async () => {
    const dirty = join(dir, 'drifting.cassette.json');
    const liveAgain = await startLive();
    const stand = await startRewritingProxy(liveAgain.url, renameField('task_id', 'taskId'));
    const recorder = await startProxy(stand.url, [`--record=${dirty}`]);
    try {
      await call(recorder.url, 'POST', '/api/generate', { key: LIVE_KEY, body: BODY });
    } finally {
      await recorder.close();
      await stand.close();
      await liveAgain.close();
    }
    const lenient = await replayOf(dirty);
    const strict = await replayOf(dirty, ['--proxy-strict=on']);
    try {
      expect((await call(lenient.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: BODY })).status).toBe(
        200,
      );
      expect((await driftOf(lenient.url)).by_place[0]).toMatchObject({
        pointer: '#/components/schemas/GenerateResponse/properties/data/required',
      });
      const refused = await call(strict.url, 'POST', '/api/generate', { key: REPLAY_KEY, body: BODY });
      expect([refused.status, refused.headers.get('x-mock-injected')]).toEqual([502, 'proxy-strict']);
      expect(refused.json.message).toContain('The recorded answer (200) breaks openapi.yaml');
    } finally {
      await lenient.close();
      await strict.close();
    }
  });

  it('records a time-out as one, and replays it as the 504 the client got', async () => {
    const slowFile = join(dir, 'slow.cassette.json');
    const liveAgain = await startLive();
    const stand = await startRewritingProxy(liveAgain.url, slowAnswers(30_000));
    const recorder = await startProxy(stand.url, [`--record=${slowFile}`, '--proxy-timeout-ms=200']);
    try {
      expect(
        (await call(recorder.url, 'GET', '/api/status?task_id=sd45_0000000000000000', { key: LIVE_KEY }))
          .status,
      ).toBe(504);
    } finally {
      await recorder.close();
      await stand.close();
      await liveAgain.close();
    }
    const cassette = await readCassette(slowFile);
    expect(cassette.exchanges[0]).toMatchObject({ error: { kind: 'timeout' } });
    expect(cassette.exchanges[0]!.response).toBeUndefined();
    const replay = await replayOf(slowFile);
    try {
      const answer = await call(replay.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
        key: REPLAY_KEY,
      });
      expect([answer.status, answer.json.data.type]).toEqual([504, 'gateway_timeout']);
      expect(answer.json.message).toContain('(as recorded)');
    } finally {
      await replay.close();
    }
  });

  it('refuses to start on a file that is not a cassette of its version, naming it', async () => {
    const wrong = join(dir, 'v2.json');
    writeFileSync(wrong, JSON.stringify({ format: 'dreamcore-cassette', version: 2, exchanges: [] }));
    await expect(replayOf(wrong)).rejects.toThrow(
      /--replay: .*v2\.json is a cassette of version 2; this simulator reads version 1/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ format: 'dreamcore-cassette', version: 1, target: 'x', exchanges: [{}] }),
    );
    await expect(replayOf(broken)).rejects.toThrow(/is not a cassette of version 1/);
  });
});

describe('a cassette that cannot be written', () => {
  it('is reported in the log, and the client still gets the live answer', async () => {
    const gone = mkdtempSync(join(dir, 'gone-'));
    const liveAgain = await startLive();
    const recorder = await startProxy(liveAgain.url, [`--record=${join(gone, 'c.json')}`]);
    try {
      rmSync(gone, { recursive: true, force: true }); // its directory disappears under it
      const answer = await call(recorder.url, 'GET', '/api/status?task_id=sd45_0000000000000000', {
        key: LIVE_KEY,
      });
      expect(answer.status).toBe(404);
      expect(recorder.logs()).toContain('could not write the cassette');
    } finally {
      await recorder.close();
      await liveAgain.close();
    }
  });
});

describe('redaction in a recording', () => {
  it('replaces the key wherever it appears: query values with secret names, bodies, echoed answers', async () => {
    const file = join(dir, 'secrets.cassette.json');
    const liveAgain = await startLive();
    const recorder = await startProxy(liveAgain.url, [`--record=${file}`]);
    try {
      await call(recorder.url, 'GET', `/api/status?task_id=sd45_0000000000000000&api_key=${LIVE_KEY}`, {
        key: LIVE_KEY,
      });
      await call(recorder.url, 'POST', '/api/generate', {
        key: LIVE_KEY,
        body: { ...BODY, prompt: `my key is ${LIVE_KEY}`, [LIVE_KEY]: 1 },
      });
    } finally {
      await recorder.close();
      await liveAgain.close();
    }
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(LIVE_KEY);
    const cassette = await readCassette(file);
    expect(cassette.exchanges[0]!.request.query).toEqual({
      api_key: '[redacted]',
      task_id: 'sd45_0000000000000000',
    });
    expect((cassette.exchanges[1]!.request.body as { prompt: string }).prompt).toBe('my key is [redacted]');
    // The live API's 400 named the unknown field (the key): redacted in the recorded answer too.
    expect(JSON.stringify(cassette.exchanges[1]!.response!.body)).toContain('[redacted]');
  });
});
