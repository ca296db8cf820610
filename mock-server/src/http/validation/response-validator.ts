/**
 * Response validation (tests, and `--validate-responses on`): every JSON body an operation sends is
 * checked against the spec's response for its status before it leaves. A response that breaks the
 * spec is our bug: it becomes a 500 that says so, and the test that caused it fails loudly.
 *
 * The tests also check every response independently (test/support/conformance.ts, headers included);
 * this check is the one a developer running the simulator can switch on.
 */
import type { RequestHandler } from 'express';
import type { Ajv, ValidateFunction } from 'ajv';
import type { OpenAPIV3 } from 'openapi-types';
import { errors } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { fieldProblems } from './field-problems.js';

/** What is wrong with a response of `op` (its status and JSON body), or undefined when it matches the spec. */
export type ResponseCheck = (status: number, body: unknown) => string | undefined;

/** `ajv`: spec-ajv.ts's `responseAjv()`, shared by every operation. */
export function responseCheck(op: SpecOperation, ajv: Ajv): ResponseCheck {
  const byStatus = new Map<string, ValidateFunction | null>();
  for (const [status, response] of Object.entries(op.operation.responses)) {
    const schema = (response as OpenAPIV3.ResponseObject).content?.['application/json']?.schema;
    byStatus.set(status, schema ? ajv.compile(schema) : null);
  }
  return (statusCode, body) => {
    const status = String(statusCode);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => byStatus.has(k));
    if (key === undefined) return `status ${status} is not documented`;
    const validate = byStatus.get(key);
    if (validate === null) return `status ${status} documents no JSON body`;
    if (validate!(body)) return undefined;
    return fieldProblems(validate!.errors)
      .map((p) => `${p.field.replace(/^request/, 'body')} ${p.message}`)
      .join('; ');
  };
}

/** The error a response that breaks the spec becomes: our bug, a 500 that says so. */
export function responseBreaksSpec(op: SpecOperation, status: number, problem: string) {
  return errors.internal(`Response ${op.operationId} ${status} does not match the spec: ${problem}`);
}

/** The same check as Express middleware around `res.json` (the control API's routes). */
export function responseValidator(op: SpecOperation, ajv: Ajv): RequestHandler {
  const check = responseCheck(op, ajv);
  return (_req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const problem = check(res.statusCode, body);
      if (problem === undefined) return send(body);
      res.json = send; // the 500 below goes out as it is
      throw responseBreaksSpec(op, res.statusCode, problem);
    };
    next();
  };
}
