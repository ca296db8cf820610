/**
 * The simulator started inside the test process, the way `main.ts` assembles it
 * (`compose(parseConfig(args, env))`), listening on a free loopback port. Tests talk to it only over
 * HTTP: the public API like a client, `/__mock` like QA (see `control-api.ts`).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import { ControlApi } from './control-api.js';

/**
 * The verification setup of the issue: a virtual clock (time moves only when a test says so), no rate
 * limit (a state asks for a 429 when it wants one), fast latencies and a fixed seed (same ids, same
 * outcomes, run after run); quiet logs, and the simulator checking its own responses against the spec.
 */
export const VERIFICATION_ARGS: readonly string[] = [
  '--clock=virtual',
  '--rate-limit=off',
  '--latency=fast',
  '--seed=contracts',
  '--log-level=silent',
  '--request-log=off',
  '--validate-responses=on',
];

export interface InProcessSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  control: ControlApi;
  /** `X-Mock-Token`, when the simulator has one (for code that sets states up in another process). */
  controlToken: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts a simulator on 127.0.0.1 and a free port. `args` are the simulator's own flags; a later flag
 * wins over an earlier one, so `[...VERIFICATION_ARGS, '--rate-limit=generate=1/10s']` overrides.
 */
export async function startSimulator(
  args: readonly string[] = VERIFICATION_ARGS,
): Promise<InProcessSimulator> {
  const config = parseConfig([...args, '--host=127.0.0.1', '--port=0'], {});
  const { app } = await compose(config);
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    control: new ControlApi(url, config.controlToken),
    controlToken: config.controlToken,
    close: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
