/**
 * Hardening issue, item 18: an injected answer (X-Mock-* header, fault rule, chaos, rate limit) is QA
 * doing its job, not an error of the simulator: one request line at info, no `err`, no stack, so chaos
 * does not flood the log. Real unexpected errors are still logged at error, with their own stack, and
 * the request line never carries pino-http's synthetic "failed with status code" error.
 */
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { compose, createLogger } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import type { Store } from '../../mock-server/src/store/store.js';
import { BASE_ARGS, SAMPLE_REQUEST } from '../support/harness.js';

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string; message?: string };
  injected?: string;
  res?: { statusCode: number };
  req?: { url: string };
}

async function logging(args: string[], breakStore?: (store: Store) => void) {
  const config = parseConfig([...BASE_ARGS, '--request-log=on', '--log-level=info', ...args], {});
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { app, store } = await compose(config, { logger: createLogger(config, sink) });
  breakStore?.(store);
  return {
    http: supertest(app),
    async lines(): Promise<LogLine[]> {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as LogLine);
    },
  };
}

const auth = { Authorization: `Bearer ${DEV_KEY}` };
const ERROR = 50;
const INFO = 30;

describe('the request log', () => {
  it('logs injected 500s and 429s at info, one line each, without err or stack', async () => {
    const sim = await logging(['--rate-limit=generate=1/60s,status=60/10s']);
    await sim.http
      .post('/__mock/faults')
      .send({ match: { path: '/api/status' }, action: { status: 500 }, times: 1 });
    const answers = [
      await sim.http.post('/api/generate').set(auth).set('X-Mock-Status', '500').send(SAMPLE_REQUEST),
      await sim.http.get('/api/status').query({ task_id: 'sd45_0000000000000000' }).set(auth),
      await sim.http.post('/api/generate').set(auth).send(SAMPLE_REQUEST), // takes the only token
      await sim.http.post('/api/generate').set(auth).send(SAMPLE_REQUEST), // 429 from the limiter
    ];
    expect(answers.map((a) => a.status)).toEqual([500, 500, 200, 429]);
    const lines = (await sim.lines()).filter((l) => l.req?.url.startsWith('/api/'));
    expect(lines).toHaveLength(4);
    const injected = lines.filter((l) => l.injected !== undefined);
    expect(injected.map((l) => [l.injected, l.res?.statusCode])).toEqual([
      ['header', 500],
      ['rule_1', 500],
      ['rate-limit', 429],
    ]);
    for (const line of injected) {
      expect(line.level, JSON.stringify(line)).toBe(INFO);
      expect(line.err, JSON.stringify(line)).toBeUndefined();
      expect(JSON.stringify(line)).not.toMatch(/stack|Error:/);
    }
  });

  it('keeps chaos quiet: a hundred chaos 500s write no error line', async () => {
    const sim = await logging(['--chaos=500=1']);
    for (let i = 0; i < 100; i++) {
      expect(
        (await sim.http.get('/api/status').query({ task_id: 'sd45_0000000000000000' }).set(auth)).status,
      ).toBe(500);
    }
    const lines = await sim.lines();
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([]);
    expect(lines.filter((l) => l.injected === 'chaos')).toHaveLength(100);
  });

  it('logs a real unexpected error at error with its own stack, and the request line carries no synthetic one', async () => {
    const sim = await logging([], (store) => {
      store.countTasks = () => Promise.reject(new TypeError('the store broke'));
    });
    const res = await sim.http.get('/__mock/health');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('the store broke');
    const lines = await sim.lines();
    const errors = lines.filter((l) => l.level >= ERROR);
    const handler = errors.find((l) => l.msg === 'unhandled error');
    expect(handler?.err?.stack).toContain('TypeError: the store broke');
    const requestLine = lines.find((l) => l.req?.url === '/__mock/health');
    expect(requestLine?.level).toBe(ERROR);
    expect(JSON.stringify(requestLine)).not.toContain('failed with status code');
  });
});
