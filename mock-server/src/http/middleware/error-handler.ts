/** The single error exit: every failure becomes the envelope; unknown ones are logged, never shown. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError, errors, sendError } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { requestRenderer, type RequestRenderer } from '../request-rendering.js';
import { StoreFullError, StoreUnavailableError, WorldMissingError } from '../../store/store.js';
import { WorldLimitError } from '../../store/world-limits.js';
import { translateBodyParserError } from './json-body.js';

/**
 * Unknown routes get 404; a known route asked with the wrong method gets 405 with `Allow`, so a
 * client that sends GET /api/generate learns what it did wrong. Neither echoes the path as sent: it
 * is shown as request-rendering.ts renders it (a key pasted into a path would otherwise travel back
 * in the answer and into the journal), with the routes that do exist.
 */
export function notFound(
  operations: readonly SpecOperation[],
  render: RequestRenderer,
  publicRoutes: readonly SpecOperation[] = operations,
): RequestHandler {
  const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const op of operations) {
    const route = routes.get(op.path) ?? {
      pattern: pathPattern(op.path),
      methods: new Set<string>(),
    };
    route.methods.add(op.method.toUpperCase());
    routes.set(op.path, route);
  }
  const known = publicRoutes.map((op) => `${op.method.toUpperCase()} ${op.path}`).join(', ');
  return (req, _res, next) => {
    for (const [path, { pattern, methods }] of routes) {
      if (pattern.test(req.path)) {
        return next(errors.methodNotAllowed(req.method, path, [...methods].sort().join(', ')));
      }
    }
    next(errors.routeNotFound(req.method, render(req).path, known));
  };
}

/**
 * A store outage refuses every request until it ends: one warning when it starts, then one every
 * few seconds with the count, not a line per request.
 */
class OutageLog {
  private lastAt = 0;
  private since = 0;

  refused(logger: Logger, reason: string): void {
    this.since++;
    const now = Date.now();
    if (now - this.lastAt < 5_000) return;
    logger.warn({ refused: this.since, reason }, 'store unavailable: answering 503 with Retry-After');
    this.lastAt = now;
    this.since = 0;
  }
}

/**
 * Every failure as the answer it becomes (the single error exit): our own ApiErrors as they are, a
 * store outage as 503, the body parser's and the router's errors as the client's mistakes, anything
 * else as a 500 that shows nothing. Logs what deserves it: a 5xx we did not mean (an injected one is
 * no error at all), an outage once in a while, an unexpected error with its stack.
 */
export function errorTranslator(logger: Logger, bodyLimit: string) {
  const outage = new OutageLog();
  return (
    err: unknown,
    req: { method: string; headers: Record<string, string | string[] | undefined> },
    shown: { path: string; injected: boolean },
  ): ApiError => {
    const known =
      (err instanceof ApiError ? err : undefined) ??
      (err instanceof StoreUnavailableError ? errors.storeUnavailable(err.retryAfterSeconds) : undefined) ??
      (err instanceof WorldMissingError ? errors.worldGone() : undefined) ??
      (err instanceof WorldLimitError ? errors.worldLimit(err) : undefined) ??
      translateBodyParserError(
        err,
        bodyLimit,
        req.headers as { 'content-type'?: string; 'content-encoding'?: string },
      ) ??
      translateRouterError(err);
    if (known) {
      // An ApiError is an answer we built: its stack says only where; an injected one is no error at all.
      // A full store's episode is logged by its connection, once when it starts and once when it ends.
      // A limit reached is the caller's to act on (the message says how), not the simulator's error.
      if (err instanceof StoreFullError || err instanceof WorldLimitError) return known;
      if (err instanceof StoreUnavailableError) outage.refused(logger, err.message);
      else if (known.status >= 500 && !shown.injected) {
        logger.error({ method: req.method, path: shown.path, status: known.status }, known.message);
      }
      return known;
    }
    logger.error({ err, method: req.method, path: shown.path }, 'unhandled error');
    return errors.internal();
  };
}

export type ErrorTranslator = ReturnType<typeof errorTranslator>;

/**
 * The Express error handler (the control API, the pages, unknown routes).
 * @param render how a request is shown in a log line (by default: no path segment at all)
 */
export function errorHandler(
  logger: Logger,
  bodyLimit: string,
  render: RequestRenderer = requestRenderer([]),
  translate: ErrorTranslator = errorTranslator(logger, bodyLimit),
): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const injected = res.locals.ctx?.injected !== undefined;
    // sendError: a journaled request's error goes through its responder, which records it first.
    sendError(res, translate(err, req, { path: render(req).path, injected }));
  };
}

/**
 * The router percent-decodes path parameters before any handler runs; `/files/%ZZ/0.jpg` makes it
 * throw a URIError marked 400. The path is the client's mistake, so it is answered as one.
 */
function translateRouterError(err: unknown): ApiError | undefined {
  if (err instanceof URIError && (err as URIError & { status?: number }).status === 400)
    return errors.invalidRequest([{ field: 'path', message: 'is not valid percent-encoding' }]);
  return undefined;
}

/** `/files/{taskId}/{file}` -> /^\/files\/[^/]+\/[^/]+$/ */
function pathPattern(openApiPath: string): RegExp {
  const escaped = openApiPath.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{[^}]+\}/g, '[^/]+')}$`);
}
