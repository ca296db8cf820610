// The client teams' guide's verdict example (docs/guides/client-teams.md, "Is my client ready?"), as
// there but for the import path: report.test.ts fails when the two differ, so the guide's example runs.
// test/bad-day.test.ts, with vitest (jest, mocha and node:test alike)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ clock: 'virtual', seed: 'my-suite' });
});
afterAll(() => sim.stop());

it('renders through a bad day', async () => {
  // A 503 asking to come back in 2 s, then a connection reset on a poll.
  await sim.rules.add({
    match: { path: '/api/generate' },
    action: { status: 503, retryAfterSeconds: 2 },
    times: 1,
  });
  await sim.rules.add({ match: { path: '/api/status' }, action: { fault: 'reset' }, times: 1 });
  const client = sim.client({ sleep: sim.clock.sleep });
  const done = await client.generate({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
  expect(done.status).toBe('SUCCESS');
});

// Last: did the client handle it? Fails listing each rule it broke, with examples from the journal.
it('handled it', async () => {
  const report = await sim.assertNoFindings();
  expect(report.coverage.seen.map((s) => s.outcome)).toContain('generate:503');
});
