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
import { errors, type FieldError } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { fieldProblems } from './field-problems.js';
import { requestSchemas } from './request-schemas.js';
import type { Validate, ValidatorSource } from './validator-source.js';

/** A body of thousands of bad items yields as many errors; the first ones are enough to fix it. */
const MAX_FIELD_ERRORS = 20;

export function requestValidator(op: SpecOperation, source: ValidatorSource): RequestHandler {
  const schemas = requestSchemas(op);
  const validateParameters = source.get(schemas.parameters.name);
  const bodies =
    schemas.bodies && new Map([...schemas.bodies].map(([type, s]) => [type, source.get(s.name)]));
  const { declaredQuery, allowEmpty, bodyRequired } = schemas;

  /** The body's validator for this Content-Type; undefined when there is no body to check. */
  const bodyValidatorFor = (contentType: string | undefined): Validate | undefined => {
    if (!bodies) return undefined;
    const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
    // An optional body may be left out altogether (POST /api/status with the id in the query).
    if (!mediaType && !bodyRequired) return undefined;
    const validate = mediaType ? bodies.get(mediaType) : undefined;
    if (!validate) throw errors.unsupportedMediaType(contentType);
    return validate;
  };

  return (req, _res, next) => {
    const validateBody = bodyValidatorFor(req.headers['content-type']);
    const query = req.query as Record<string, unknown>; // Express 5 parses it again on every read
    for (const name of Object.keys(query)) {
      if (!declaredQuery.has(name))
        return next(badRequest([{ field: `query.${name}`, message: `Unknown query parameter '${name}'` }]));
      if (query[name] === '' && !allowEmpty.has(name))
        return next(
          badRequest([
            { field: `query.${name}`, message: `Empty value found for query parameter '${name}'` },
          ]),
        );
    }
    const problems: FieldError[] = [];
    if (!validateParameters({ query, params: req.params, headers: req.headers }))
      problems.push(...fieldProblems(validateParameters.errors));
    // Defaults are written into req.body itself: handlers read the request as the spec describes it.
    if (validateBody && !validateBody({ body: req.body as unknown }))
      problems.push(...fieldProblems(validateBody.errors));
    next(problems.length > 0 ? badRequest(problems) : undefined);
  };
}

function badRequest(problems: FieldError[]) {
  return errors.invalidRequest(problems.slice(0, MAX_FIELD_ERRORS));
}
