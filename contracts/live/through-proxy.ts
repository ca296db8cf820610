/**
 * `contracts:live --through-proxy`: the live check run through the simulator's own proxy, started in
 * this process in front of DREAMCORE_BASE_URL with `--record`, so that the evidence (a cassette of
 * what the live API really said, keys redacted) goes with the JUnit report. The proxy is transparent:
 * no fault headers, no rate limit, no credit guard of its own (the runner's budget applies, checked
 * before each generate), and it never holds the key: each request carries it, as from any client.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { compose } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';

export interface RecordingProxy {
  url: string;
  cassette: string;
  /** Exchanges in the cassette now. */
  exchanges(): number;
  close(): Promise<void>;
}

/** The cassette next to a JUnit file: `x.junit.xml` -> `x.cassette.json`. */
export function cassetteBeside(junitFile: string): string {
  return /\.junit\.xml$/i.test(junitFile)
    ? junitFile.replace(/\.junit\.xml$/i, '.cassette.json')
    : `${junitFile.replace(/\.xml$/i, '')}.cassette.json`;
}

export async function startRecordingProxy(
  target: string,
  cassette: string,
  timeoutMs: number,
): Promise<RecordingProxy> {
  const config = parseConfig(
    [
      `--proxy=${target}`,
      `--record=${cassette}`,
      `--proxy-timeout-ms=${Math.min(timeoutMs, 600_000)}`,
      '--fault-headers=off',
      '--dev-key=off',
      '--host=127.0.0.1',
      '--port=0',
      '--log-level=silent',
      '--request-log=off',
    ],
    {},
  );
  const { app } = await compose(config);
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cassette,
    exchanges: () =>
      (JSON.parse(readFileSync(cassette, 'utf8')) as { exchanges: unknown[] }).exchanges.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
