/**
 * The HTTP server around the app (http/server.ts), in process, with small limits: Node's own
 * client errors answered in the envelope, the header, request and idle timeouts, the connection
 * cap, and the drain on shutdown. Raw `net` sockets on 127.0.0.1 send what HTTP clients would not.
 *
 * Waits here are for real events (a timeout of the server firing, a socket closing), each with a
 * generous bound; nothing asserts how fast they came.
 */
import { Agent, request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorServer, type SimulatorServer } from '../../mock-server/src/http/server.js';
import { testSimulator, type TestSimulator } from '../support/harness.js';
import { waitFor } from '../support/process-tools.js';
import { RawClient } from '../support/raw-http.js';

const LIMITS = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 60_000,
  maxConnections: 3,
};

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

async function start(
  limits: Partial<typeof LIMITS> = {},
): Promise<{ server: SimulatorServer; port: number }> {
  const server = createSimulatorServer(sim.app, { ...LIMITS, ...limits });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

function openConnections({ server }: SimulatorServer): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function expectEnvelope(
  res: { status: number; headers: Record<string, string>; json: unknown },
  status: number,
  type: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json).toMatchObject({ code: status, message: expect.any(String), data: { type } });
}

describe("Node's own client errors, in the envelope", () => {
  it('slow headers (half a request line, then nothing) get 408 request_timeout and the socket closes', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write('GET /__mock/hea');
    const res = await c.response();
    expectEnvelope(res, 408, 'request_timeout');
    expect(res.headers.connection).toBe('close');
    await c.closed;
  });

  it('a connection that sends nothing at all gets 408 too', async () => {
    const { port } = await start();
    const c = await client(port);
    expectEnvelope(await c.response(), 408, 'request_timeout');
    await c.closed;
  });

  it('a body announced and never sent gets 408 after the request timeout', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write(
      'POST /__mock/clock/advance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"ms":',
    );
    expectEnvelope(await c.response(), 408, 'request_timeout');
    await c.closed;
  });

  it('an endless body, trickled under the body limit, gets 408 after the request timeout', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write(
      'POST /__mock/clock/advance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const trickle = setInterval(() => c.write('1\r\n \r\n'), 20);
    try {
      expectEnvelope(await c.response(), 408, 'request_timeout');
      await c.closed;
    } finally {
      clearInterval(trickle);
    }
  });

  it('oversized headers get 431 headers_too_large', async () => {
    const { port } = await start();
    const c = await client(port);
    c.get('/__mock/health', { 'X-Padding': 'a'.repeat(20_000) });
    expectEnvelope(await c.response(), 431, 'headers_too_large');
    await c.closed;
  });

  it('a garbage request line gets 400 invalid_request', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write('HELLO THERE\r\n\r\n');
    expectEnvelope(await c.response(), 400, 'invalid_request');
    await c.closed;
  });

  it('an HTTP/1.1 request without Host gets 400 invalid_request', async () => {
    const { port } = await start();
    const c = await client(port);
    c.write('GET /__mock/health HTTP/1.1\r\n\r\n');
    expectEnvelope(await c.response(), 400, 'invalid_request');
    await c.closed;
  });

  it('a well-formed request on the same server is answered as usual', async () => {
    const { port } = await start();
    const c = await client(port);
    c.get('/__mock/health');
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('keep-alive');
  });
});

describe('timeouts never cut a response the simulator holds on purpose', () => {
  it('X-Mock-Delay-Ms beyond the request timeout: the answer still arrives', async () => {
    // The request timeout bounds receiving the request; a delay holds the response after the
    // request has been received, so it is not cut (--max-delay-ms bounds it instead).
    const { port } = await start({ requestTimeoutMs: 300, headersTimeoutMs: 300 });
    const c = await client(port);
    c.get('/api/status?task_id=sd45_0000000000000000', { ...sim.auth(), 'X-Mock-Delay-Ms': '900' });
    const res = await c.response();
    expect(res.status).toBe(404);
    expect(c.isOpen).toBe(true);
  });
});

describe('the connection cap', () => {
  it('beyond the cap a connection gets 503 service_unavailable with Retry-After and Connection: close', async () => {
    const { server, port } = await start();
    const stalled = await Promise.all([client(port), client(port), client(port)]);
    for (const s of stalled) s.write('GET /__mock/he'); // each holds a connection, headers unfinished
    const extra = await client(port);
    extra.get('/__mock/health');
    const res = await extra.response();
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers.connection).toBe('close');
    expect(res.json).toMatchObject({ code: 503, data: { type: 'service_unavailable' } });
    await extra.closed;

    // The stalled sockets are closed by the header timeout; then a normal request succeeds.
    await Promise.all(stalled.map((s) => s.closed));
    await waitFor(async () => (await openConnections(server)) === 0, 'the server to let go of them');
    const after = await client(port);
    after.get('/__mock/health');
    expect((await after.response()).status).toBe(200);
  });

  it('at the cap, an idle keep-alive connection is closed to make room (the oldest first)', async () => {
    const { port } = await start();
    const idle: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await client(port);
      c.get('/__mock/health');
      expect((await c.response()).status).toBe(200);
      idle.push(c);
    }
    const newcomer = await client(port);
    newcomer.get('/__mock/health');
    expect((await newcomer.response()).status).toBe(200);
    await idle[0]!.closed;
    expect(idle.slice(1).map((c) => c.isOpen)).toEqual([true, true]);
  });
});

describe('the drain', () => {
  it('answers in flight and after it say Connection: close; it resolves once they are done', async () => {
    const { server, port } = await start({ maxConnections: 100 });
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
