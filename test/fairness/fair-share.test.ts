/**
 * Each party's share of a busy process's work (mock-server/src/http/fair-share.ts). The fair-share
 * suite found a tenant sending 60 KB requests over 8 connections taking the others down to a fifth of
 * their throughput; these tests count units, waits and answers, never time: the clock and the timer
 * are injected, and "busy" is forced (`--fair-share-busy=0`) or held off.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { compose } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import { FAIR_SHARE_DEFAULTS } from '../../mock-server/src/config/fair-share-options.js';
import {
  FairShare,
  TAKING_PART,
  undeclaredUnits,
  unitsOf,
  type Ticket,
} from '../../mock-server/src/http/fair-share.js';
import { loadConformance } from '../support/conformance.js';
import { BASE_ARGS } from '../support/harness.js';
import { listenOnLoopback } from '../properties/support.js';
import { Caller, type Answer } from '../../scripts/bench/hostile-tenant.js';

const OPTIONS = {
  ...FAIR_SHARE_DEFAULTS,
  slack: 1.25,
  minUnits: 100,
  windowMs: 1_000,
  maxHeld: 64,
  maxHoldMs: 2_000,
};

/** A FairShare on a clock and a timer the test moves, and what each request was told. */
function shares(busy: { now: boolean }) {
  const clock = { now: 0 };
  const timers: Array<() => void> = [];
  const fair = new FairShare(
    OPTIONS,
    () => clock.now,
    () => busy.now,
    (fn) => {
      timers.push(fn);
      return () => timers.splice(timers.indexOf(fn), 1);
    },
  );
  const outcomes: string[] = [];
  /** Enters a request; its outcome is pushed as `${label} went` or `${label} refused: why`. */
  const enter = (party: string, units: number, label: string = party) => {
    const ticket: Ticket = {
      go: () => outcomes.push(`${label} went`),
      refuse: (why, retryAfterS) => outcomes.push(`${label} refused: ${why} (${retryAfterS} s)`),
    };
    fair.enter(party, units, ticket);
    return ticket;
  };
  /** Runs the timers due, as the event loop would `tickMs` later. */
  const tick = () => timers.splice(0).forEach((fn) => fn());
  return { fair, clock, outcomes, enter, tick, timers };
}

describe('the units of a request', () => {
  it('are 1, 1 more per 8 KiB of declared body, and 1 more on the control API', () => {
    const api = (length?: string) => unitsOf('/api/generate', length);
    expect([api(undefined), api('0'), api('8192'), api('61440'), api('junk')]).toEqual([1, 1, 2, 8.5, 1]);
    expect([unitsOf('/__mock/faults', '8192'), unitsOf('/__mock/journal/wait', undefined)]).toEqual([3, 2]);
    expect(unitsOf('/__mockery', undefined)).toBe(1); // not the control API: a 404 of the public side
  });

  it('count a body beyond its declared length once it is read (chunked, or compressed and inflated)', () => {
    expect(undeclaredUnits(undefined, 16_384)).toBe(2); // chunked: nothing declared
    expect(undeclaredUnits('100', 61_540)).toBe(7.5); // 100 bytes of gzip that inflated to 60 KB
    expect([
      undeclaredUnits('8192', 8192),
      undeclaredUnits('8192', 0),
      undeclaredUnits(undefined, 0),
    ]).toEqual([0, 0, 0]);
  });
});

