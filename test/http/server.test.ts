/**
 * The HTTP server around the app (http/server.ts), in process: the drain on shutdown. Raw `net`
 * sockets on 127.0.0.1 send what HTTP clients would not.
 *
 * Waits here are for real events (a socket closing), each with a generous bound; nothing asserts
 * how fast they came.
 */
import { Agent, request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorServer, type SimulatorServer } from '../../mock-server/src/http/server.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import { RawClient } from '../support/raw-http.js';

let sim: TestSimulator;
beforeAll(async () => {
  sim = await testSimulator();
});

const servers: SimulatorServer[] = [];
const clients: RawClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const { server } of servers.splice(0)) {
    server.close();
    server.closeAllConnections();
  }
});

async function start(): Promise<{ server: SimulatorServer; port: number }> {
  const server = createSimulatorServer(sim.app);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

describe('the drain', () => {
  it('answers in flight and after it say Connection: close; it resolves once they are done', async () => {
    const { server, port } = await start();
    const agent = new Agent({ keepAlive: true });
    const arrived = new Promise((resolve) => server.server.once('request', resolve));
    const slow = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/status?task_id=sd45_0000000000000000',
          agent,
          headers: { ...sim.auth(), 'X-Mock-Delay-Ms': '600' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    // A connection opened before the drain whose request only comes after it.
    const late = await client(port);
    await arrived; // the slow request is in flight, held by its delay
    const drained = server.drain(30_000);
    late.get('/__mock/health');
    const lateRes = await late.response();
    expect(lateRes.status).toBe(200);
    expect(lateRes.headers.connection).toBe('close');
    await late.closed;
    expect(await slow).toEqual({ status: 404, connection: 'close' });
    expect(await drained).toBe('drained');
    agent.destroy();
  });
});
