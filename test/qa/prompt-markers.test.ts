/**
 * Prompt markers, for clients that can neither add headers nor call the control API:
 * `[mock:outcome=failed]`, `[mock:duration=5000]`, `[mock:polls=2]`, `[mock:error=...]` shape the
 * task; they stay in the prompt; an invalid one is a 400 naming body.prompt and touches nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  BODY,
  HOUR,
  PRICE,
  START_BALANCE,
  generate,
  resetBeforeEach,
  status,
  taskView,
} from './qa-support.js';

const base = resetBeforeEach();
let sim: TestSimulator;
beforeEach(() => {
  sim = base();
});

async function marked(prompt: string, headers: Record<string, string> = {}) {
  const res = await generate(sim, headers, { ...BODY, prompt });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.task_id as string;
}

describe('valid markers shape the task', () => {
  it('[mock:outcome=failed] fails the task and refunds it', async () => {
    const taskId = await marked('a red fox [mock:outcome=failed]');
    expect(await sim.balance()).toBe(START_BALANCE - PRICE);
    sim.advance(HOUR);
    const record = (await status(sim, taskId)).body.data;
    expect(record).toMatchObject({ status: 'FAILED', consumed_credits: 0 });
    expect(record.error_message.length).toBeGreaterThan(0);
    expect(await sim.balance()).toBe(START_BALANCE);
  });

  it('[mock:outcome=success] overrides a failure rate of 1', async () => {
    sim = await testSimulator(['--failure-rate=1']);
    const taskId = await marked('a red fox [mock:outcome=success]');
    sim.advance(HOUR);
    expect((await status(sim, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('[mock:duration=5000] ends it exactly at 5000 ms', async () => {
    const taskId = await marked('[mock:duration=5000] a red fox');
    sim.advance(4999);
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    sim.advance(1);
    expect((await status(sim, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('[mock:polls=2] completes on the second poll, with no clock movement', async () => {
    const taskId = await marked('a red fox [mock:polls=2]');
    expect((await status(sim, taskId)).body.data.status).toBe('IN_PROGRESS');
    expect((await status(sim, taskId)).body.data.status).toBe('SUCCESS');
  });

  it('[mock:error=...] with [mock:outcome=failed] sets the error_message', async () => {
    const taskId = await marked(
      'a red fox [mock:outcome=failed] [mock:error=Custom message] [mock:duration=10]',
    );
    sim.advance(10);
    expect((await status(sim, taskId)).body.data).toMatchObject({
      status: 'FAILED',
      error_message: 'Custom message',
      consumed_credits: 0,
    });
  });

  it('stay in the prompt of the request snapshot: it is what the client sent', async () => {
    const prompt = 'a red fox [mock:outcome=failed] [mock:polls=1]';
    const taskId = await marked(prompt);
    const record = (await status(sim, taskId)).body.data;
    expect(record.status).toBe('FAILED');
    expect(record.request.prompt).toBe(prompt);
  });

  it('appear in the plan the control API shows', async () => {
    const taskId = await marked('a red fox [mock:outcome=failed] [mock:error=Nope] [mock:polls=4]');
    expect((await taskView(sim, taskId)).plan).toEqual({
      outcome: 'failed',
      error_message: 'Nope',
      ready_at: null,
      complete_on_poll: 4,
    });
  });

  it('give way to a header on the same request (the edge decides)', async () => {
    const taskId = await marked('a red fox [mock:outcome=failed]', { 'X-Mock-Outcome': 'success' });
    expect((await taskView(sim, taskId)).plan.outcome).toBe('success');
  });

  it('mere brackets that are not markers change nothing', async () => {
    const taskId = await marked('a red fox [mock] [outcome=failed] mock:polls=1');
    expect((await taskView(sim, taskId)).plan).toMatchObject({ outcome: 'success', complete_on_poll: null });
  });
});

describe('invalid markers', () => {
  it.each([
    ['[mock:outcome=maybe]'],
    ['[mock:duration=soon]'],
    ['[mock:duration=-5]'],
    ['[mock:duration=86400001]'],
    ['[mock:polls=0]'],
    ['[mock:polls=two]'],
  ])('%s is a 400 naming body.prompt, with no task and no deduction', async (marker) => {
    const res = await generate(sim, {}, { ...BODY, prompt: `a red fox ${marker}` });
    expect(res.status).toBe(400);
    expect(res.body.data.type).toBe('invalid_request');
    expect(res.body.data.errors).toEqual([{ field: 'body.prompt', message: expect.any(String) }]);
    expect(await sim.balance()).toBe(START_BALANCE);
    expect(await sim.taskCount()).toBe(0);
  });

  // BUG: prompt-markers.ts accepts `[mock:error=   ]` (the value is trimmed to ''), so the task fails
  // with error_message "" while X-Mock-Error-Message refuses a blank message (header-faults.ts) and
  // the spec's error_message is "Provider error string when status is FAILED".
  it('[mock:error=   ] never yields a FAILED task with an empty error_message', async () => {
    const res = await generate(
      sim,
      {},
      { ...BODY, prompt: 'a red fox [mock:outcome=failed] [mock:error=   ]' },
    );
    if (res.status === 400) {
      expect(res.body.data.errors).toEqual([{ field: 'body.prompt', message: expect.any(String) }]);
      return;
    }
    sim.advance(HOUR);
    const record = (await status(sim, res.body.data.task_id)).body.data;
    expect(record.status).toBe('FAILED');
    expect(record.error_message, 'a blank [mock:error=] became the error_message').not.toBe('');
  });
});
