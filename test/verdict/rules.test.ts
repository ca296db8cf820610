/**
 * Each rule: a naive client trips it, a careful one does not, and the edges (requests in flight,
 * what the simulator did on its own, what the judge forgot) are judged as the docs say.
 */
import { describe, expect, it } from 'vitest';
import { observe } from '../../mock-server/src/verdict/fold.js';
import { DEV_KEY, OTHER_KEY, World } from './support.js';

const BODY = '{"prompt":"a red fox","aspectRatio":"1:1","quality":"basic"}';
const OTHER_BODY = '{"prompt":"a grey wolf","aspectRatio":"1:1","quality":"basic"}';

describe('retry-after-ignored', () => {
  it('flags a retry sent at once after a 429 with Retry-After (a still virtual clock)', async () => {
    const w = new World();
    w.generate(BODY, { status: 429, retryAfterSeconds: 2, injected: 'rate-limit' });
    w.generate(BODY, { status: 429, retryAfterSeconds: 2, injected: 'rate-limit' });
    const report = await w.report();
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      rule: 'retry-after-ignored',
      severity: 'error',
      occurrences: 1,
    });
    expect(report.findings[0]!.examples[0]).toEqual({
      journal_id: 2,
      summary: 'POST /api/generate 429 at 2025-06-14T05:21:11.000Z key sk-d…-dev#d88b21',
      detail: 'sent 0 ms after a 429 that asked to wait 2 s',
    });
  });

  it('flags a retry one second into a two-second Retry-After, and not one after it', async () => {
    const w = new World();
    w.generate(BODY, { status: 429, retryAfterSeconds: 2 });
    w.advance(1000).generate(BODY, { status: 429, retryAfterSeconds: 2 });
    expect(await w.found()).toEqual({ 'retry-after-ignored': 1 });

    const careful = new World();
    careful.generate(BODY, { status: 429, retryAfterSeconds: 2 });
    careful.advance(2000).generate(BODY, { status: 200 });
    expect(await careful.found()).toEqual({});
  });

  it('counts the wait from the answer, not from the request (a slow 429)', async () => {
    const w = new World();
    w.generate(BODY, { status: 429, retryAfterSeconds: 2, tookMs: 1500 });
    w.advance(2100).generate(BODY); // 2.1 s after the request, 0.6 s after its answer
    expect(await w.found()).toEqual({ 'retry-after-ignored': 1 });
  });

  it('forgives a timer that fires within the tolerance, not one well before', async () => {
    const w = new World();
    w.generate(BODY, { status: 429, retryAfterSeconds: 1 });
    w.advance(960).generate(BODY);
    expect(await w.found()).toEqual({});
    w.generate(OTHER_BODY, { status: 429, retryAfterSeconds: 1 });
    w.advance(900).generate(OTHER_BODY);
    expect(await w.found()).toEqual({ 'retry-after-ignored': 1 });
  });

  it('does not flag a request that was already in flight when the 429 was answered', async () => {
    const w = new World();
    w.together([
      [{ generate: BODY }, { status: 429, retryAfterSeconds: 5, tookMs: 5 }],
      [{ generate: OTHER_BODY }, { status: 200, tookMs: 40 }],
      [{ poll: 'sd45_00000000000000aa' }, { status: 429, retryAfterSeconds: 5, tookMs: 60 }],
    ]);
    expect(await w.found()).toEqual({});
  });

  it('holds a 429 to its route and a 503 to every route of the key, and no other key', async () => {
    const w = new World();
    const task = w.accepted(BODY).taskId!;
    w.advance(100).generate(OTHER_BODY, { status: 429, retryAfterSeconds: 10 });
    w.advance(100).poll(task); // another route: right to poll on
    w.send({ key: OTHER_KEY, generate: OTHER_BODY }); // another key: its own bucket
    expect(await w.found()).toEqual({});

    const unavailable = new World();
    const other = unavailable.accepted(BODY).taskId!;
    unavailable.advance(3000).poll(other, { status: 503, retryAfterSeconds: 1 });
    unavailable.generate(OTHER_BODY, { status: 200 }); // a 503 holds every route of the key
    unavailable.send({ key: OTHER_KEY, generate: OTHER_BODY }, { status: 200 });
    expect(await unavailable.found()).toEqual({ 'retry-after-ignored': 1 });
  });

  it('without afterSeq, a request arriving the millisecond of the answer counts as a reaction', async () => {
    const w = new World();
    const first = w.generate(BODY, { status: 429, retryAfterSeconds: 1 });
    const naive = { ...first, seq: 99, afterSeq: null, journalId: 3, status: 200, retryAfterSeconds: null };
    observe(w.state, naive, w.settings);
    expect(await w.found()).toEqual({ 'retry-after-ignored': 1 });
  });
});