describe('a share of the work per party', () => {
  it('holds nobody back while the process is not busy, however unequal the parties', () => {
    const { enter, outcomes, timers } = shares({ now: false });
    for (let i = 0; i < 1000; i++) enter('heavy', 8.5);
    enter('light', 1);
    expect(outcomes).toHaveLength(1001);
    expect(outcomes.every((o) => o.endsWith('went'))).toBe(true);
    expect(timers).toHaveLength(0); // nothing waits, so nothing is looked at again
  });

  it('holds nobody back who is alone, busy or not', () => {
    const { enter, outcomes } = shares({ now: true });
    for (let i = 0; i < 1000; i++) enter('only', 8.5);
    expect(outcomes.filter((o) => o === 'only went')).toHaveLength(1000);
  });

  it('when busy, holds back a party past its share (and minUnits), never the one within it', () => {
    const { fair, enter, outcomes } = shares({ now: true });
    for (let i = 0; i < 101; i++) enter('light', 1); // past minUnits: it takes part
    for (let i = 0; i < 200; i++) {
      enter('light', 1);
      if (fair.waiting('heavy') === 0) enter('heavy', 8.5); // one connection: the next once it is answered
    }
    // Every light request went at once; the heavy one went until it was past its share and then waits.
    expect(outcomes.filter((o) => o === 'light went')).toHaveLength(301);
    expect(fair.waiting('heavy')).toBe(1);
    expect(fair.waiting('light')).toBe(0);
    expect(outcomes.some((o) => o.includes('refused'))).toBe(false);
    const { used, total, parties } = fair.reading('heavy');
    expect(parties).toBe(2);
    // Within its share of what went: slack x an equal share, and no more than one request above it.
    expect(used).toBeLessThanOrEqual((OPTIONS.slack * total) / 2 + 8.5);
  });

  it('lets a held request go once its party is within its share again, in the order they came', () => {
    const { fair, clock, enter, outcomes, tick } = shares({ now: true });
    for (let i = 0; i < 101; i++) enter('light', 1);
    let heavyWent = 0;
    while (fair.waiting('heavy') === 0) {
      enter('heavy', 8.5, `heavy ${heavyWent}`);
      if (fair.waiting('heavy') === 0) heavyWent++;
    }
    enter('heavy', 8.5, 'heavy next');
    outcomes.length = 0;
    tick(); // nothing has changed: both still wait
    expect(outcomes).toEqual([]);
    expect(fair.waiting('heavy')).toBe(2);
    clock.now += 2_000; // two windows later: nothing of before weighs
    tick();
    expect(outcomes).toEqual([`heavy ${heavyWent} went`, 'heavy next went']);
    expect(fair.waiting('heavy')).toBe(0);
  });

  it('lets everything held go once the process is no longer busy', () => {
    const busy = { now: true };
    const { fair, enter, outcomes, tick } = shares(busy);
    for (let i = 0; i < 101; i++) enter('light', 1);
    while (fair.waiting('heavy') === 0) enter('heavy', 8.5);
    enter('heavy', 8.5);
    busy.now = false;
    outcomes.length = 0;
    tick();
    expect(outcomes).toEqual(['heavy went', 'heavy went']);
  });

  it('counts a starved party that asks often, however little work it gets: by requests, not units', () => {
    const { fair, enter } = shares({ now: true });
    // A flood of dear requests first, alone; then a poller with one cheap request per 8 of them.
    for (let i = 0; i < 200; i++) enter('flood', 9.5);
    for (let i = 0; fair.waiting('flood') === 0 && i < 1_000; i++) {
      if (i % 8 === 0) enter('poller', 1);
      enter('flood', 9.5);
    }
    // Past TAKING_PART requests the poller takes part (about 1% of the units), and the flood is held.
    expect(fair.reading('flood').parties).toBe(2);
    expect(fair.waiting('flood')).toBe(1);
  });

  it('does not hold back a party that is alone in using the process beside a few requests of others', () => {
    const { fair, enter } = shares({ now: true });
    for (let i = 0; i < TAKING_PART; i++) enter('now-and-then', 1);
    for (let i = 0; i < 2000; i++) {
      enter('busy-job', 8.5);
      expect(fair.waiting('busy-job')).toBe(0);
    }
  });

  it('paces a party with twice another’s requests to its share, and refuses none of them', () => {
    const { fair, clock, enter, outcomes, tick } = shares({ now: true });
    // 1,000 ms of two ordinary clients, one with two connections: each tries a request every ms.
    for (let ms = 0; ms < 1_000; ms++) {
      clock.now = ms;
      tick();
      for (let free = 2 - fair.waiting('two-jobs'); free > 0; free--) enter('two-jobs', 1);
      enter('one-job', 1);
    }
    expect(outcomes.some((o) => o.includes('refused'))).toBe(false);
    const went = (party: string) => outcomes.filter((o) => o === `${party} went`).length;
    expect(went('one-job')).toBe(1_000);
    // Paced: more than the other (within 1.25 equal shares) and far fewer than it tried.
    expect(went('two-jobs')).toBeGreaterThan(1_000);
    expect(went('two-jobs')).toBeLessThan(1_000 * (1.25 / (2 - 1.25)) + 150);
  });

  it('refuses, with the reason, past maxHeld waiting or maxHoldMs of waiting; a refusal counts 1 unit', () => {
    const { fair, clock, enter, outcomes, tick } = shares({ now: true });
    for (let i = 0; i < 101; i++) enter('light', 1);
    while (fair.waiting('heavy') === 0) enter('heavy', 8.5);
    for (let i = 1; i < OPTIONS.maxHeld; i++) enter('heavy', 8.5);
    expect(fair.waiting('heavy')).toBe(OPTIONS.maxHeld);
    outcomes.length = 0;
    const before = fair.reading('heavy').used;
    enter('heavy', 8.5);
    expect(outcomes).toEqual([`heavy refused: ${OPTIONS.maxHeld} of them wait already (1 s)`]);
    expect(fair.reading('heavy').used).toBe(before + 1);
    // The light party keeps using the process, a little: the heavy one's share of it lets a few of
    // its requests go each window; those still waiting after 2 s are refused.
    outcomes.length = 0;
    for (let ms = 100; ms <= OPTIONS.maxHoldMs + 100; ms += 100) {
      clock.now = ms;
      for (let i = 0; i < 12; i++) enter('light', 1);
      tick();
    }
    const heavy = outcomes.filter((o) => o.startsWith('heavy'));
    expect(heavy).toHaveLength(OPTIONS.maxHeld);
    expect(heavy).toContain('heavy went');
    expect(heavy.at(-1)).toBe('heavy refused: this one waited 2 s (1 s)');
    expect(fair.waiting('heavy')).toBe(0);
  });

  it('drops a request whose client went away while it waited: never run, never answered', () => {
    const { fair, clock, enter, outcomes, tick, timers } = shares({ now: true });
    for (let i = 0; i < 101; i++) enter('light', 1);
    while (fair.waiting('heavy') === 0) enter('heavy', 8.5);
    const gone = enter('heavy', 8.5, 'gone');
    expect(fair.waiting('heavy')).toBe(2);
    fair.leave('heavy', gone);
    expect(fair.waiting('heavy')).toBe(1); // its place freed at once, not when it reaches the front
    outcomes.length = 0;
    clock.now += 2_000;
    tick();
    expect(outcomes).toEqual(['heavy went']);
    expect(timers).toHaveLength(0); // nothing waits any more
  });
});

