/**
 * The answers QA forces and the rate limiter gives: the same envelopes and headers the real paths
 * produce, so a client cannot tell a forced 402 from a real one.
 */
import type { FaultAction } from '../../qa/faults.js';
import { ApiError, errors } from '../errors.js';

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

/**
 * The envelope a forced status answers with. `limit` is the route's bucket size, for the
 * X-RateLimit-Limit of a forced 429.
 */
export function forcedError(
  status: number,
  action: FaultAction,
  bodyLimit: string,
  contentType: string | undefined,
  limit: number,
): ApiError {
  const error = defaultForcedError(status, action, bodyLimit, contentType, limit);
  // A rule may carry the message a real answer had (a scenario made from a recording), verbatim.
  return action.message === undefined
    ? error
    : new ApiError(error.status, action.message, error.details, error.headers);
}

function defaultForcedError(
  status: number,
  action: FaultAction,
  bodyLimit: string,
  contentType: string | undefined,
  limit: number,
): ApiError {
  switch (status) {
    case 400:
      return errors.invalidRequest([{ field: 'request', message: 'was rejected' }]);
    case 401:
      return errors.invalidKey();
    case 402:
      return new ApiError(402, 'Insufficient credits: the balance could not cover the deduction', {
        type: 'insufficient_credits',
      });
    case 404:
      return errors.taskNotFound();
    case 413:
      return errors.payloadTooLarge(bodyLimit);
    case 415:
      return errors.unsupportedMediaType(contentType);
    case 429: {
      const retryAfter = action.retryAfterSeconds ?? 1;
      return errors.rateLimited(retryAfter, rateLimitHeaders(limit, 0, retryAfter));
    }
    case 500:
      return errors.internal();
    case 503:
      // The upstream's own words for it (docs/provider/upstream-facts.md, ServerOverloaded).
      return errors.serviceUnavailable(
        'The service is currently unable to handle additional requests due to server overload. Please retry later.',
        action.retryAfterSeconds ?? 1,
      );
    default:
      return new ApiError(status, `Forced status ${status}`, { type: 'internal_error' });
  }
}