describe('no-backoff', () => {
  it('flags a failed request retried at once, again and again', async () => {
    const w = new World();
    for (let i = 0; i < 4; i++) w.generate(BODY, { status: 500, injected: 'chaos' });
    expect(await w.found()).toEqual({ 'no-backoff': 1 });
    w.generate(BODY, { status: 500, injected: 'chaos' });
    const report = await w.report();
    expect(report.findings[0]).toMatchObject({ rule: 'no-backoff', severity: 'error', occurrences: 2 });
    expect(report.findings[0]!.examples[0]!.detail).toBe(
      'retry 3 of the same request, 0 ms after its last failure, as the retry before it',
    );
  });

  it('flags a fixed interval, to the timer noise of a real clock', async () => {
    const w = new World();
    w.generate(BODY, { status: 500 });
    for (const wait of [1000, 1012, 995]) w.advance(wait).generate(BODY, { status: 500 });
    expect(await w.found()).toEqual({ 'no-backoff': 1 });
  });

  it('flags broken connections retried at once', async () => {
    const w = new World();
    for (let i = 0; i < 4; i++) w.poll('sd45_00000000000000aa', { fault: 'reset', injected: 'header' });
    expect(await w.found()).toEqual({ 'no-backoff': 1 });
  });

  it('does not flag exponential backoff, nor full jitter whose waits shrink', async () => {
    const w = new World();
    w.generate(BODY, { status: 500 });
    for (const wait of [1000, 2000, 4000]) w.advance(wait).generate(BODY, { status: 500 });
    w.generate(OTHER_BODY, { status: 503 });
    for (const wait of [900, 300, 1500, 200]) w.advance(wait).generate(OTHER_BODY, { status: 503 });
    expect(await w.found()).toEqual({});
  });

  it('does not flag a steady pace the server set with Retry-After', async () => {
    const w = new World();
    w.generate(BODY, { status: 503, retryAfterSeconds: 1 });
    for (let i = 0; i < 4; i++) w.advance(1000).generate(BODY, { status: 503, retryAfterSeconds: 1 });
    expect(await w.found()).toEqual({});
  });

  it('judges only the same request: a changed one, or a success, starts afresh', async () => {
    const w = new World();
    w.generate(BODY, { status: 500 });
    w.generate(BODY, { status: 500 });
    w.generate(OTHER_BODY, { status: 500 });
    w.generate(BODY, { status: 200 });
    w.generate(BODY, { status: 500 });
    w.generate(BODY, { status: 500 });
    w.generate(BODY, { status: 500 });
    expect(await w.found()).toEqual({});
  });

  it('does not count requests in flight together as retries', async () => {
    const w = new World();
    for (let i = 0; i < 3; i++) {
      w.together([
        [{ generate: BODY }, { status: 500, tookMs: 1 }],
        [{ generate: BODY }, { status: 500, tookMs: 2 }],
      ]);
      w.advance(1000 * 2 ** i);
    }
    expect(await w.found()).toEqual({});
  });

  it('cannot judge a run whose request it forgot, and says so', async () => {
    const w = new World({ caps: { requests: 1 } });
    for (let i = 0; i < 4; i++) {
      w.generate(BODY, { status: 500 });
      w.generate(OTHER_BODY, { status: 500 });
    }
    const report = await w.report();
    expect(report.findings).toEqual([]);
    expect(report.blind_spots.complete).toBe(false);
    expect(report.blind_spots.forgotten.requests).toBe(7);
    expect(report.blind_spots.notes.join(' ')).toMatch(
      /7 distinct requests were forgotten \(more than 1 at once\)/,
    );
  });
});

