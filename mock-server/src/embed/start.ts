/**
 * startSimulator(): a simulator in this process, on a free loopback port, built exactly as the CLI
 * builds one (same parser, same composition), with a handle on its default world.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { compose } from '../compose.js';
import { createControlClient } from './control-client.js';
import { SimulatorHandle } from './handle.js';
import { configOf, type SimulatorOptions } from './options.js';

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const config = configOf(options);
  const { app } = await compose(config);
  const server = app.listen(config.port, config.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return new SimulatorHandle({
    url,
    tenant: 'default',
    keys: config.keys.map(({ apiKey, balance }) => ({ apiKey, balance })),
    control: createControlClient(url, config.controlToken ? { token: config.controlToken } : {}),
    onStop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
