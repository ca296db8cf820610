/**
 * The one adapter around express-openapi-validator: request validation (and, in tests or on
 * request, response validation) straight from an OpenAPI document, so no schema is written twice.
 * Its errors are translated into the API's envelope by `translateValidatorError`.
 */
import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { OpenAPIV3 } from 'openapi-types';
import type { ApiError } from '../errors.js';
import { errors, type FieldError } from '../errors.js';

export interface SpecValidationOptions {
  validateResponses: boolean;
}

type PathToRegexp = ((path: unknown, options?: Record<string, unknown>) => unknown) & { memoized?: true };

/** The path-to-regexp module that express-openapi-validator itself resolves. */
export function validatorPathToRegexp(): { pathToRegexp: PathToRegexp } {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve('express-openapi-validator'))('path-to-regexp') as {
    pathToRegexp: PathToRegexp;
  };
}

/**
 * express-openapi-validator 5.6 compiles a path-to-regexp matcher for every route it scans, on every
 * request: about 8 % of the simulator's CPU on the status route (scripts/bench/profile-sim.ts). A
 * matcher depends only on the route and the options, so they are memoized on the module the validator
 * reads them from. Upstream fix: cdimascio/express-openapi-validator#1217 (open); remove this when it
 * lands. test/http/spec-validation-adapter.test.ts fails if the validator stops using this module.
 */
function memoizeRouteMatchers(): void {
  const module = validatorPathToRegexp();
  if (module.pathToRegexp.memoized) return;
  const original = module.pathToRegexp;
  const cache = new Map<string, unknown>();
  const memoized: PathToRegexp = (path, options = {}) => {
    if (typeof path !== 'string' || options.decode !== undefined) return original(path, options);
    const { sensitive, strict, end, trailing, delimiter } = options;
    const key = `${path}\u0000${sensitive}\u0000${strict}\u0000${end}\u0000${trailing}\u0000${delimiter}`;
    let matcher = cache.get(key);
    if (matcher === undefined) {
      matcher = original(path, options);
      if (cache.size < 10_000) cache.set(key, matcher); // routes come from the specs: a few dozen
    }
    return matcher;
  };
  memoized.memoized = true;
  module.pathToRegexp = memoized;
}

export function specValidation(spec: OpenAPIV3.Document, options: SpecValidationOptions): RequestHandler[] {
  memoizeRouteMatchers();
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