describe('an error answer', () => {
  it('costs its party one unit more, counted once it is answered', async () => {
    // Busy always, and each party under minUnits: counted, never held.
    const config = parseConfig([...BASE_ARGS, '--fair-share-busy=0', '--rate-limit=off'], {});
    const clock = { now: Date.UTC(2026, 0, 1) }; // never moved: one window
    const { app, backend, fairShare } = await compose(config, { systemNow: () => clock.now });
    const listening = await listenOnLoopback(app);
    const [here, there] = ['127.0.0.1', '127.0.0.2'].map((at) => new Caller(listening.origin, at, 1));
    try {
      const body = JSON.stringify({ prompt: 'a fox', aspectRatio: '1:1', quality: 'basic' });
      const created = await here!.send('POST', '/api/generate', {
        headers: { authorization: `Bearer ${DEV_KEY}` },
        json: body,
      });
      expect(created.status).toBe(200);
      const poll = `/api/status?task_id=${created.body.data.task_id}`;
      for (let i = 0; i < 10; i++) {
        // The default world's: 200, 1 unit. A key nobody has: 401, its address's, 2 units.
        expect(
          (await here!.send('GET', poll, { headers: { authorization: `Bearer ${DEV_KEY}` } })).status,
        ).toBe(200);
        expect(
          (await here!.send('GET', poll, { headers: { authorization: 'Bearer sk-nobody' } })).status,
        ).toBe(401);
        // A control path that does not exist: 404, 1 + 1 (the control API) + 1 = 3 units.
        expect((await there!.send('GET', '/__mock/nowhere')).status).toBe(404);
        expect((await there!.send('GET', '/__mock/health')).status).toBe(200); // never counted
        // Any other method on health is a request like any: 405, 1 + 1 + 1, and its body.
        expect((await there!.send('POST', '/__mock/health', { json: '{}' })).status).toBe(405);
      }
      const used = (party: string) => fairShare!.reading(party).used;
      // The generate came first, from a key the process had not seen yet: its address's.
      expect(used('default@127.0.0.1')).toBe(10);
      expect(used('127.0.0.1')).toBeCloseTo(20 + 1 + body.length / 8192, 9);
      expect(used('127.0.0.2')).toBeCloseTo(30 + 30 + (10 * 2) / 8192, 9);
    } finally {
      here!.close();
      there!.close();
      await listening.close();
      await backend.close();
    }
  });

  it('is counted once per answer, and only for a party that went through the gate', () => {
    const { fair } = shares({ now: false });
    fair.answered('p', 200);
    fair.answered('p', 503);
    fair.answered(undefined, 500); // health and the metrics: no party
    expect(fair.reading('p').used).toBe(1);
  });
});

