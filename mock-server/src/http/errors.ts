/**
 * The one way an error leaves the simulator: the API's envelope `{code, message, data}` (see the
 * spec's ErrorResponse). A catalogue of constructors keeps messages consistent; the error handler
 * turns anything else (validator, body parser, bugs) into one of these, never a stack trace.
 */
import type { Response } from 'express';
import type { components } from '../../../generated/dreamcore-api.js';

export type ErrorEnvelope = components['schemas']['ErrorResponse'];
type ApiErrorType = NonNullable<ErrorEnvelope['data']>['type'];
/** Kinds only the simulator's own endpoints (files, control plane) answer with. */
export type ControlErrorType = 'gone' | 'forbidden' | 'conflict';
/**
 * Kinds the HTTP server answers with on any route, before or instead of the app (http/server.ts:
 * request and header timeouts, oversized headers, the connection cap), and the image files while
 * their encoder cannot load (503). Not in openapi.yaml's ErrorType enum (yet).
 */
export type ServerErrorType = 'request_timeout' | 'headers_too_large' | 'service_unavailable';
export type ErrorDetails = Omit<NonNullable<ErrorEnvelope['data']>, 'type'> & {
  type: ApiErrorType | ControlErrorType | ServerErrorType;
};
export type FieldError = components['schemas']['FieldError'];

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
  routeNotFound(method: string, path: string): ApiError {
    return new ApiError(404, `No route ${method} ${path}`, { type: 'not_found' });
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
  rateLimited(retryAfterSeconds: number, headers: Record<string, string> = {}): ApiError {
    return new ApiError(
      429,
      `Too many requests: retry after ${retryAfterSeconds} s`,
      { type: 'rate_limited', retry_after_seconds: retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds), ...headers },
    );
  },
  internal(message = 'The service encountered an unexpected internal error. Please retry later.'): ApiError {
    return new ApiError(500, message, { type: 'internal_error' });
  },
};

export function sendError(res: Response, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status).set(error.headers).json(error.envelope());
}
