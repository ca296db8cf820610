/**
 * CORS, with the `cors` package (expressjs/cors), so browser apps on other origins can use the public
 * API and fetch the image files. The API authenticates with a bearer header, never with cookies, so
 * `*` is safe and credentials stay off. Preflights end here (204), before fault injection,
 * authentication, the journal and the rate limiter: a preflight is the browser asking, not the client.
 *
 * The control API gets CORS only for the origins of `--control-cors` (and its cross-site guard refuses
 * every other origin before this runs).
 */
import cors from 'cors';
import type { RequestHandler } from 'express';

/** What clients send: the key, the JSON body, and the QA headers (qa/header-faults.ts's FAULT_HEADERS). */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Prefer',
  'X-Mock-Status',
  'X-Mock-Delay-Ms',
  'X-Mock-Fault',
  'X-Mock-Outcome',
  'X-Mock-Error-Message',
  'X-Mock-Duration-Ms',
  'X-Mock-Polls',
] as const;

/** What clients must read: how long to wait, how much is left, and whether QA forced the answer. */
export const CORS_EXPOSED_HEADERS = [
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'X-Mock-Injected',
] as const;

/** How long a browser may cache a preflight's answer (s): short, so a changed `--cors` takes effect soon. */
const MAX_AGE_SECONDS = 600;

/** The CORS middleware of one public route (its methods); undefined when `--cors off`. */
export function publicCors(
  setting: '*' | 'off' | readonly string[],
  methods: readonly string[],
): RequestHandler | undefined {
  if (setting === 'off') return undefined;
  const handler = preflightsOnly(
    cors({
      origin: setting === '*' ? '*' : [...setting],
      methods: [...methods],
      allowedHeaders: [...CORS_ALLOWED_HEADERS],
      exposedHeaders: [...CORS_EXPOSED_HEADERS],
      credentials: false,
      maxAge: MAX_AGE_SECONDS,
    }),
  );
  if (setting !== '*') return handler;
  // Every answer of the public API carries these two, and with `*` they never depend on the request:
  // set as the `cors` package would (its per-request options object and header lists were a few
  // percent of a status poll's CPU); preflights still go through it.
  const exposed = CORS_EXPOSED_HEADERS.join(',');
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return handler(req, res, next);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', exposed);
    next();
  };
}

/** CORS of `/__mock` for the origins of `--control-cors`; undefined when there are none. */
export function controlCors(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  return preflightsOnly(
    cors({
      origin: [...origins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-Mock-Token'],
      credentials: false,
      maxAge: MAX_AGE_SECONDS,
    }),
  );
}

/**
 * The `cors` package answers every OPTIONS as a preflight. Only a real one (it names the method it
 * asks for) is the browser's business; any other OPTIONS goes on to the routes like any request, so it
 * meets authentication and a 405 as before.
 */
function preflightsOnly(handler: RequestHandler): RequestHandler {
  return (req, res, next) =>
    req.method === 'OPTIONS' && req.headers['access-control-request-method'] === undefined
      ? next()
      : handler(req, res, next);
}
