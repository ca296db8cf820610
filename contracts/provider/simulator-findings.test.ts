/**
 * Simulator behaviour found while writing the contract suite, kept as regression tests after the fix.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DEV_API_KEY } from '../provider-states.js';
import { startSimulator, type InProcessSimulator } from './in-process-simulator.js';

let sim: InProcessSimulator;

beforeAll(async () => {
  sim = await startSimulator();
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  await sim.control.reset();
});

const generate = (body: object) =>
  fetch(`${sim.url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * mock-server/control-api.yaml, POST /__mock/faults, example `failAfterFiveSeconds`: "The next task of a
 * key fails after five seconds" (`action: { task: { outcome: failed, durationMs: 5000 } }, times: 1`).
 * It was once spent by the key's next generate *request* even when that request created no task (400,
 * 402); a task-shaping rule is now counted only when a task is created.
 */
it('a task-scenario rule with times: 1 shapes the next task, even after a refused generate', async () => {
  await sim.control.addFault({
    match: { path: '/api/generate', apiKey: DEV_API_KEY },
    action: { task: { outcome: 'failed', durationMs: 5000 } },
    times: 1,
  });
  const refused = await generate({ aspectRatio: '1:1', quality: 'basic' }); // no prompt: 400, no task
  expect(refused.status).toBe(400);

  const accepted = await generate({ prompt: 'A fox', aspectRatio: '1:1', quality: 'basic' });
  const { data } = (await accepted.json()) as { data: { task_id: string } };
  const task = await sim.control.task(data.task_id);
  expect(task?.plan.outcome).toBe('failed');
  expect(await sim.control.faults()).toEqual([]); // spent by the task, not by the refused request
});

it('a refused generate (402) leaves a task-shaping rule in place', async () => {
  await sim.control.addFault({
    match: { path: '/api/generate', apiKey: DEV_API_KEY },
    action: { task: { outcome: 'failed', durationMs: 5000 } },
    times: 1,
  });
  await sim.control.setBalance(DEV_API_KEY, 5);
  expect((await generate({ prompt: 'A fox', aspectRatio: '1:1', quality: 'basic' })).status).toBe(402);
  expect(await sim.control.faults()).toHaveLength(1);
});
