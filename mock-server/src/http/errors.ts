/**
 * The one way an error leaves the simulator: the API's envelope `{code, message, data}` (see the
 * spec's ErrorResponse). A catalogue of constructors keeps messages consistent; the error handler
 * turns anything else (validator, body parser, bugs) into one of these, never a stack trace.
 */
import type { Response } from 'express';
import type { components as control } from '../../../generated/control-api.js';
import type { components } from '../../../generated/dreamcore-api.js';

export type ErrorEnvelope = components['schemas']['ErrorResponse'];
/**
 * Every kind an error of the simulator can have: control-api.yaml's ControlErrorType, which holds
 * openapi.yaml's ErrorType and the kinds only the simulator's own endpoints answer with (`gone`,
 * `conflict`). Generated from the specs, so a kind the documents do not declare does not compile; the
 * tests hold each kind to the document of the route that answers it (test/spec/error-types.test.ts).
 */
export type ControlErrorType = control['schemas']['ControlErrorType'];
export type ErrorDetails = Omit<ErrorEnvelope['data'], 'type'> & { type: ControlErrorType };
export type { FieldError } from '../domain/wire-types.js';
import type { FieldError } from '../domain/wire-types.js';
import type { WorldLimitError } from '../store/world-limits.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ErrorDetails,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  envelope(): { code: number; message: string; data: ErrorDetails } {
    return { code: this.status, message: this.message, data: this.details };
  }
}

