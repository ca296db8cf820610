/**
 * Two clients through the same bad day, each in a tenant of its own on one simulator: a 429 asking
 * to wait 3 s, then three 500s on the generate, a task that ends in 5 s, and an id that is nobody's.
 *
 * The naive client retries at once, polls in a tight loop, polls on after the end, asks again for the
 * id that is nobody's, sends its paid request twice and forgets a task: it breaks every rule. The
 * careful one honours Retry-After, backs off, polls every few seconds, stops at the end, never resends
 * a paid request: no finding. Both sleep on the simulator's virtual clock (their world's).
 */
import { describe, expect, it } from 'vitest';
import {
  connectSimulator,
  startSimulator,
  type SimulatorHandle,
  type VerdictReport,
} from '../../mock-server/src/index.js';
import { RULES } from '../../mock-server/src/verdict/rules/index.js';

const BODY = { prompt: 'a lighthouse in a storm', aspectRatio: '16:9', quality: 'basic' } as const;
const NOBODYS = 'sd45_ffffffffffffffff';

interface Answer {
  status: number;
  retryAfterMs: number | null;
  data: { task_id?: string; status?: string } | undefined;
}

/** One request of a client, as it sees the answer. */
async function call(world: SimulatorHandle, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${world.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      Authorization: `Bearer ${world.key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json().catch(() => undefined)) as { data?: Answer['data'] } | undefined;
  const retryAfter = res.headers.get('retry-after');
  return {
    status: res.status,
    retryAfterMs: retryAfter === null ? null : Number(retryAfter) * 1000,
    data: parsed?.data,
  };
}

const statusOf = (taskId: string) => `/api/status?task_id=${taskId}`;

// The client teams' guide shows what follows, to `guide: end` (verdict-guide-sync.test.ts holds it).
/** The bad day: the same rules in each client's world. */
async function badDay(world: SimulatorHandle): Promise<void> {
  await world.rules.add({
    match: { path: '/api/generate' },
    action: { status: 429, retryAfterSeconds: 3 },
    times: 1,
  });
  await world.rules.add({ match: { path: '/api/generate' }, action: { status: 500 }, times: 3 });
  await world.rules.add({ match: { path: '/api/generate' }, action: { task: { durationMs: 5_000 } } });
}

async function naiveClient(world: SimulatorHandle): Promise<void> {
  const tick = (ms: number) => world.clock.advance(ms);
  // Retries at once, whatever the answer, until it has a task.
  let answer = await call(world, '/api/generate', BODY);
  while (answer.status !== 200) answer = await call(world, '/api/generate', BODY);
  const taskId = answer.data!.task_id!;
  // Did that go through? Better send it again.
  await call(world, '/api/generate', BODY);
  // Polls every 200 ms, and a few more times once it is done, to be sure.
  let done = 0;
  while (done < 3) {
    await tick(200);
    const polled = await call(world, statusOf(taskId));
    if (polled.data?.status === 'SUCCESS' || polled.data?.status === 'FAILED') done++;
  }
  // An id it mistyped, asked for twice.
  await call(world, statusOf(NOBODYS));
  await call(world, statusOf(NOBODYS));
  await tick(60_000);
}

async function carefulClient(world: SimulatorHandle): Promise<void> {
  const sleep = world.clock.sleep;
  let taskId: string | undefined;
  for (let attempt = 0, backoffMs = 1_000; attempt < 6 && taskId === undefined; attempt++) {
    const answer = await call(world, '/api/generate', BODY);
    if (answer.status === 200) taskId = answer.data!.task_id!;
    else if (answer.status === 429 || answer.status === 503 || answer.status >= 500) {
      // Retry-After when the server says; else a wait that doubles.
      await sleep(Math.max(answer.retryAfterMs ?? 0, backoffMs));
      backoffMs *= 2;
    } else break;
  }
  expect(taskId).toBeDefined();
  // Never resends the paid request: it has its task. Polls every 3 s until the end, then stops.
  for (;;) {
    await sleep(3_000);
    const polled = await call(world, statusOf(taskId!));
    if (polled.data?.status === 'SUCCESS' || polled.data?.status === 'FAILED') break;
  }
  // An id that is not its own: asked once, and given up.
  expect((await call(world, statusOf(NOBODYS))).status).toBe(404);
  await sleep(60_000);
}
// guide: end

async function run(client: (world: SimulatorHandle) => Promise<void>, url: string): Promise<VerdictReport> {
  await using world = await connectSimulator(url, { create: { clock: 'virtual' } });
  await badDay(world);
  await client(world);
  return world.report();
}

describe('a naive client and a careful one, through the same bad day', () => {
  it('the naive one breaks every rule, the careful one none', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'clients', rateLimit: 'off' });
    const [naive, careful] = await Promise.all([run(naiveClient, sim.url), run(carefulClient, sim.url)]);

    expect(Object.fromEntries(naive.findings.map((f) => [f.rule, f.occurrences]))).toEqual({
      // Every generate within the 3 s: the three retries after the 429, the accepted one, the resend.
      'retry-after-ignored': 5,
      'no-backoff': 1,
      // Each poll 200 ms after the last, until the task's end at 5 s.
      'poll-too-fast': 24,
      'poll-after-terminal': 1,
      'retry-unchanged-4xx': 1,
      'duplicate-generate': 1,
      'abandoned-task': 1,
    });
    expect(naive.findings.map((f) => f.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
    expect(naive.summary).toMatchObject({ errors: 3, warnings: 4 });

    expect(careful.findings).toEqual([]);
    // The same bad day: both met the 429, the 500s, the task's end and the 404.
    for (const outcome of [
      'generate:429',
      'generate:500',
      'generate:200',
      'status:200:SUCCESS',
      'status:404',
    ])
      expect(
        careful.coverage.seen.map((s) => s.outcome),
        outcome,
      ).toContain(outcome);
    expect(careful.spend).toMatchObject({ debited: 12, refunded: 0 });
    expect(naive.spend).toMatchObject({ debited: 24, refunded: 0 }); // charged twice
  });
});
