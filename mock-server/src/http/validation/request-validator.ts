/**
 * Request validation, one middleware per operation, mounted on that operation's own route.
 *
 * It replaced express-openapi-validator at run time. That library matched every request against
 * every route of both documents and walked a chain of promises before it validated anything: more
 * CPU than all of the simulator's own work on a status poll (README, "Validation"). Here the router
 * has already picked the operation, so validating is a call or two to functions Ajv compiled once.
 *
 * In this order, the first failing step answers:
 *  1. the Content-Type, when the operation takes a body (415);
 *  2. query parameters the operation does not declare, or declared ones sent empty (400, that one);
 *  3. the parameters (query, path, header) and the body against their schemas (400, every field).
 */
import type { RequestHandler } from 'express';
import { ApiError, errors, type FieldError } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { fieldProblems } from './field-problems.js';
import { requestSchemas } from './request-schemas.js';
import type { Validate, ValidatorSource } from './validator-source.js';

/** A body of thousands of bad items yields as many errors; the first ones are enough to fix it. */
const MAX_FIELD_ERRORS = 20;

/** What a request is checked on: its headers, parsed query, path parameters and parsed body. */
export interface RequestInput {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  params: Record<string, string>;
  body: unknown;
}

/**
 * The check of one operation's requests: the first failing step's error (see above), or undefined.
 * Defaults are written into `input.body` itself: handlers read the request as the spec describes it.
 */
export function requestCheck(
  op: SpecOperation,
  source: ValidatorSource,
): (input: RequestInput) => ApiError | undefined {
  const schemas = requestSchemas(op);
  const validateParameters = source.get(schemas.parameters.name);
  const bodies =
    schemas.bodies && new Map([...schemas.bodies].map(([type, s]) => [type, source.get(s.name)]));
  const { declaredQuery, allowEmpty, bodyRequired } = schemas;

  /** The body's validator for this Content-Type; undefined when there is no body to check. */
  const bodyValidatorFor = (contentType: string | undefined): Validate | ApiError | undefined => {
    if (!bodies) return undefined;
    const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
    // An optional body may be left out altogether (POST /api/status with the id in the query).
    if (!mediaType && !bodyRequired) return undefined;
    const validate = mediaType ? bodies.get(mediaType) : undefined;
    return validate ?? errors.unsupportedMediaType(contentType);
  };

  return (input) => {
    const contentType = input.headers['content-type'];
    const validateBody = bodyValidatorFor(Array.isArray(contentType) ? contentType[0] : contentType);
    if (validateBody instanceof ApiError) return validateBody;
    const { query } = input;
    for (const name in query) {
      if (!declaredQuery.has(name))
        return badRequest([{ field: `query.${name}`, message: `Unknown query parameter '${name}'` }]);
      if (query[name] === '' && !allowEmpty.has(name))
        return badRequest([
          { field: `query.${name}`, message: `Empty value found for query parameter '${name}'` },
        ]);
    }
    let problems: FieldError[] | undefined;
    if (!validateParameters({ query, params: input.params, headers: input.headers }))
      problems = fieldProblems(validateParameters.errors);
    if (validateBody && !validateBody({ body: input.body }))
      (problems ??= []).push(...fieldProblems(validateBody.errors));
    return problems ? badRequest(problems) : undefined;
  };
}

/** The same check as Express middleware, mounted on the operation's own route (the control API). */
export function requestValidator(op: SpecOperation, source: ValidatorSource): RequestHandler {
  const check = requestCheck(op, source);
  return (req, _res, next) => {
    next(
      check({
        headers: req.headers,
        query: req.query as Record<string, unknown>,
        params: req.params as Record<string, string>,
        body: req.body as unknown,
      }),
    );
  };
}

function badRequest(problems: FieldError[]) {
  return errors.invalidRequest(problems.slice(0, MAX_FIELD_ERRORS));
}
