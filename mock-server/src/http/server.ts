/**
 * The HTTP server around the app: its limits, the answers Node itself would give, the connection
 * cap, listening, and the drain on shutdown. main.ts uses it; tests use it with small settings, in
 * process.
 *
 * - Timeouts: headers must arrive within `headersTimeoutMs`, the whole request (body included)
 *   within `requestTimeoutMs`, and a kept-alive connection may idle `keepAliveTimeoutMs` between
 *   requests. The request timeout covers receiving the request only: a response the simulator holds
 *   on purpose (`X-Mock-Delay-Ms`, a `hang`, both bounded by --max-delay-ms) is not cut by it.
 * - Node's own client errors (a malformed request, a timeout, headers beyond Node's 16 KiB, an
 *   HTTP/1.1 request without Host, an unsupported `Expect`) are answered in the API's envelope
 *   rather than with Node's bare status lines, with `X-Content-Type-Options: nosniff` like every
 *   answer of the app.
 * - At most `maxConnections` connections are served at once. A connection beyond it first makes
 *   room by closing the connection idle the longest (a kept-alive one between requests); when none
 *   is idle its request gets 503 `service_unavailable` with Retry-After and `Connection: close`.
 * - The drain: no new connections, every answer from then on says `Connection: close` (so a
 *   keep-alive client does not send another request on a socket about to close), idle connections
 *   close at once, requests in flight finish.
 */
import {
  createServer,
  maxHeaderSize,
  STATUS_CODES,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { refusalMargin } from '../connection-limit.js';
import { ApiError, errors } from './errors.js';
import { NO_SNIFF } from './no-sniff.js';

export interface HttpServerOptions {
  /** Time to receive a request's headers, from its first byte (or from the connection's start). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may stay idle between requests. */
  keepAliveTimeoutMs: number;
  /** Connections served at once. */
  maxConnections: number;
}

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

/** Seconds a client refused by the connection cap is told to wait. */
const CAP_RETRY_AFTER_SECONDS = 1;
/** How long a socket that got one of the error answers below may still drain the client's bytes. */
const LINGER_MS = 1_000;

export function createSimulatorServer(app: RequestListener, options: HttpServerOptions): SimulatorServer {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node checks the two timeouts on this period (30 s by default, which would let a 10 s
      // header timeout run to 40 s): a quarter of the shorter one, at most a second.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1_000, Math.floor(Math.min(options.headersTimeoutMs, options.requestTimeoutMs) / 4)),
      ),
      // Node's check answers a bare 400; handle() answers it in the envelope.
      requireHostHeader: false,
    },
    handle,
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.maxConnections = options.maxConnections + refusalMargin(options.maxConnections);

  /** Every open connection; the idle ones in the order they became idle (a Set keeps it). */
  const open = new Set<Socket>();
  const idle = new Set<Socket>();
  const refused = new WeakSet<Socket>();
  /** Responses not yet finished, and how many each connection has (pipelining allows several). */
  const inFlight = new Set<ServerResponse>();
  const busy = new WeakMap<Socket, number>();
  const current = new WeakMap<Duplex, ServerResponse>();
  /** Connections already given an error answer: Node reports a broken parser on every chunk. */
  const answered = new WeakSet<Duplex>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      idle.delete(socket);
    });
    if (open.size <= options.maxConnections) return;
    const longestIdle = idle.values().next();
    if (!longestIdle.done) {
      idle.delete(longestIdle.value);
      longestIdle.value.destroy(); // its client reconnects, as after a keep-alive timeout
      return;
    }
    refused.add(socket); // answered 503 when its request comes (or 408 if it never does)
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    idle.delete(socket);
    if (refused.has(socket)) {
      return answer(res, serverErrors.tooManyConnections(options.maxConnections));
    }
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return answer(
        res,
        errors.invalidRequest([{ field: 'header.Host', message: 'is required in HTTP/1.1' }]),
      );
    }
    inFlight.add(res);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    current.set(socket, res);
    res.once('close', () => {
      inFlight.delete(res);
      if (current.get(socket) === res) current.delete(socket);
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (left === 0 && !socket.destroyed && open.has(socket)) idle.add(socket);
    });
    if (draining) res.setHeader('Connection', 'close');
    app(req, res);
  }

  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    answer(
      res,
      new ApiError(417, 'Unsupported Expect header: only 100-continue is supported', {
        type: 'invalid_request',
      }),
    );
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const error = clientErrorAnswer(err, options);
    const res = current.get(socket);
    if (!error || !socket.writable || res?.headersSent) {
      // The client has gone (ECONNRESET...), or part of an answer is on the wire already: a
      // second status line would corrupt it.
      socket.destroy();
      return;
    }
    if (res && !res.writableEnded) {
      // The app has the request (a body that never ends): answer through its response, so the
      // request log and the journal see the 408 too.
      answer(res, error);
      return;
    }
    socket.end(rawAnswer(error));
    // Closing with the client's bytes still unread would reset the connection, and the client
    // might lose the answer: let it read first, for a moment.
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
    socket.resume(); // reading on, so those bytes are drained rather than left to cause the reset
  });

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

const serverErrors = {
  requestTimeout(options: HttpServerOptions): ApiError {
    return new ApiError(
      408,
      `Request timeout: the headers must arrive within ${options.headersTimeoutMs} ms and the whole request within ${options.requestTimeoutMs} ms`,
      { type: 'request_timeout' },
    );
  },
  headersTooLarge(): ApiError {
    return new ApiError(431, `Request headers too large (limit ${maxHeaderSize} bytes)`, {
      type: 'headers_too_large',
    });
  },
  tooManyConnections(max: number): ApiError {
    return new ApiError(
      503,
      `Too many connections (limit ${max}): retry after ${CAP_RETRY_AFTER_SECONDS} s`,
      { type: 'service_unavailable', retry_after_seconds: CAP_RETRY_AFTER_SECONDS },
      { 'Retry-After': String(CAP_RETRY_AFTER_SECONDS) },
    );
  },
};

/** What Node's parser or timers reported, as the answer to give; undefined: nothing to answer. */
function clientErrorAnswer(err: NodeJS.ErrnoException, options: HttpServerOptions): ApiError | undefined {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return serverErrors.requestTimeout(options);
    case 'HPE_HEADER_OVERFLOW':
      return serverErrors.headersTooLarge();
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError(413, 'Chunk extensions too large', { type: 'payload_too_large' });
    default:
      // llhttp's codes (HPE_INVALID_METHOD, HPE_INVALID_HEADER_TOKEN...) are the client's mistakes;
      // anything else (ECONNRESET, EPIPE) means there is nobody left to answer.
      return err.code?.startsWith('HPE_')
        ? new ApiError(400, `Malformed HTTP request (${err.code})`, { type: 'invalid_request' })
        : undefined;
  }
}

function envelopeBody(error: ApiError): string {
  return JSON.stringify(error.envelope());
}

/** Through Node's response: the connection closes after it. */
function answer(res: ServerResponse, error: ApiError): void {
  const body = envelopeBody(error);
  res.writeHead(error.status, {
    ...error.headers,
    [NO_SNIFF.name]: NO_SNIFF.value,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

/** Straight onto a socket that has no response object (the request never got that far). */
function rawAnswer(error: ApiError): string {
  const body = envelopeBody(error);
  const headers = {
    ...error.headers,
    [NO_SNIFF.name]: NO_SNIFF.value,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n${lines.join('')}\r\n${body}`;
}
