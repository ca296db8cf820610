/**
 * The HTTP server around the app: construction, listening and the drain on shutdown. main.ts uses
 * it; tests use it with small settings, in process.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimulatorServer {
  readonly server: Server;
  /** Listens; rejects with the listen error (EADDRINUSE, EACCES). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections and lets the requests in flight finish. Resolves `drained` once
   * every connection has closed, or `forced` after `graceMs`, having closed the rest.
   */
  drain(graceMs: number): Promise<'drained' | 'forced'>;
}

export function createSimulatorServer(app: RequestListener): SimulatorServer {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout, so they close first

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
        server.close(() => resolve('drained'));
        server.closeIdleConnections();
        setTimeout(() => {
          server.closeAllConnections();
          resolve('forced');
        }, graceMs).unref();
      })),
  };
}
