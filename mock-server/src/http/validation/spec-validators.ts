/**
 * The validators mounted before each operation's handler. Loaded asynchronously so that Ajv itself
 * is imported only when something must be compiled in this process: response validation (tests,
 * `--validate-responses on`) or request validators the build did not prebuild.
 */
import type { RequestHandler } from 'express';
import type { SpecOperation } from '../load-spec.js';
import type { ApiError } from '../errors.js';
import { requestCheck, requestValidator, type RequestInput } from './request-validator.js';
import type { ResponseCheck } from './response-validator.js';
import { requestValidatorSource, type ValidatorSource } from './validator-source.js';

export interface SpecValidatorOptions {
  /** Check every JSON response against the spec (tests; optional at run time). */
  validateResponses: boolean;
  /** Use dist/request-validators.cjs when it matches the specs (default true). */
  prebuilt?: boolean;
}

export interface SpecValidators {
  /** The middleware mounted before each control operation's handler (response check, then request check). */
  (op: SpecOperation): RequestHandler[];
  requests: ValidatorSource;
  /** A public operation's request check (the public pipeline runs it itself). */
  requestCheck(op: SpecOperation): (input: RequestInput) => ApiError | undefined;
  /** A public operation's response check; undefined when responses are not validated. */
  responseCheck(op: SpecOperation): ResponseCheck | undefined;
}

export async function loadSpecValidators(
  operations: readonly SpecOperation[],
  options: SpecValidatorOptions,
): Promise<SpecValidators> {
  const requests = await requestValidatorSource(operations, { prebuilt: options.prebuilt ?? true });
  let responses:
    | { check: (op: SpecOperation) => ResponseCheck; middleware: (op: SpecOperation) => RequestHandler }
    | undefined;
  if (options.validateResponses) {
    const [{ responseAjv }, { responseValidator, responseCheck }] = await Promise.all([
      import('./spec-ajv.js'),
      import('./response-validator.js'),
    ]);
    const ajv = responseAjv();
    responses = { check: (op) => responseCheck(op, ajv), middleware: (op) => responseValidator(op, ajv) };
  }
  const validators = (op: SpecOperation) => [
    ...(responses ? [responses.middleware(op)] : []),
    requestValidator(op, requests),
  ];
  return Object.assign(validators, {
    requests,
    requestCheck: (op: SpecOperation) => requestCheck(op, requests),
    responseCheck: (op: SpecOperation) => responses?.check(op),
  });
}
