/**
 * Provider verification: the pact the consumer tests wrote (`pacts/`) replayed by pact-js's `Verifier`
 * against the simulator, started in this process on a free port with a virtual clock, no rate limit,
 * fast latencies and a fixed seed. Each interaction's provider states are set up by the handlers of
 * `state-handlers.ts`, through the control API QA uses, after a reset.
 *
 * Run after `contracts/consumer` (the `contracts` project runs one file at a time):
 *   npx vitest run --project contracts contracts/consumer
 *   npx vitest run --project contracts contracts/provider
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PACT_FILE } from '../consumer/pact-config.js';
import { loadPact } from '../pact-spec/compare-pact.js';
import {
  DEV_API_KEY,
  PROVIDER_STATES,
  PROVIDER_STATE_NAMES,
  UNKNOWN_API_KEY,
  UNKNOWN_TASK_ID,
} from '../provider-states.js';
import { ControlApiError } from './control-api.js';
import { startSimulator, type InProcessSimulator } from './in-process-simulator.js';
import { simulatorStates, type SimulatorStates } from './state-handlers.js';
import { failedInteractions, verifyPact } from './verify.js';

const pact = existsSync(PACT_FILE) ? loadPact(PACT_FILE) : undefined;

let sim: InProcessSimulator;
let states: SimulatorStates;

beforeAll(async () => {
  sim = await startSimulator();
  states = simulatorStates(sim.control, sim.url);
});

afterAll(async () => {
  await sim?.close();
});

describe('the state handlers', () => {
  it('cover exactly the catalogued provider states', () => {
    const catalogue = Object.keys(PROVIDER_STATES).sort();
    expect(Object.keys(states.stateHandlers).sort()).toEqual(catalogue);
    expect(Object.keys(states.setups).sort()).toEqual(catalogue);
    expect([...PROVIDER_STATE_NAMES].sort()).toEqual(catalogue);
  });

  it('cover every state the pact names', () => {
    expect(pact, `${PACT_FILE} is missing: run the consumer tests first`).toBeDefined();
    const named = new Set(pact!.interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)));
    expect([...named].filter((name) => !Object.hasOwn(states.stateHandlers, name))).toEqual([]);
  });
});

describe('provider verification against the simulator', () => {
  it('the simulator honours every interaction of the pact', async () => {
    expect(pact, `${PACT_FILE} is missing: run the consumer tests first`).toBeDefined();
    const verification = await verifyPact({ providerBaseUrl: sim.url, simulator: sim });

    expect(verification.states.errors, 'a provider state could not be set up').toEqual([]);
    expect(verification.ok, `verification failed:\n${verification.report}\n${verification.output}`).toBe(
      true,
    );
    expect(failedInteractions(verification.results)).toEqual([]);
    // Every interaction was replayed (none skipped or filtered), each after its own reset.
    const verified = verification.results.interactionResults.map((r) => r.description).sort();
    expect(verified).toEqual(pact!.interactions.map((i) => i.description).sort());
    expect(verification.states.resets).toBe(pact!.interactions.length);
    // And each state was set up with the params the pact gives it.
    const expectedCalls = pact!.interactions.flatMap((i) => i.providerStates ?? []);
    expect(verification.states.calls.map((c) => c.state)).toEqual(expectedCalls.map((s) => s.name));
    // The verifier's own report was printed where the test can read it, not into the test run's output.
    expect(verification.output).toContain('Verifying a pact between');
  });
});

/**
 * The handlers on their own: each sets up what its catalogue entry says, observed through the public
 * API and the control API, so a handler that quietly does nothing cannot pass because the simulator's
 * defaults happen to match the interaction.
 */
