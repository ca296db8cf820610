/**
 * Per-key token buckets on generate and on status. Every answer carries X-RateLimit-* so a client
 * can pace itself; a refused request gets 429 with Retry-After and touches nothing.
 */
import type { RequestHandler } from 'express';
import type { RateLimitConfig } from '../../config.js';
import { errors } from '../errors.js';
import { worldOf } from '../world.js';
import { ownerOfResponse } from './auth.js';
import type { QaLocals } from './fault-injection.js';

/** The X-RateLimit-* headers (openapi.yaml, components.headers), for limited and forced 429s alike. */
export function rateLimitHeaders(
  limit: number,
  remaining: number,
  resetSeconds: number,
): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': String(resetSeconds),
  };
}

/** Each key's bucket of each route, in its world's store, so that a fleet enforces one limit per key. */
export function rateLimit(config: RateLimitConfig | 'off', bucket: 'generate' | 'status'): RequestHandler {
  return async (_req, res, next) => {
    if (config === 'off') return next();
    const { limit, windowMs } = config[bucket];
    const world = worldOf(res.locals);
    const owner = ownerOfResponse(res.locals);
    const verdict = await world.store.takeToken(
      `${bucket}:${owner}`,
      world.simulator.clock.now(),
      limit,
      windowMs,
    );
    const headers = rateLimitHeaders(verdict.limit, verdict.remaining, verdict.resetSeconds);
    res.set(headers);
    if (verdict.allowed) return next();
    (res.locals as QaLocals).injected = 'rate-limit';
    (res.locals as QaLocals).injectedKind = 'status';
    res.set('X-Mock-Injected', 'rate-limit');
    next(errors.rateLimited(verdict.retryAfterSeconds, headers));
  };
}
