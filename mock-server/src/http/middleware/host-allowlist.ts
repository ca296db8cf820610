/**
 * DNS rebinding: a page on `attacker.example`, whose name the attacker points at 127.0.0.1, reaches a
 * loopback server as the same origin as itself, and so can read and drive it. What gives it away is
 * the `Host` header, which carries the attacker's name. Requests whose Host is not one of the
 * configured names (`--allowed-hosts`) are refused before anything else happens to them.
 *
 * A request may also name its host in the request line (absolute form, `GET http://evil.example/x
 * HTTP/1.1`), and then that authority, not Host, is the host asked (RFC 9112, 3.2.2): both must be
 * served.
 *
 * The same parsing decides whether a Host header may go into an image URL (`wellFormedHost`): only a
 * host name or IP literal with an optional port, never anything a client could smuggle a path into.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { HOST_NAME } from '../../config.js';
import { errors, type ApiError } from '../errors.js';

export interface ParsedHost {
  /** Lowercase; an IPv6 literal without its brackets. */
  hostname: string;
  port: number | undefined;
}

/**
 * Every request's Host is parsed (the allowlist, then image URLs), and a client sends the same few:
 * the answers for the last few hundred are kept (frozen, so a caller cannot change a kept one).
 */
const parsedHosts = new Map<string, ParsedHost | undefined>();
const PARSED_HOSTS_KEPT = 256;

/** `name[:port]`, `1.2.3.4[:port]` or `[v6][:port]`; undefined for anything else. */
export function parseHostHeader(value: string): ParsedHost | undefined {
  if (parsedHosts.has(value)) return parsedHosts.get(value);
  const parsed = parseHost(value);
  if (parsedHosts.size >= PARSED_HOSTS_KEPT) parsedHosts.clear();
  parsedHosts.set(value, parsed && Object.freeze(parsed));
  return parsed;
}

function parseHost(value: string): ParsedHost | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65_535) return undefined;
  const name = m[1]!.toLowerCase();
  if (name.startsWith('[')) {
    const ip = name.slice(1, -1);
    return isIPv6(ip) ? { hostname: ip, port } : undefined;
  }
  return HOST_NAME.test(name) ? { hostname: name, port } : undefined;
}

/** Patterns as config.ts normalises them: `*`, `.domain` (the domain and its subdomains), exact names. */
export function hostAllowed(hostname: string, patterns: readonly string[]): boolean {
  return patterns.some((p) =>
    p === '*' ? true : p.startsWith('.') ? hostname === p.slice(1) || hostname.endsWith(p) : hostname === p,
  );
}

/** The request's Host header when it is well-formed, for building absolute URLs. */
export function wellFormedHost(req: Request): string | undefined {
  const host = req.headers.host;
  return host !== undefined && parseHostHeader(host) ? host.toLowerCase() : undefined;
}

/** The address and port this request came in on, as a URL authority (`127.0.0.1:4010`, `[::1]:4010`). */
export function listeningAuthority(req: Request): string {
  const { localAddress, localPort } = req.socket;
  if (!localAddress) return 'localhost';
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return localPort === undefined ? host : `${host}:${localPort}`;
}

/** A request target in absolute form (`http://host/path`) rather than origin form (`/path`). */
export const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The authority of an absolute-form request target (`host[:port]`, without userinfo), or undefined
 * for any other form; the raw text after the scheme when it is no URL at all.
 */
export function absoluteFormAuthority(target: string): string | undefined {
  if (!ABSOLUTE_FORM.test(target)) return undefined;
  try {
    return new URL(target).host;
  } catch {
    return target.slice(target.indexOf('//') + 2).split(/[/?#]/, 1)[0]!;
  }
}

/** The Host check: the 403 for a request whose Host (or absolute-form authority) is not served, else undefined. */
export function hostCheck(patterns: readonly string[]): (req: IncomingMessage) => ApiError | undefined {
  if (patterns.includes('*')) return () => undefined;
  const served = patterns.map((p) => (p.startsWith('.') ? `*${p}` : p.includes(':') ? `[${p}]` : p));
  const refused = (name: string): ApiError | undefined => {
    const parsed = parseHostHeader(name);
    if (parsed && hostAllowed(parsed.hostname, patterns)) return undefined;
    return errors.hostNotAllowed(name.slice(0, 100), served);
  };
  return (req) => {
    const authority = absoluteFormAuthority(req.url ?? '');
    const byTarget = authority === undefined ? undefined : refused(authority);
    if (byTarget) return byTarget;
    const host = req.headers.host;
    // Only HTTP/1.0 requests may lack Host (Node refuses HTTP/1.1 ones): not a browser, nothing to rebind.
    return host === undefined ? undefined : refused(host);
  };
}

/** Refused requests touch nothing: the journal does not keep them either (metrics still count them). */
export function hostAllowlist(patterns: readonly string[]): RequestHandler {
  const check = hostCheck(patterns);
  return (req, res, next) => {
    const refused = check(req);
    if (refused && res.locals.ctx) res.locals.ctx.journaled = false;
    next(refused);
  };
}
