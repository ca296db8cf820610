/**
 * Response validation (tests, and `--validate-responses on`): every JSON body an operation sends is
 * checked against the spec's response for its status before it leaves. A response that breaks the
 * spec is our bug: it becomes a 500 that says so, and the test that caused it fails loudly.
 *
 * The tests also check every response independently (test/support/conformance.ts, headers included);
 * this check is the one a developer running the simulator can switch on.
 */
import type { RequestHandler, Response } from 'express';
import type { Ajv, ValidateFunction } from 'ajv';
import type { OpenAPIV3 } from 'openapi-types';
import { errors } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { fieldProblems } from './field-problems.js';

/** `ajv`: spec-ajv.ts's `responseAjv()`, shared by every operation. */
export function responseValidator(op: SpecOperation, ajv: Ajv): RequestHandler {
  const byStatus = new Map<string, ValidateFunction | null>();
  for (const [status, response] of Object.entries(op.operation.responses)) {
    const schema = (response as OpenAPIV3.ResponseObject).content?.['application/json']?.schema;
    byStatus.set(status, schema ? ajv.compile(schema) : null);
  }

  const problemWith = (res: Response, body: unknown): string | undefined => {
    const status = String(res.statusCode);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => byStatus.has(k));
    if (key === undefined) return `status ${status} is not documented`;
    const validate = byStatus.get(key);
    if (validate === null) return `status ${status} documents no JSON body`;
    if (validate!(body)) return undefined;
    return fieldProblems(validate!.errors)
      .map((p) => `${p.field.replace(/^request/, 'body')} ${p.message}`)
      .join('; ');
  };

  return (_req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const problem = problemWith(res, body);
      if (problem === undefined) return send(body);
      res.json = send; // the 500 below goes out as it is
      throw errors.internal(
        `Response ${op.operationId} ${res.statusCode} does not match the spec: ${problem}`,
      );
    };
    next();
  };
}
