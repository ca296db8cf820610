/**
 * Each caller's share of a busy process's work (mock-server/src/http/fair-share.ts). The fair-share
 * suite found a tenant sending 60 KB requests over 8 connections taking the others down to a fifth of
 * their throughput; these tests count units and answers, never time: the clock is injected, and
 * "busy" is forced (`--fair-share-busy=0`) or held off.
 */
import { describe, expect, it } from 'vitest';
import { compose } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import { FairShare, unitsOf } from '../../mock-server/src/http/fair-share.js';
import { loadConformance } from '../support/conformance.js';
import { BASE_ARGS } from '../support/harness.js';
import { listenOnLoopback } from '../properties/support.js';
import { Caller, type Answer } from '../../scripts/bench/hostile-tenant.js';

const OPTIONS = { slack: 1.5, minUnits: 100, windowMs: 1_000 };

function shares(busy: boolean) {
  const clock = { now: 0 };
  return {
    clock,
    fair: new FairShare(
      OPTIONS,
      () => clock.now,
      () => busy,
    ),
  };
}

describe('the units of a request', () => {
  it('are 1, and 1 more per 8 KiB of declared body', () => {
    expect([unitsOf(undefined), unitsOf('0'), unitsOf('8192'), unitsOf('61440'), unitsOf('junk')]).toEqual([
      1, 1, 2, 8.5, 1,
    ]);
  });
});

describe('a share of the work per caller', () => {
  it('refuses nobody while the process is not busy, however unequal the callers', () => {
    const { fair } = shares(false);
    for (let i = 0; i < 1000; i++) expect(fair.admit('heavy', 8.5)).toBeUndefined();
    expect(fair.admit('light', 1)).toBeUndefined();
  });

  it('refuses nobody who is alone, busy or not', () => {
    const { fair } = shares(true);
    for (let i = 0; i < 1000; i++) expect(fair.admit('only', 8.5)).toBeUndefined();
  });

  it('when busy, refuses a caller past its share (and minUnits), never the one within it', () => {
    const { fair } = shares(true);
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      expect(fair.admit('light', 1)).toBeUndefined();
      if (fair.admit('heavy', 8.5) !== undefined) refused++;
    }
    // Past 100 units, every heavy request: it asks for 8.5 of every 9.5 units, more than 1.5 halves.
    // Once the light caller takes part (past 100 units), the heavy one is held back, most of the time.
    expect(refused).toBeGreaterThan(50);
    expect(fair.reading('heavy').callers).toBe(2);
  });

  it('does not hold back a caller that is alone in using the process beside a few requests of others', () => {
    const { fair } = shares(true);
    for (let i = 0; i < 99; i++) expect(fair.admit('now-and-then', 1)).toBeUndefined();
    for (let i = 0; i < 2000; i++) expect(fair.admit('busy-job', 8.5)).toBeUndefined();
  });

  it('lets an ordinary caller with twice another’s requests through (the slack)', () => {
    const { fair } = shares(true);
    for (let i = 0; i < 500; i++) {
      expect(fair.admit('two-jobs', 1)).toBeUndefined();
      expect(fair.admit('two-jobs', 1)).toBeUndefined();
      expect(fair.admit('one-job', 1)).toBeUndefined();
    }
  });

  it('counts a refused request as 1 unit, and gives the share back once the caller waits', () => {
    const { fair, clock } = shares(true);
    for (let i = 0; i < 101; i++) fair.admit('light', 1);
    let refusedAt = -1;
    for (let i = 0; i < 100 && refusedAt < 0; i++) if (fair.admit('heavy', 8.5) !== undefined) refusedAt = i;
    expect(refusedAt).toBeGreaterThan(0);
    const before = fair.reading('heavy').used;
    expect(fair.admit('heavy', 8.5)).toBe(1);
    expect(fair.reading('heavy').used).toBe(before + 1);
    clock.now += 2_000; // two windows later: nothing of before weighs
    expect(fair.reading('heavy')).toEqual({ used: 0, total: 0, callers: 1 });
    expect(fair.admit('heavy', 8.5)).toBeUndefined();
  });
});

describe('a busy simulator and a caller past its share, over HTTP', () => {
  it('answers that caller 503 with Retry-After before reading its body, and serves the others and health', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const config = parseConfig([...BASE_ARGS, '--fair-share-busy=0', '--rate-limit=off'], {});
    const { app, backend } = await compose(config, { systemNow: () => clock.now });
    const listening = await listenOnLoopback(app);
    const conformance = await loadConformance();
    // Two callers: the one that polls, and the one that floods, from another address.
    const auth = { authorization: `Bearer ${DEV_KEY}` };
    const [poller, flooder] = ['127.0.0.1', '127.0.0.2'].map((at) => new Caller(listening.origin, at, 1));
    const send = (caller: Caller, method: string, path: string, json?: string) =>
      caller.send(method, path, { headers: auth, ...(json === undefined ? {} : { json }) });
    try {
      const generate = (prompt: string) => JSON.stringify({ prompt, aspectRatio: '1:1', quality: 'basic' });
      const created = await send(poller!, 'POST', '/api/generate', generate('a fox'));
      expect(created.status).toBe(200);
      const poll = `/api/status?task_id=${created.body.data.task_id}`;
      const flood = generate('x'.repeat(60_000)); // 400: its prompt is too long, after its body is read
      let refusal: Answer | undefined;
      for (let i = 0; i < 200 && refusal === undefined; i++) {
        expect((await send(poller!, 'GET', poll)).status).toBe(200);
        const answer = await send(flooder!, 'POST', '/api/generate', flood);
        if (answer.status === 503) refusal = answer;
        else expect(answer.status).toBe(400);
      }
      expect(refusal).toBeDefined();
      expect(refusal!.headers['retry-after']).toBe('1');
      expect(refusal!.body).toMatchObject({
        code: 503,
        data: { type: 'service_unavailable', retry_after_seconds: 1 },
      });
      expect(refusal!.body.message).toMatch(
        /busy, and your address has used more than its share of it: .* among 2 callers .*--fair-share-busy/,
      );
      expect(conformance.check('POST', '/api/generate', refusal!)).toEqual([]);
      // The others, and health, are served meanwhile.
      expect((await send(poller!, 'GET', poll)).status).toBe(200);
      expect((await send(flooder!, 'GET', '/__mock/health')).status).toBe(200);
      // A second later, the refused caller has its share back.
      clock.now += 2_000;
      expect((await send(flooder!, 'POST', '/api/generate', flood)).status).toBe(400);
    } finally {
      poller!.close();
      flooder!.close();
      await listening.close();
      await backend.close();
    }
  });
});
