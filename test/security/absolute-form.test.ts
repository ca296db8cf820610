/**
 * The Host allowlist (--allowed-hosts) and an absolute-form request target. HTTP lets a client name
 * the host in the request line (`GET http://evil.example/api/status HTTP/1.1`), and then the request
 * line's authority, not the Host header, says which host is asked (RFC 9112, 3.2.2): a request whose
 * authority is not served is refused like a bad Host, 403 in the envelope, touching nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { createSimulatorServer, type SimulatorServer } from '../../mock-server/src/http/server.js';
import { RawClient } from '../support/raw-http.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';

const SERVER = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 50,
};

describe('an absolute-form request target names a host too', () => {
  let sim: TestSimulator;
  let server: SimulatorServer;
  let port: number;
  let taskId: string;

  beforeAll(async () => {
    sim = await testSimulator();
    server = createSimulatorServer(sim.app, SERVER);
    ({ port } = await server.listen(0, '127.0.0.1'));
    const gen = await sim.http.post('/api/generate').set(sim.auth()).send(SAMPLE_REQUEST);
    taskId = gen.body.data.task_id as string;
  });
  afterAll(async () => {
    await server?.drain(0);
  });

  /** One request on its own connection, written as it is. */
  async function send(requestLine: string, headers: Record<string, string>, body?: string) {
    const client = await RawClient.connect(port);
    try {
      const lines = Object.entries({
        ...headers,
        ...(body === undefined
          ? {}
          : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }),
      }).map(([name, value]) => `${name}: ${value}\r\n`);
      client.write(`${requestLine}\r\n${lines.join('')}\r\n${body ?? ''}`);
      return await client.response();
    } finally {
      client.close();
    }
  }

  it('refuses an authority the simulator does not serve, with Host: localhost, on every route', async () => {
    const journalBefore = (await sim.http.get('/__mock/journal')).body.data.entries.length;
    const balanceBefore = await sim.balance();
    const auth = { Authorization: `Bearer ${DEV_KEY}` };
    const requests: Array<[string, Record<string, string>, string?]> = [
      [`GET http://evil.example/api/status?task_id=${taskId} HTTP/1.1`, auth],
      ['POST http://evil.example/api/generate HTTP/1.1', auth, JSON.stringify(SAMPLE_REQUEST)],
      ['GET http://evil.example:4010/__mock/clock HTTP/1.1', {}],
      ['POST http://evil.example/__mock/clock/advance HTTP/1.1', {}, '{"ms":1000}'],
      [`GET http://evil.example/files/${taskId}/0.jpg HTTP/1.1`, {}],
      ['GET http://evil.example/no/such/route HTTP/1.1', {}],
      // Userinfo before the host: the host is evil.example.
      ['GET http://localhost@evil.example/__mock/clock HTTP/1.1', {}],
      // HTTP/1.0 may come without Host: the authority alone says which host is asked.
      ['GET http://evil.example/__mock/clock HTTP/1.0', {}],
    ];
    for (const [line, headers, body] of requests) {
      const withHost = line.endsWith('HTTP/1.0') ? headers : { Host: 'localhost', ...headers };
      const res = await send(line, withHost, body);
      expect(res.status, line).toBe(403);
      expect(res.json, line).toMatchObject({ code: 403, data: { type: 'forbidden' } });
      expect((res.json as { message: string }).message, line).toContain('"evil.example');
      expect((res.json as { message: string }).message, line).toContain('--allowed-hosts');
    }
    expect((await sim.http.get('/__mock/journal')).body.data.entries.length).toBe(journalBefore);
    expect(await sim.balance()).toBe(balanceBefore);
    expect(sim.clock.now()).toBe((await sim.http.get('/__mock/clock')).body.data.now);
  });

  it('serves an authority it serves, and still refuses a bad Host beside a good authority', async () => {
    const clock = await send(`GET http://localhost:${port}/__mock/clock HTTP/1.1`, { Host: 'localhost' });
    expect(clock.status).toBe(200);
    const status = await send(`GET http://127.0.0.1:${port}/api/status?task_id=${taskId} HTTP/1.1`, {
      Host: `127.0.0.1:${port}`,
      Authorization: `Bearer ${DEV_KEY}`,
    });
    expect(status.status).toBe(200);
    const badHost = await send(`GET http://localhost/__mock/clock HTTP/1.1`, { Host: 'evil.example' });
    expect(badHost.status).toBe(403);
  });
});
