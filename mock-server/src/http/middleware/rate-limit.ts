/**
 * Per-key token buckets on generate and on status. Every answer carries X-RateLimit-* so a client
 * can pace itself; a refused request gets 429 with Retry-After and touches nothing.
 */
import type { RequestHandler } from 'express';
import type { Clock } from '../../domain/clock.js';
import type { QaState } from '../../qa/qa-state.js';
import { errors } from '../errors.js';
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

export function rateLimit(qa: QaState, clock: Clock, bucket: 'generate' | 'status'): RequestHandler {
  return (_req, res, next) => {
    const buckets = qa.limits?.[bucket];
    if (!buckets) return next();
    const verdict = buckets.take(ownerOfResponse(res.locals), clock.now());
    const headers = rateLimitHeaders(verdict.limit, verdict.remaining, verdict.resetSeconds);
    res.set(headers);
    if (verdict.allowed) return next();
    (res.locals as QaLocals).injected = 'rate-limit';
    res.set('X-Mock-Injected', 'rate-limit');
    next(errors.rateLimited(verdict.retryAfterSeconds, headers));
  };
}