describe('poll-too-fast', () => {
  it('flags a task polled five times a second', async () => {
    const w = new World();
    const task = w.accepted(BODY, { durationMs: 3000 }).taskId!;
    for (let i = 0; i < 5; i++) w.advance(200).poll(task);
    expect(await w.found()).toEqual({ 'poll-too-fast': 4 });
  });

  it('does not flag polls every few seconds, nor two tasks polled in turn', async () => {
    const w = new World();
    const a = w.accepted(BODY, { durationMs: 60_000 }).taskId!;
    const b = w.accepted(OTHER_BODY, { durationMs: 60_000 }).taskId!;
    for (let i = 0; i < 5; i++) {
      w.advance(1000).poll(a);
      w.advance(1000).poll(b);
    }
    expect(await w.found()).toEqual({});
  });

  it('leaves a poll-driven task alone: its polls share one instant of a still clock', async () => {
    const w = new World();
    const task = w.accepted(BODY, { readyAt: null, completeOnPoll: 3 }).taskId!;
    w.poll(task);
    w.poll(task);
    w.poll(task, { taskStatus: 'SUCCESS' });
    expect(await w.found()).toEqual({});
  });

  it('leaves the pace after a 429 or a 500 to the other rules', async () => {
    const w = new World();
    const task = w.accepted(BODY).taskId!;
    w.advance(1000).poll(task, { status: 500, taskStatus: null });
    w.advance(100).poll(task, { status: 429, retryAfterSeconds: 1, taskStatus: null });
    w.advance(1000).poll(task);
    expect(await w.found()).toEqual({});
  });

  it('honours a configured pace', async () => {
    const w = new World({ rules: { 'poll-too-fast': { min_interval_ms: 5000 } } });
    const task = w.accepted(BODY, { durationMs: 60_000 }).taskId!;
    for (let i = 0; i < 3; i++) w.advance(3000).poll(task);
    const report = await w.report();
    expect(report.findings[0]).toMatchObject({ rule: 'poll-too-fast', occurrences: 2 });
    expect(report.findings[0]!.message).toMatch(/less than 5 s after the previous poll/);
  });
});

describe('poll-after-terminal', () => {
  it('flags polls after a terminal read beyond the one tolerated', async () => {
    const w = new World();
    const task = w.accepted(BODY).taskId!;
    w.advance(3000).poll(task, { taskStatus: 'SUCCESS' });
    w.advance(2000).poll(task, { taskStatus: 'SUCCESS' });
    expect(await w.found()).toEqual({});
    w.advance(2000).poll(task, { taskStatus: 'SUCCESS' });
    w.advance(2000).poll(task, { taskStatus: 'SUCCESS' });
    const report = await w.report();
    expect(report.findings[0]).toMatchObject({
      rule: 'poll-after-terminal',
      severity: 'warning',
      occurrences: 2,
    });
    expect(report.findings[0]!.examples[0]!.summary).toBe(
      `GET /api/status 200 SUCCESS at 2025-06-14T05:21:18.000Z key sk-d…-dev#d88b21 task ${task}`,
    );
  });

  it('does not count polls in flight when the terminal answer came, nor another key', async () => {
    const w = new World();
    const task = w.accepted(BODY).taskId!;
    w.advance(3000).together([
      [{ poll: task }, { taskStatus: 'FAILED', tookMs: 1 }],
      [{ poll: task }, { taskStatus: 'FAILED', tookMs: 2 }],
      [{ poll: task }, { taskStatus: 'FAILED', tookMs: 3 }],
    ]);
    for (let i = 0; i < 3; i++) w.advance(2000).send({ key: OTHER_KEY, poll: task }, { status: 404 });
    expect((await w.found())['poll-after-terminal']).toBeUndefined();
  });
});