describe('each state handler sets up its state', () => {
  const auth = (key = DEV_API_KEY) => ({ Authorization: `Bearer ${key}` });
  const status = (taskId: string, key = DEV_API_KEY) =>
    fetch(`${sim.url}/api/status?task_id=${taskId}`, { headers: auth(key) });
  const generate = (body: object, key = DEV_API_KEY) =>
    fetch(`${sim.url}/api/generate`, {
      method: 'POST',
      headers: { ...auth(key), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const BASIC = { prompt: 'A lighthouse in a storm', aspectRatio: '9:16', quality: 'basic' } as const;

  beforeEach(async () => {
    await states.reset();
  });

  it("'an account exists' sets the key's balance exactly, creating the key", async () => {
    await states.setups['an account exists']({ apiKey: 'sk-new-account', balance: 7 });
    expect((await sim.control.account('sk-new-account'))?.balance).toBe(7);
    await states.setups['an account exists']({ apiKey: DEV_API_KEY, balance: 6 });
    const refused = await generate({ ...BASIC, quality: 'high' });
    expect(refused.status).toBe(402);
  });

  it("'no account has the API key' holds for an unknown key and refuses a configured one", async () => {
    await expect(states.setups['no account has the API key']({ apiKey: UNKNOWN_API_KEY })).resolves.toEqual(
      {},
    );
    expect((await generate(BASIC, UNKNOWN_API_KEY)).status).toBe(401);
    await expect(states.setups['no account has the API key']({ apiKey: DEV_API_KEY })).rejects.toThrow(
      /an account has the key/,
    );
  });

  it.each(['IN_PROGRESS', 'SUCCESS', 'FAILED'] as const)(
    "'a task exists' with status %s returns the id of such a task",
    async (wanted) => {
      const errorMessage = wanted === 'FAILED' ? 'moderation: sensitive content' : null;
      const { taskId } = await states.setups['a task exists']({
        apiKey: 'sk-task-owner',
        status: wanted,
        request: { ...BASIC, quality: 'high' },
        errorMessage,
      });
      expect(taskId).toMatch(/^sd45_[0-9a-f]{16}$/);
      const res = await status(taskId, 'sk-task-owner');
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Record<string, unknown> };
      expect(data).toMatchObject({ task_id: taskId, status: wanted, error_message: errorMessage });
      expect(data.response).toHaveLength(wanted === 'SUCCESS' ? 1 : 0);
      expect(data.consumed_credits).toBe(wanted === 'FAILED' ? 0 : 18);
      // The owner was created with just enough credits; a failure gave them back.
      expect((await sim.control.account('sk-task-owner'))?.balance).toBe(wanted === 'FAILED' ? 18 : 0);
    },
  );

  it("'no task exists with the id' holds for an unknown id and refuses an existing one", async () => {
    await states.setups['no task exists with the id']({ apiKey: 'sk-someone', taskId: UNKNOWN_TASK_ID });
    expect(await sim.control.account('sk-someone')).toBeDefined();
    expect((await status(UNKNOWN_TASK_ID, 'sk-someone')).status).toBe(404);

    const { taskId } = await states.setups['a task exists']({
      apiKey: DEV_API_KEY,
      status: 'IN_PROGRESS',
      request: BASIC,
      errorMessage: null,
    });
    await expect(
      states.setups['no task exists with the id']({ apiKey: DEV_API_KEY, taskId }),
    ).rejects.toThrow(/exists/);
  });

  it("'the next request is rate limited' answers the next matching request 429, once", async () => {
    await states.setups['the next request is rate limited']({
      method: 'GET',
      path: '/api/status',
      retryAfterSeconds: 3,
    });
    const limited = await status(UNKNOWN_TASK_ID);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await status(UNKNOWN_TASK_ID)).status).toBe(404);
  });

  it("'the next request fails with 500' fails the next matching request, once, charging nothing", async () => {
    await states.setups['the next request fails with 500']({ method: 'POST', path: '/api/generate' });
    expect((await generate(BASIC)).status).toBe(500);
    expect((await sim.control.account(DEV_API_KEY))?.balance).toBe(1000);
    expect(await sim.control.tasks()).toEqual([]);
    expect((await generate(BASIC)).status).toBe(200);
  });

  it('a handler that cannot set its state up is recorded, so the verification cannot pass quietly', async () => {
    const fresh = simulatorStates(sim.control, sim.url);
    const setup = fresh.stateHandlers['no account has the API key'] as {
      setup: (params: unknown) => Promise<unknown>;
    };
    await expect(setup.setup({ apiKey: DEV_API_KEY })).rejects.toThrow();
    await expect(setup.setup({ key: 'wrong parameter name' })).rejects.toThrow(/params \[key\]/);
    expect(fresh.errors.map((e) => e.state)).toEqual([
      'no account has the API key',
      'no account has the API key',
    ]);
  });

  it('the control API refuses what it cannot do, with the reason', async () => {
    const { taskId } = await states.setups['a task exists']({
      apiKey: DEV_API_KEY,
      status: 'SUCCESS',
      request: BASIC,
      errorMessage: null,
    });
    // Terminal states never change: a second forced ending is a 409 that names the status.
    const error = await sim.control.failTask(taskId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect((error as ControlApiError).status).toBe(409);
    expect((error as Error).message).toContain('SUCCESS');
  });
});