export const errors = {
  invalidRequest(fieldErrors: FieldError[]): ApiError {
    const summary = fieldErrors.map((e) => `${e.field} ${e.message}`).join('; ');
    return new ApiError(400, `Invalid request: ${summary}`, { type: 'invalid_request', errors: fieldErrors });
  },
  missingKey(): ApiError {
    return new ApiError(401, 'Missing API key: send Authorization: Bearer <YOUR_API_KEY>', {
      type: 'unauthorized',
    });
  },
  malformedAuthorization(): ApiError {
    return new ApiError(401, 'Malformed Authorization header: expected Bearer <YOUR_API_KEY>', {
      type: 'unauthorized',
    });
  },
  invalidKey(): ApiError {
    return new ApiError(401, 'Invalid API key', { type: 'unauthorized' });
  },
  /** A held answer whose tenant was dropped during the hold: the key is nobody's now (answer.ts). */
  tenantDroppedWhileHeld(): ApiError {
    return new ApiError(401, 'Invalid API key: its tenant was dropped while this answer was held', {
      type: 'unauthorized',
    });
  },
  insufficientCredits(required: number, balance: number): ApiError {
    return new ApiError(
      402,
      `Insufficient credits: this request costs ${required}, the balance is ${balance}`,
      {
        type: 'insufficient_credits',
        required_credits: required,
        balance,
      },
    );
  },
  taskNotFound(): ApiError {
    return new ApiError(404, 'Task not found', { type: 'not_found' });
  },
  /** @param path the path as request-rendering.ts shows it, never as sent */
  routeNotFound(method: string, path: string, knownRoutes?: string): ApiError {
    const hint = knownRoutes ? ` (the routes are: ${knownRoutes})` : '';
    return new ApiError(404, `No route ${method} ${path}${hint}`, { type: 'not_found' });
  },
  methodNotAllowed(method: string, path: string, allow: string): ApiError {
    return new ApiError(
      405,
      `Method ${method} is not allowed on ${path} (allowed: ${allow})`,
      { type: 'method_not_allowed' },
      { Allow: allow },
    );
  },
  payloadTooLarge(limit: string): ApiError {
    return new ApiError(413, `Request body too large (limit ${limit})`, { type: 'payload_too_large' });
  },
  unsupportedMediaType(contentType: string | undefined): ApiError {
    return new ApiError(415, `Unsupported Content-Type ${contentType || '(none)'}: send application/json`, {
      type: 'unsupported_media_type',
    });
  },
  unsupportedEncoding(encoding: string | undefined): ApiError {
    return new ApiError(
      415,
      `Unsupported Content-Encoding ${encoding || '(none)'}: send identity, gzip, deflate or br`,
      {
        type: 'unsupported_media_type',
      },
    );
  },
  hostNotAllowed(host: string, served: readonly string[]): ApiError {
    return new ApiError(
      403,
      `Host ${JSON.stringify(host)} is not served here (a guard against DNS rebinding): this simulator answers ` +
        `${served.join(', ')}. Start it with --allowed-hosts <names> (or DREAMCORE_ALLOWED_HOSTS) to serve other names.`,
      { type: 'forbidden' },
    );
  },
  crossOrigin(): ApiError {
    return new ApiError(
      403,
      'Cross-origin request refused: the control API answers pages of its own origin only (and those of ' +
        '--control-cors); a page on another site cannot change the simulator',
      { type: 'forbidden' },
    );
  },
  controlBodyNotJson(contentType: string | undefined): ApiError {
    return new ApiError(
      415,
      `Unsupported Content-Type ${contentType || '(none)'} on a control request that changes state: send ` +
        'application/json, or no body (a form or text/plain body is what a page on another site can send)',
      { type: 'unsupported_media_type' },
    );
  },
  rateLimited(retryAfterSeconds: number, headers: Record<string, string> = {}): ApiError {
    return new ApiError(
      429,
      `Too many requests: retry after ${retryAfterSeconds} s`,
      { type: 'rate_limited', retry_after_seconds: retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds), ...headers },
    );
  },
  serviceUnavailable(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(
      503,
      message,
      { type: 'service_unavailable', retry_after_seconds: retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  },
  /**
   * A write refused at one of its world's limits (store/world-limits.ts), having changed nothing:
   * 429 for this world's own cap or share, 503 with Retry-After when the whole budget is full.
   */
  worldLimit(err: WorldLimitError): ApiError {
    if (err.status === 503) return errors.serviceUnavailable(err.message, err.retryAfterSeconds);
    const retry = err.retryAfterSeconds;
    return new ApiError(
      429,
      err.message,
      { type: 'quota_exceeded', ...(retry === undefined ? {} : { retry_after_seconds: retry }) },
      retry === undefined ? {} : { 'Retry-After': String(retry) },
    );
  },
  /** The shared store is unreachable (Redis down): nothing was done; retry shortly. */
  storeUnavailable(retryAfterSeconds = 1): ApiError {
    return errors.serviceUnavailable(
      `The simulator's store is unavailable: retry after ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  },
  /** A tenant dropped (through another replica) while this request was being served: a retry sees it gone. */
  worldGone(): ApiError {
    return errors.serviceUnavailable(
      'The tenant this request acts in was dropped meanwhile: retry after 1 s',
      1,
    );
  },
  /** Proxy and replay (proxy/exchange.ts): no answer from the live API in time (or, replayed, as recorded). */
  gatewayTimeout(detail: string): ApiError {
    return new ApiError(504, `Gateway timeout: ${detail}`, { type: 'gateway_timeout' });
  },
  /** Proxy and replay: the live API could not be reached, or the connection broke (or, replayed, as recorded). */
  badGateway(detail: string): ApiError {
    return new ApiError(502, `Bad gateway: ${detail}`, { type: 'bad_gateway' });
  },
  /** Proxy and replay: an answer that came, not passed on (it breaks the spec, or is no API answer at all). */
  answerNotPassedOn(message: string): ApiError {
    return new ApiError(502, message, { type: 'bad_gateway' });
  },
  /** Proxy: the credit guard (--proxy-max-credits) stopped a generate before it was sent. */
  creditGuard(price: number, forwarded: number, limit: number): ApiError {
    const left = Math.max(0, limit - forwarded);
    return new ApiError(
      402,
      `Credit guard: this generate costs ${price} credits and ${forwarded} of --proxy-max-credits ` +
        `${limit} have been forwarded through this proxy (${left} left), so it was not sent to the live API`,
      { type: 'insufficient_credits', required_credits: price, balance: left },
    );
  },
  /** Replay: the cassette holds no answer to this request; `message` names the nearest recorded one. */
  replayMiss(message: string): ApiError {
    return new ApiError(404, message, { type: 'not_found' });
  },
  internal(message = 'The service encountered an unexpected internal error. Please retry later.'): ApiError {
    return new ApiError(500, message, { type: 'internal_error' });
  },
};

/**
 * Sends an error in the envelope. A journaled request's goes through its responder (answer.ts), which
 * records it first; the others (the control API) straight out.
 */
export function sendError(res: Response, error: ApiError): void {
  const ctx = res.locals.ctx;
  if (ctx?.journaled) return ctx.respond.error(ctx, error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status).set(error.headers).json(error.envelope());
}