describe('retry-unchanged-4xx', () => {
  it('flags a 400 sent again unchanged, not a corrected request', async () => {
    const w = new World();
    w.generate('{"prompt":""}', { status: 400 });
    w.generate('{"prompt":"fixed","aspectRatio":"1:1","quality":"basic"}', { status: 200 });
    expect(await w.found()).toEqual({});
    w.generate('{"prompt":""}', { status: 400 });
    const report = await w.report();
    expect(report.findings[0]).toMatchObject({ rule: 'retry-unchanged-4xx', occurrences: 1 });
    expect(report.findings[0]!.examples[0]!.detail).toBe('the same request again after a 400 (journal 1)');
  });

  it('flags a 402 repeated while the balance stayed the same', async () => {
    const w = new World();
    w.generate(BODY, { status: 402, balance: 5 });
    w.advance(1000).generate(BODY, { status: 402, balance: 5 });
    w.advance(1000).generate(BODY, { status: 402, balance: 5 });
    expect(await w.found()).toEqual({ 'retry-unchanged-4xx': 2 });
  });

  it('does not flag a 402 repeated after the balance was raised (set, or refunded)', async () => {
    const w = new World();
    w.generate(BODY, { status: 402, balance: 5 });
    w.setBalance(DEV_KEY, 100);
    w.generate(BODY, { status: 200, balance: 88 });

    w.generate(OTHER_BODY, { status: 402, balance: 3 });
    w.advance(5000).generate(OTHER_BODY, { status: 200, price: 12, balance: 3 }); // a refund of 12 came in
    expect(await w.found()).toEqual({});
  });

  it('does not flag the repeat of an answer QA injected: a rule may run out', async () => {
    const w = new World();
    w.generate(BODY, { status: 402, injected: 'rule_3', balance: null });
    w.generate(BODY, { status: 400, injected: 'header' });
    w.generate(BODY, { status: 200 });
    expect(await w.found()).toEqual({});
  });

  it('flags a 401 repeated with no key, or a key nobody created; not once the key was created', async () => {
    const w = new World();
    w.send({ key: null, generate: BODY }, { status: 401 });
    w.send({ key: null, generate: BODY }, { status: 401 });
    w.send({ key: OTHER_KEY, generate: BODY }, { status: 401 });
    w.send({ key: OTHER_KEY, generate: BODY }, { status: 401 });
    expect(await w.found()).toEqual({ 'retry-unchanged-4xx': 2 });
    w.setBalance(OTHER_KEY, 50);
    w.send({ key: OTHER_KEY, generate: BODY }, { status: 200, balance: 38 });
    expect(await w.found()).toEqual({ 'retry-unchanged-4xx': 2 });
  });

  it('flags a 404 poll repeated', async () => {
    const w = new World();
    w.poll('sd45_ffffffffffffffff', { status: 404, taskStatus: null });
    w.advance(3000).poll('sd45_ffffffffffffffff', { status: 404, taskStatus: null });
    expect(await w.found()).toEqual({ 'retry-unchanged-4xx': 1 });
  });

  it('gives a key it forgot the benefit of the doubt on 401 and 402', async () => {
    const w = new World({ caps: { keys: 1 } });
    w.generate(BODY, { status: 402, balance: 5 });
    w.send({ key: OTHER_KEY, generate: BODY }, { status: 200 });
    w.generate(BODY, { status: 402, balance: null, injected: null });
    expect(await w.found()).toEqual({});
  });
});

describe('duplicate-generate', () => {
  it('flags the same paid request accepted twice within the window', async () => {
    const w = new World();
    const first = w.accepted(BODY, { durationMs: 20_000 });
    w.advance(5000).accepted(BODY);
    const report = await w.report();
    expect(report.findings[0]).toMatchObject({
      rule: 'duplicate-generate',
      severity: 'error',
      occurrences: 1,
    });
    expect(report.findings[0]!.examples[0]!.detail).toBe(
      `charged again 5 s after task ${first.taskId}, which had not failed`,
    );
  });

  it('flags a resend after a timeout while the first was still being answered', async () => {
    const w = new World();
    w.generate(BODY, { status: 200, tookMs: 40_000 });
    w.advance(31_000).accepted(BODY);
    expect((await w.found())['duplicate-generate']).toBe(1);
  });

  it('does not flag a resend once the first FAILED (by its plan, a poll, or QA), nor outside the window', async () => {
    const w = new World();
    w.accepted(BODY, { outcome: 'failed', durationMs: 2000 });
    w.advance(2000).accepted(BODY);

    const polled = w.accepted(OTHER_BODY, { readyAt: null, completeOnPoll: 1, outcome: 'failed' }).taskId!;
    w.poll(polled, { taskStatus: 'FAILED' });
    w.accepted(OTHER_BODY);

    const third = '{"prompt":"a hare","aspectRatio":"1:1","quality":"basic"}';
    const forced = w.accepted(third, { durationMs: 60_000 }).taskId!;
    w.endTask(forced, 'FAILED');
    w.accepted(third);

    const fourth = '{"prompt":"a lynx","aspectRatio":"1:1","quality":"basic"}';
    w.accepted(fourth);
    w.advance(60_001).accepted(fourth);
    expect((await w.found())['duplicate-generate']).toBeUndefined();
  });

  it('does not flag the same body from another key, nor a different body', async () => {
    const w = new World();
    w.accepted(BODY);
    w.accepted(BODY, {}, OTHER_KEY);
    w.accepted(OTHER_BODY);
    expect((await w.found())['duplicate-generate']).toBeUndefined();
  });
});

