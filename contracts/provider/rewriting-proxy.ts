/**
 * A deliberately broken provider: a small HTTP proxy in front of a simulator that rewrites its answers
 * (renames a JSON field, drops a header, changes a status, answers slowly) or answers in its place
 * (a 503 storm). The must-fail tests verify the pact
 * against it to prove that verification catches such a change and says where; the live runner's tests
 * use it as a drifting stand-in for the real API.
 *
 * Only loopback: it listens on 127.0.0.1 and forwards to the given target.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './in-process-simulator.js';

export interface ProxiedResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the raw text. */
  body: unknown;
  /** Hold the answer this long (ms) before sending it: a slow provider. */
  delayMs?: number;
}

export interface ProxiedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

/** Returns the response to send: `response` changed in place, or a new one. */
export type Rewrite = (response: ProxiedResponse, request: ProxiedRequest) => ProxiedResponse;

export interface RewritingProxy {
  url: string;
  /** How many responses the rewrite changed (a must-fail test that changed nothing proves nothing). */
  readonly rewritten: number;
  /** How many requests were answered without reaching the target (`intercept`). */
  readonly intercepted: number;
  close(): Promise<void>;
}

export interface RewritingProxyOptions {
  /**
   * Answers a request itself, without forwarding it (a provider having a bad day: a 503 storm), or
   * returns undefined to forward it.
   */
  intercept?: (request: ProxiedRequest) => ProxiedResponse | undefined;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'host',
  'upgrade',
]);

export async function startRewritingProxy(
  target: string,
  rewrite: Rewrite,
  options: RewritingProxyOptions = {},
): Promise<RewritingProxy> {
  let rewritten = 0;
  let intercepted = 0;
  const held = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    forward(
      target,
      req,
      res,
      (response, request) => {
        const before = JSON.stringify(response);
        const after = rewrite(structuredClone(response), request);
        if (JSON.stringify(after) !== before) rewritten++;
        return after;
      },
      (request) => {
        const answer = options.intercept?.(request);
        if (answer) intercepted++;
        return answer;
      },
      held,
    ).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get rewritten() {
      return rewritten;
    },
    get intercepted() {
      return intercepted;
    },
    close: () => {
      for (const timer of held) clearTimeout(timer);
      return closeServer(server);
    },
  };
}

async function forward(
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
  rewrite: Rewrite,
  intercept: (request: ProxiedRequest) => ProxiedResponse | undefined,
  held: Set<NodeJS.Timeout>,
) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name))
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const method = req.method ?? 'GET';
  const send = (out: ProxiedResponse) => {
    const payload = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    const write = () => {
      if (res.destroyed) return;
      res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    if (!out.delayMs) return write();
    const timer = setTimeout(() => {
      held.delete(timer);
      write();
    }, out.delayMs);
    held.add(timer);
  };
  const intercepted = intercept({ method, path: (req.url ?? '/').split('?')[0]!, headers });
  if (intercepted) return send(intercepted);
  const upstream = await fetch(new URL(req.url ?? '/', target), {
    method,
    headers,
    body: chunks.length > 0 && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(chunks) : undefined,
  });
  const text = await upstream.text();
  const responseHeaders: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) responseHeaders[name] = value;
  });
  let body: unknown = text;
  const isJson = /json/i.test(responseHeaders['content-type'] ?? '');
  if (isJson && text !== '') body = JSON.parse(text) as unknown;

  const request: ProxiedRequest = { method, path: (req.url ?? '/').split('?')[0]!, headers };
  send(rewrite({ status: upstream.status, headers: responseHeaders, body }, request));
}

// ---------------------------------------------------------------------------------------------------
// Rewrites

/** Renames every key `from` to `to`, at any depth, in JSON bodies. */
export function renameField(from: string, to: string): Rewrite {
  const rename = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rename);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key === from ? to : key, rename(value)]),
    );
  };
  return (response) => ({ ...response, body: rename(response.body) });
}

/** Drops a response header. */
export function dropHeader(name: string): Rewrite {
  return (response) => {
    const headers = { ...response.headers };
    delete headers[name.toLowerCase()];
    return { ...response, headers };
  };
}

/** Answers `to` instead of `from` (the body's `code` follows), on requests `when` accepts. */
export function changeStatus(
  from: number,
  to: number,
  when: (request: ProxiedRequest) => boolean = () => true,
): Rewrite {
  return (response, request) => {
    if (response.status !== from || !when(request)) return response;
    const body =
      typeof response.body === 'object' && response.body !== null && 'code' in response.body
        ? { ...response.body, code: to }
        : response.body;
    return { ...response, status: to, body };
  };
}

/** Holds every answer `when` accepts for `ms` before sending it: a slow provider. */
export function slowAnswers(ms: number, when: (request: ProxiedRequest) => boolean = () => true): Rewrite {
  return (response, request) => (when(request) ? { ...response, delayMs: ms } : response);
}

/**
 * A storm: the next `count` requests `when` accepts are answered `status` in the envelope, without
 * reaching the provider (nothing is created or charged), then requests go through again. For
 * `startRewritingProxy`'s `intercept`.
 */
export function storm(
  status: number,
  count: number,
  when: (request: ProxiedRequest) => boolean = () => true,
): (request: ProxiedRequest) => ProxiedResponse | undefined {
  let left = count;
  return (request) => {
    if (left <= 0 || !when(request)) return undefined;
    left--;
    return {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: {
        code: status,
        message: 'Service temporarily unavailable',
        data: { type: 'service_unavailable' },
      },
    };
  };
}

/** Applies rewrites left to right. */
export function allOf(...rewrites: Rewrite[]): Rewrite {
  return (response, request) => rewrites.reduce((current, rewrite) => rewrite(current, request), response);
}
