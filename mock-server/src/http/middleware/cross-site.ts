/**
 * The control API (`/__mock/*`) changes the simulator's state, and a loopback simulator is reachable
 * from every page the developer's browser opens. Browsers send some cross-origin requests without
 * asking first ("simple" requests: an HTML form POST, a `text/plain` or `no-cors` fetch), so CORS alone
 * would not stop a page from running `POST /__mock/reset`; the answer would only be unreadable.
 *
 * Refused here, before the control API's token check and handlers, with nothing changed:
 * - any request a browser marks as coming from another origin: an `Origin` that is neither the
 *   simulator's own (scheme, host and port of the request) nor one of `--control-cors`, or
 *   `Sec-Fetch-Site: cross-site | same-site` (403 `forbidden`);
 * - a state-changing request whose body is not JSON (415), with or without `Origin`: a form or a
 *   `text/plain` body is exactly what a cross-site page can send, and no control operation takes one.
 * Reads from the simulator's own origin and every request from curl or a script (no `Origin`, no
 * `Sec-Fetch-Site`) pass.
 */
import type { Request, RequestHandler } from 'express';
import { errors, type ApiError } from '../errors.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? ''}`.toLowerCase();
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** undefined when the body may change state: JSON, or none at all. */
function bodyProblem(req: Request): ApiError | undefined {
  if (READS.has(req.method)) return undefined;
  const contentType = req.headers['content-type'];
  if (contentType === undefined) return hasBody(req) ? errors.controlBodyNotJson(contentType) : undefined;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return JSON_MEDIA_TYPE.test(mediaType) ? undefined : errors.controlBodyNotJson(contentType);
}

export function controlCrossSiteGuard(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, _res, next) => {
    const origin = single(req.headers.origin)?.toLowerCase();
    if (origin !== undefined && allowed.has(origin)) return next(bodyProblem(req));
    if (origin !== undefined && origin !== ownOrigin(req)) return next(errors.crossOrigin());
    const site = single(req.headers['sec-fetch-site']);
    if (site === 'cross-site' || site === 'same-site') return next(errors.crossOrigin());
    next(bodyProblem(req));
  };
}