describe('abandoned-task', () => {
  it('flags a paid task that ended and was never read', async () => {
    const w = new World();
    const task = w.accepted(BODY, { durationMs: 3000 }).taskId!;
    const report = await w.report(w.now + 3000 + 10_000);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ rule: 'abandoned-task', severity: 'warning', occurrences: 1 });
    expect(report.findings[0]!.examples[0]).toEqual({
      journal_id: 1,
      summary: `POST /api/generate 200 at 2025-06-14T05:21:11.000Z key sk-d…-dev#d88b21 task ${task}`,
      detail: 'ended SUCCESS 10 s before the report, never read',
    });
  });

  it('does not flag a task read to its end, one within the grace, or one still running', async () => {
    const w = new World();
    const read = w.accepted(BODY, { durationMs: 3000 }).taskId!;
    w.accepted(OTHER_BODY, { durationMs: 600_000 });
    w.advance(3000).poll(read, { taskStatus: 'SUCCESS' });
    w.accepted('{"prompt":"late"}', { durationMs: 1000 });
    expect(await w.found(w.now + 5000)).toEqual({});
  });

  it('judges a poll-driven task only once QA ended it', async () => {
    const w = new World();
    const task = w.accepted(BODY, { readyAt: null, completeOnPoll: 5 }).taskId!;
    expect(await w.found(w.now + 3_600_000)).toEqual({});
    w.endTask(task, 'FAILED');
    expect(await w.found(w.now + 10_000)).toEqual({ 'abandoned-task': 1 });
  });

  it('does not flag a task whose last poll QA answered with a client error: stopping was right', async () => {
    const w = new World();
    const refused = w.accepted(BODY, { durationMs: 3000 }).taskId!;
    const resumed = w.accepted(OTHER_BODY, { durationMs: 3000 }).taskId!;
    w.advance(1000).poll(refused, { status: 404, injected: 'rule_1' });
    w.poll(resumed, { status: 404, injected: 'header' });
    // The same client error, not injected, is the client's to judge (a poll of another key's task).
    const real = w.accepted('{"prompt":"real"}', { durationMs: 3000 }).taskId!;
    w.poll(real, { status: 404 });
    w.advance(2000).poll(resumed, { status: 500, injected: 'chaos' }); // a later poll, not refused
    expect(await w.found(w.now + 60_000)).toEqual({ 'abandoned-task': 2 });
  });

  it('cannot judge tasks it forgot, and says so', async () => {
    const w = new World({ caps: { tasks: 2 } });
    for (let i = 0; i < 5; i++) w.accepted(`{"prompt":"fox ${i}"}`);
    const report = await w.report(w.now + 60_000);
    expect(report.findings[0]).toMatchObject({ rule: 'abandoned-task', occurrences: 2 });
    expect(report.blind_spots.forgotten.tasks).toBe(3);
  });
});

describe('what the simulator does on its own', () => {
  it('is never a finding when the client handles it well', async () => {
    const w = new World();
    // Chaos 500 on a generate: backed off, then accepted.
    w.generate(BODY, { status: 500, injected: 'chaos' });
    w.advance(700).generate(BODY, { status: 500, injected: 'chaos' });
    w.advance(1800).generate(BODY, { status: 429, retryAfterSeconds: 3, injected: 'rate-limit' });
    w.advance(3000);
    const task = w.accepted(BODY, { durationMs: 20_000 }).taskId!;
    // Polling through a reset, a malformed answer, a hang and a rate limit.
    w.advance(15_000).poll(task, { fault: 'reset', injected: 'header' });
    w.advance(400).poll(task, { fault: 'malformed', status: 200, injected: 'rule_1' });
    w.advance(1500).poll(task, { fault: 'hang', injected: 'rule_2', tookMs: 30_000 });
    w.advance(33_000).poll(task, { status: 429, retryAfterSeconds: 6, injected: 'rate-limit' });
    w.advance(6000).poll(task, { taskStatus: 'SUCCESS' });
    // An injected 402 and an injected 400, then the same request accepted.
    w.generate(OTHER_BODY, { status: 402, injected: 'header', balance: null });
    w.generate(OTHER_BODY, { status: 400, injected: 'rule_4' });
    const other = w.accepted(OTHER_BODY, { durationMs: 1000 }).taskId!;
    w.advance(3000).poll(other, { taskStatus: 'SUCCESS' });
    const report = await w.report(w.now + 60_000);
    expect(report.findings).toEqual([]);
    expect(report.summary).toMatchObject({ errors: 0, warnings: 0 });
  });
});
