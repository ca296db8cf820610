/**
 * The HTTP server around the app: construction, listening, and the drain on shutdown. main.ts uses
 * it; tests use it in process.
 *
 * The drain: no new connections, every answer from then on says `Connection: close` (so a
 * keep-alive client does not send another request on a socket about to close), idle connections
 * close at once, requests in flight finish.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimulatorServer {
  readonly server: Server;
  /** Listens; rejects with the listen error (EADDRINUSE, EACCES). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections; answers from now on say `Connection: close`; idle connections
   * close now. Resolves `drained` once every connection has closed, or `forced` after `graceMs`,
   * having closed the rest. Later calls return the first call's promise.
   */
  drain(graceMs: number): Promise<'drained' | 'forced'>;
}

export function createSimulatorServer(app: RequestListener): SimulatorServer {
  const server = createServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) res.setHeader('Connection', 'close');
    app(req, res);
  });
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout, so they close first

  /** Responses not yet finished. */
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  let drained: Promise<'drained' | 'forced'> | undefined;
  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    drain: (graceMs) =>
      (drained ??= new Promise((resolve) => {
        draining = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        server.close(() => resolve('drained')); // also closes the idle connections (Node >= 19)
        setTimeout(() => {
          server.closeAllConnections();
          resolve('forced');
        }, graceMs).unref();
      })),
  };
}
