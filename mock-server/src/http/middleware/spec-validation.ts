/**
 * The one adapter around express-openapi-validator: request validation (and, in tests or on
 * request, response validation) straight from an OpenAPI document, so no schema is written twice.
 * Its errors are translated into the API's envelope by `translateValidatorError`.
 */
import type { RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { OpenAPIV3 } from 'openapi-types';
import type { ApiError } from '../errors.js';
import { errors, type FieldError } from '../errors.js';

export interface SpecValidationOptions {
  validateResponses: boolean;
}

export function specValidation(spec: OpenAPIV3.Document, options: SpecValidationOptions): RequestHandler[] {
  return OpenApiValidator.middleware({
    // The validator keeps and annotates the document it is given: hand it its own copy.
    apiSpec: structuredClone(spec) as never,
    validateApiSpec: false, // the spec tests validate it; skipping saves start-up time
    // allErrors so a 400 names every offending field at once. Ajv's warning about it concerns
    // untrusted schemas and unbounded input; ours are our own, and bodies are size-limited.
    validateRequests: {
      allErrors: true,
      allowUnknownQueryParameters: false,
      coerceTypes: false,
      removeAdditional: false,
    },
    validateResponses: options.validateResponses
      ? {
          removeAdditional: false,
          onError: (err) => {
            // A response that breaks the spec is our bug: fail loudly in tests, never send it.
            throw errors.internal(`Response does not match the spec: ${err.message}`);
          },
        }
      : false,
    validateSecurity: false, // authentication is ours (auth middleware), with the envelope's messages
    ignoreUndocumented: true, // undocumented routes fall through to our own 404
    fileUploader: false,
    $refParser: { mode: 'dereference' },
  }) as unknown as RequestHandler[];
}

/** A body of thousands of bad items yields as many errors; the first ones are enough to fix it. */
const MAX_FIELD_ERRORS = 20;

interface ValidatorError {
  status: number;
  message?: string;
  errors?: Array<{ path: string; message: string }>;
  headers?: { Allow?: string };
}

function isValidatorError(err: unknown): err is ValidatorError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as ValidatorError).status === 'number' &&
    Array.isArray((err as ValidatorError).errors)
  );
}

/** `/body/aspectRatio` -> `body.aspectRatio`; `/query/task_id` -> `query.task_id`. */
function fieldOf(path: string): string {
  const field = path.replace(/^[./]+/, '').replace(/\//g, '.');
  return field.replace(/^headers\./, 'header.') || 'request';
}

export function translateValidatorError(
  err: unknown,
  req: { method: string; path: string; headers: Record<string, unknown> },
): ApiError | undefined {
  if (!isValidatorError(err)) return undefined;
  switch (err.status) {
    case 400: {
      const fieldErrors: FieldError[] = (err.errors ?? []).slice(0, MAX_FIELD_ERRORS).map((e) => ({
        field: fieldOf(e.path),
        message: e.message,
      }));
      return errors.invalidRequest(
        fieldErrors.length > 0 ? fieldErrors : [{ field: 'request', message: 'is invalid' }],
      );
    }
    case 404:
      return errors.routeNotFound(req.method, req.path);
    case 405:
      return errors.methodNotAllowed(req.method, req.path, err.headers?.Allow ?? '');
    case 413:
      return errors.payloadTooLarge('configured');
    case 415:
      return errors.unsupportedMediaType(req.headers['content-type'] as string | undefined);
    default:
      return undefined;
  }
}
