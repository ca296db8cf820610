/**
 * Model-based test of the ledger and the task lifecycle (issue 6), on one simulator: the model and its
 * commands are in test/support/ledger-model.ts (the fleet tests run the same on three replicas).
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import {
  MAX_COMMANDS,
  MIN_COMMANDS,
  SEQUENCES,
  START_BALANCES,
  runModel,
  summary,
  type Real,
} from '../support/ledger-model.js';
import { listenOnLoopback, type Listening } from './support.js';

describe('the ledger and the task lifecycle follow the model', () => {
  let sim: TestSimulator;
  let listening: Listening;
  let real: Real;

  beforeAll(async () => {
    sim = await testSimulator([
      ...Object.entries(START_BALANCES).map(([k, b]) => `--key=${k}=${b}`),
      '--failure-rate=0.25', // some tasks fail by the seeded draw, not only by header
    ]);
    listening = await listenOnLoopback(sim.app);
    real = { sim, http: supertest(listening.server) };
  });

  afterAll(async () => {
    await listening?.close();
    console.log(`model-based: ${summary()}`);
  });

  it(`${SEQUENCES} sequences of ${MIN_COMMANDS}-${MAX_COMMANDS} commands agree with the model`, async () => {
    await runModel(real);
  }, 120_000);
});