describe('a busy simulator and a party past its share, over HTTP', () => {
  it('holds that party’s requests while serving the others and health; frees a place its client left; refuses it past the bound', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const config = parseConfig([...BASE_ARGS, '--fair-share-busy=0', '--rate-limit=off'], {});
    const { app, backend, fairShare } = await compose(config, { systemNow: () => clock.now });
    const listening = await listenOnLoopback(app);
    const conformance = await loadConformance();
    // Two parties: the default world's poller, and a tenant created by another address that floods.
    const poller = new Caller(listening.origin, '127.0.0.1', 1);
    const flooder = new Caller(listening.origin, '127.0.0.2', FAIR_SHARE_DEFAULTS.maxHeld + 8);
    try {
      const made = await flooder.send('POST', '/__mock/tenants', { body: {} });
      expect(made.status).toBe(201);
      const floodKey = (made.body.data as { keys: Array<{ apiKey: string }> }).keys[0]!.apiKey;
      const generate = (prompt: string) => JSON.stringify({ prompt, aspectRatio: '1:1', quality: 'basic' });
      const asDefault = { authorization: `Bearer ${DEV_KEY}` };
      const created = await poller.send('POST', '/api/generate', {
        headers: asDefault,
        json: generate('a fox'),
      });
      expect(created.status).toBe(200);
      const poll = `/api/status?task_id=${created.body.data.task_id}`;
      const flood = generate('x'.repeat(60_000)); // 400: its prompt is too long, after its body is read
      const sendFlood = () =>
        flooder.send('POST', '/api/generate', {
          headers: { authorization: `Bearer ${floodKey}` },
          json: flood,
        });
      // Each flood request, then the poller's round trips until it is answered: 20 of them, health
      // beside each, and it is still not answered: held, while the others are served.
      let held: Promise<Answer> | undefined;
      for (let i = 0; i < 200 && held === undefined; i++) {
        let settled = false;
        const answer = sendFlood();
        void answer.then(() => (settled = true));
        // At least 3 polls a flood request: enough work for the poller to take part in the share.
        for (let trip = 0; trip < 20 && (trip < 3 || !settled); trip++) {
          expect((await poller.send('GET', poll, { headers: asDefault })).status).toBe(200);
          expect((await flooder.send('GET', '/__mock/health')).status).toBe(200);
        }
        if (settled) expect((await answer).status).toBe(400);
        else held = answer;
      }
      expect(held).toBeDefined();
      // A held request whose client leaves frees its place at once.
      // Without a control token everyone is the operator: the flooder's tenant is a party of its own.
      const tenantId = (made.body.data as { tenant: { id: string } }).tenant.id;
      const waiting = () => fairShare!.waiting(`world:${tenantId}`);
      const leaving = request(listening.origin + '/api/generate', {
        method: 'POST',
        localAddress: '127.0.0.2',
        headers: { authorization: `Bearer ${floodKey}`, 'content-type': 'application/json' },
      });
      leaving.on('error', () => undefined); // it is destroyed below
      leaving.end(flood);
      // Round trips of health, which no share counts: the shares stay as they are meanwhile.
      const roundTrip = () => poller.send('GET', '/__mock/health');
      for (let i = 0; i < 50 && waiting() < 2; i++) await roundTrip();
      expect(waiting()).toBe(2);
      leaving.destroy();
      for (let i = 0; i < 50 && waiting() > 1; i++) await roundTrip();
      expect(waiting()).toBe(1);
      // Past maxHeld waiting, the flooder is refused at once, in the envelope, with Retry-After.
      const more = Array.from({ length: FAIR_SHARE_DEFAULTS.maxHeld }, sendFlood);
      const refusal = await Promise.race(more);
      expect(refusal.status).toBe(503);
      expect(refusal.headers['retry-after']).toBe('1');
      expect(refusal.body).toMatchObject({
        code: 503,
        data: { type: 'service_unavailable', retry_after_seconds: 1 },
      });
      expect(refusal.body.message).toMatch(
        new RegExp(
          `busy, and your requests are past their share of it: ${FAIR_SHARE_DEFAULTS.maxHeld} of them wait already\\. .*--fair-share-busy`,
        ),
      );
      expect(conformance.check('POST', '/api/generate', refusal)).toEqual([]);
      // A second later its share is back: what waited goes (and is answered as ever: 400).
      clock.now += 2_000;
      expect((await held!).status).toBe(400);
      const rest = await Promise.all(more);
      expect(rest.filter((a) => a.status === 400)).toHaveLength(FAIR_SHARE_DEFAULTS.maxHeld - 1);
    } finally {
      poller.close();
      flooder.close();
      await listening.close();
      await backend.close();
    }
  });
});
