/**
 * The control token: with one configured (or generated because the simulator listens beyond
 * loopback) every /__mock call but health needs X-Mock-Token; the public API never does. The app is
 * only built here, never bound to 0.0.0.0.
 */
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import { BODY, controlConforms, newTask } from './qa-support.js';

const TASK = 'sd45_0123456789abcdef';

/** Every control operation, with a body it would accept. */
const CONTROL_CALLS: Array<[method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object]> = [
  ['post', '/__mock/reset'],
  ['get', `/__mock/accounts/${DEV_KEY}`],
  ['put', `/__mock/accounts/${DEV_KEY}`, { balance: 5 }],
  ['get', '/__mock/tasks'],
  ['get', `/__mock/tasks/${TASK}`],
  ['post', `/__mock/tasks/${TASK}/succeed`],
  ['post', `/__mock/tasks/${TASK}/fail`],
  ['get', '/__mock/clock'],
  ['post', '/__mock/clock/advance', { ms: 1000 }],
  ['get', '/__mock/faults'],
  ['post', '/__mock/faults', { action: { status: 500 } }],
  ['delete', '/__mock/faults'],
  ['delete', '/__mock/faults/rule_1'],
  ['get', '/__mock/journal'],
];

function call(sim: TestSimulator, method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object) {
  const req = sim.http[method](path);
  return body === undefined ? req : req.send(body);
}

async function expectRefused(sim: TestSimulator, headers: Record<string, string>) {
  for (const [method, path, body] of CONTROL_CALLS) {
    const res = await controlConforms(await call(sim, method, path, body).set(headers));
    expect(res.status, `${method.toUpperCase()} ${path}`).toBe(401);
    expect(res.body).toEqual({
      code: 401,
      message: expect.stringContaining('X-Mock-Token'),
      data: { type: 'unauthorized' },
    });
  }
  // Nothing was done by the refused calls.
  expect(await sim.balance()).toBe(1000);
  expect(sim.clock.now()).toBe(Date.UTC(2025, 5, 14, 5, 21, 11));
  expect(await sim.store.listRules()).toEqual([]);
}

describe('--control-token=secret', () => {
  it('refuses every control call without X-Mock-Token with a 401 envelope, and does nothing', async () => {
    const sim = await testSimulator(['--control-token=secret']);
    await expectRefused(sim, {});
  });

  it('refuses a wrong token, an empty one, and the token in another header', async () => {
    const sim = await testSimulator(['--control-token=secret']);
    await expectRefused(sim, { 'X-Mock-Token': 'wrong' });
    await expectRefused(sim, { 'X-Mock-Token': '' });
    await expectRefused(sim, { 'X-Mock-Token': 'secret2' });
    await expectRefused(sim, { Authorization: 'Bearer secret' });
  });

  it('accepts the right token on every control call', async () => {
    const sim = await testSimulator(['--control-token=secret']);
    const taskId = await newTask(sim);
    const calls: Array<
      [method: 'get' | 'post' | 'put' | 'delete', path: string, body: object | undefined, status: number]
    > = [
      ['get', `/__mock/accounts/${DEV_KEY}`, undefined, 200],
      ['put', `/__mock/accounts/${DEV_KEY}`, { balance: 500 }, 200],
      ['get', '/__mock/tasks', undefined, 200],
      ['get', `/__mock/tasks/${taskId}`, undefined, 200],
      ['post', `/__mock/tasks/${taskId}/succeed`, undefined, 200],
      ['post', `/__mock/tasks/${taskId}/fail`, undefined, 409],
      ['get', '/__mock/clock', undefined, 200],
      ['post', '/__mock/clock/advance', { ms: 1000 }, 200],
      ['get', '/__mock/faults', undefined, 200],
      ['post', '/__mock/faults', { action: { status: 500 } }, 201],
      ['delete', '/__mock/faults/rule_1', undefined, 200],
      ['delete', '/__mock/faults', undefined, 200],
      ['get', '/__mock/journal', undefined, 200],
      ['post', '/__mock/reset', undefined, 200],
    ];
    expect(calls).toHaveLength(CONTROL_CALLS.length);
    for (const [method, path, body, expected] of calls) {
      const res = await controlConforms(await call(sim, method, path, body).set('X-Mock-Token', 'secret'));
      expect(res.status, `${method.toUpperCase()} ${path} -> ${JSON.stringify(res.body)}`).toBe(expected);
    }
  });

  it('leaves health open without a token', async () => {
    const sim = await testSimulator(['--control-token=secret']);
    const res = await controlConforms(await sim.http.get('/__mock/health'));
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });

  it('never asks the public API for it', async () => {
    const sim = await testSimulator(['--control-token=secret']);
    const res = sim.conforms(await sim.http.post('/api/generate').set(sim.auth()).send(BODY));
    expect(res.status).toBe(200);
  });
});

describe('listening beyond loopback', () => {
  it('--host=0.0.0.0 without a token generates one, and the control API requires it', async () => {
    const sim = await testSimulator(['--host=0.0.0.0']);
    expect(sim.config.controlToken).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.config.controlTokenGenerated).toBe(true);
    await expectRefused(sim, {});
    const res = await controlConforms(
      await sim.http.get('/__mock/clock').set('X-Mock-Token', sim.config.controlToken!),
    );
    expect(res.status).toBe(200);
    expect((await controlConforms(await sim.http.get('/__mock/health'))).status).toBe(200);
  });

  it('generates a different token for each start', async () => {
    const a = await testSimulator(['--host=0.0.0.0']);
    const b = await testSimulator(['--host=0.0.0.0']);
    expect(a.config.controlToken).not.toBe(b.config.controlToken);
  });

  it('--host=0.0.0.0 with --control-token uses the given token', async () => {
    const sim = await testSimulator(['--host=0.0.0.0', '--control-token=given-token']);
    expect(sim.config.controlToken).toBe('given-token');
    expect(sim.config.controlTokenGenerated).toBe(false);
    expect((await sim.http.get('/__mock/clock').set('X-Mock-Token', 'given-token')).status).toBe(200);
    expect((await sim.http.get('/__mock/clock')).status).toBe(401);
  });

  it.each([['127.0.0.1'], ['localhost'], ['::1']])('--host=%s (loopback) needs no token', async (host) => {
    const sim = await testSimulator([`--host=${host}`]);
    expect(sim.config.controlToken).toBeUndefined();
    expect((await controlConforms(await sim.http.get('/__mock/clock'))).status).toBe(200);
  });
});
