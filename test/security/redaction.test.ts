/**
 * Issue 11, item 13: an API key appeared in clear in the logs and the journal in ways the pattern
 * based redaction did not foresee. Redaction now holds by construction (request-rendering.ts): what
 * is printed is built from what the specs say is safe. Each case here printed the key before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { parseConfig } from '../../mock-server/src/config.js';
import { listen, rawRequest, type Listening } from '../qa/qa-support.js';
import { capturingSimulator, flushLogs, type CapturedSimulator } from '../support/log-capture.js';
import { SAMPLE_REQUEST } from '../support/harness.js';

const KEY = 'sk-live-7c1e9a3b5d2f4068aa11ffee';
const ENCODED = encodeURIComponent(KEY);

function expectNoKey(where: string, text: string): void {
  const at = text.indexOf(KEY);
  const context = at < 0 ? '' : `: …${text.slice(Math.max(0, at - 100), at + KEY.length + 20)}…`;
  expect(at, `${where} contains the key${context}`).toBe(-1);
}

describe('keys in request lines never reach the logs or the journal', () => {
  let sim: CapturedSimulator;
  let server: Listening;

  beforeAll(async () => {
    sim = await capturingSimulator([`--key=${KEY}=100`]);
    server = await listen(sim as never);
  });
  afterAll(() => server.close());

  it.each([
    ['an absolute-form request line', `http://127.0.0.1/__mock/accounts/${ENCODED}`],
    ['a doubled slash', `//__mock/accounts/${ENCODED}`],
    ['a dot segment', `/__mock/./accounts/${ENCODED}`],
    ['a percent-encoded letter', `/__m%6Fck/accounts/${ENCODED}`],
    ['another case', `/__MOCK/accounts/${ENCODED}`],
    ['a trailing slash', `/__mock/accounts/${ENCODED}/`],
    [
      'a key in an undeclared query parameter',
      `/api/status?task_id=sd45_0123456789abcdef&api_key=${ENCODED}`,
    ],
    ['a key as the task id', `/api/status?task_id=${ENCODED}`],
    ['a key in the path of an image', `/files/${ENCODED}/0.jpg`],
    ['a key pasted into a public path', `/api/${ENCODED}`],
  ])('%s', async (_what, path) => {
    sim.lines.length = 0;
    const outcome = await rawRequest(server.port, {
      method: 'GET',
      path,
      headers: { Authorization: `Bearer ${KEY}` },
    });
    expect(outcome.kind).toBe('response');
    await flushLogs();
    expect(sim.lines.length).toBeGreaterThan(0);
    expectNoKey('the log', sim.text());
    const { entries } = await sim.store.queryJournal({ limit: 500 });
    expectNoKey('the journal', JSON.stringify(entries));
  });

  it('an unmatched path still says where it went: the spec words, and * for the rest', async () => {
    sim.lines.length = 0;
    await rawRequest(server.port, { method: 'GET', path: `/api/generat/${ENCODED}` });
    await flushLogs();
    expect(sim.text()).toContain('"url":"/api/*/*"');
  });

  it('a matched path keeps its values where the spec says they are safe', async () => {
    sim.lines.length = 0;
    await rawRequest(server.port, { method: 'GET', path: '/api/status?task_id=sd45_0123456789abcdef' });
    await flushLogs();
    expect(sim.text()).toContain('"url":"/api/status?task_id=sd45_0123456789abcdef"');
  });
});

describe('a key in a body', () => {
  // Issue 15 ("keys never leave the request: not in recordings, logs, the journal"): the journal kept
  // request and response bodies as sent, so a key a client pasted into a body (or a field named
  // after it, which the 400 then names) was in the journal in clear.
  it('is redacted in the journal, in the request body and in the answer that names it', async () => {
    const sim = await capturingSimulator([`--key=${KEY}=100`]);
    const res = await sim.http
      .post('/api/generate')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ ...SAMPLE_REQUEST, prompt: `my key is ${KEY}`, [KEY]: true });
    expect(res.status).toBe(400);
    expect(res.text).toContain(KEY); // the client's own answer names its field: that is for the client
    const { entries } = await sim.store.queryJournal({ limit: 500 });
    expectNoKey('the journal', JSON.stringify(entries));
    expect(JSON.stringify(entries[0]!.requestBody)).toContain('my key is [redacted]');
  });
});

describe('a 500 on a control path that names a key', () => {
  it('logs the error without the key', async () => {
    const sim = await capturingSimulator([`--key=${KEY}=100`]);
    sim.store.getAccount = async () => {
      throw new Error('store on fire');
    };
    // A generate reads its account in Store.admit (one operation per request): broken the same way.
    sim.store.admit = () => {
      throw new Error('store on fire');
    };
    const res = await sim.http.get(`/__mock/accounts/${ENCODED}`);
    expect(res.status).toBe(500);
    await flushLogs();
    expect(sim.text()).toContain('store on fire');
    expectNoKey('the error log', sim.text());
    const ok = await sim.http
      .post('/api/generate')
      .set('Authorization', `Bearer ${KEY}`)
      .send(SAMPLE_REQUEST);
    expect(ok.status).toBe(500);
  });
});

describe('a mistyped --key', () => {
  it.each([
    ['a space in the key', `sk-typo${KEY} x=5`],
    ['a negative balance', `${KEY}=-5`],
    ['a balance that is not a number', `${KEY}=lots`],
  ])('%s: the error names the option and the key by position, never the key', (_what, value) => {
    let error: unknown;
    try {
      parseConfig(['--key', 'sk-first=1', '--key', value], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CommanderError);
    const message = (error as Error).message;
    expect(message).toContain('--key');
    expect(message).toContain('key #2');
    expectNoKey('the error message', message);
  });

  it('from DREAMCORE_KEYS too', () => {
    expect(() => parseConfig([], { DREAMCORE_KEYS: `sk-ok=1,${KEY}=nope` })).toThrow(/key #2/);
    try {
      parseConfig([], { DREAMCORE_KEYS: `sk-ok=1,${KEY}=nope` });
    } catch (err) {
      expectNoKey('the error message', (err as Error).message);
    }
  });
});
