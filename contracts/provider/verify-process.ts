/**
 * The child process of `verifyPact` (verify.ts): runs pact-js's `Verifier` with the state handlers of
 * state-handlers.ts, which set states up over HTTP, and sends back the verifier's report and what the
 * handlers did. It runs apart because the verifier's native core writes its human report straight to
 * file descriptor 1, which no code in the test process can capture or quiet; here the parent holds
 * that descriptor (a pipe) and keeps the text for the assertions and for failure messages.
 *
 * Started as `node --import tsx contracts/provider/verify-process.ts '<json options>'` with an IPC
 * channel; it answers with one message and exits.
 */
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import { PROVIDER } from '../consumer/pact-config.js';
import { ControlApi } from './control-api.js';
import { simulatorStates, type StateError } from './state-handlers.js';

export interface VerifyProcessOptions {
  providerBaseUrl: string;
  /** The simulator the states are set up on (its public API and its control API). */
  simulatorUrl: string;
  controlToken?: string | undefined;
  pactFile: string;
}

export interface VerifyProcessAnswer {
  /** The verifier's JSON report, or the message it rejected with. */
  text: string;
  errors: StateError[];
  resets: number;
  calls: Array<{ state: string; params: unknown }>;
}

async function run(options: VerifyProcessOptions): Promise<VerifyProcessAnswer> {
  const states = simulatorStates(
    new ControlApi(options.simulatorUrl, options.controlToken),
    options.simulatorUrl,
  );
  const verifier = new Verifier({
    provider: PROVIDER,
    providerBaseUrl: options.providerBaseUrl,
    pactUrls: [options.pactFile],
    // pact-js types `stateHandlers` as the intersection of its HTTP and message handler types; the HTTP
    // proxy calls the HTTP shape (`setup(params)`), which is what these are.
    stateHandlers: states.stateHandlers as unknown as VerifierOptions['stateHandlers'],
    // Called before the first state of each interaction (pact-js counts setups and teardowns).
    beforeEach: () => states.reset(),
    logLevel: 'error',
    timeout: 20_000,
  });
  let text: string;
  try {
    text = await verifier.verifyProvider();
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  return { text, errors: [...states.errors], resets: states.resets, calls: [...states.calls] };
}

const answer = await run(JSON.parse(process.argv[2] ?? '{}') as VerifyProcessOptions);
process.send!(answer, () => process.exit(0));
