// The client teams' guide's example (docs/guides/client-teams.md), as there but for the import paths:
// readme-example-sync.test.ts fails when the two differ, so the guide's example always runs.
// test/generate.test.ts, with vitest (any runner works)
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import { TaskFailedError } from '../../contracts/client/index.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  // Or, against a shared staging simulator, in a tenant of its own that stop() drops:
  //   sim = await connectSimulator(process.env.SIM_URL!, { create: { clock: 'virtual' } });
  sim = await startSimulator({ clock: 'virtual', seed: 'my-suite' });
});
afterAll(() => sim.stop());
beforeEach(() => sim.reset());

it('renders, and a moderated render is refunded', async () => {
  // The client's sleep moves the simulator's clock: a 45 s render takes no real time.
  const client = sim.client({ sleep: sim.clock.sleep });
  const done = await client.generate({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
  expect(done.status).toBe('SUCCESS');

  await sim.rules.add({
    match: { path: '/api/generate' },
    action: { task: { outcome: 'failed' } },
    times: 1,
  });
  await expect(client.generate({ prompt: 'a fox', aspectRatio: '1:1', quality: 'high' })).rejects.toThrow(
    TaskFailedError,
  );
  expect((await sim.accounts.get(sim.key)).balance).toBe(1000 - 12);
  // Returns as soon as the request is journaled (it is, before its answer's last byte): no sleep.
  expect(await sim.journal.waitFor({ path: '/api/generate', status: '200' })).toMatchObject({
    method: 'POST',
  });
});
