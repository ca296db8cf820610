/**
 * The validators mounted before each operation's handler. Loaded asynchronously so that Ajv itself
 * is imported only when something must be compiled in this process: response validation (tests,
 * `--validate-responses on`) or request validators the build did not prebuild.
 */
import type { RequestHandler } from 'express';
import type { SpecOperation } from '../load-spec.js';
import { requestValidator } from './request-validator.js';
import { requestValidatorSource, type ValidatorSource } from './validator-source.js';

export interface SpecValidatorOptions {
  /** Check every JSON response against the spec (tests; optional at run time). */
  validateResponses: boolean;
  /** Use dist/request-validators.cjs when it matches the specs (default true). */
  prebuilt?: boolean;
}

export type SpecValidators = ((op: SpecOperation) => RequestHandler[]) & { requests: ValidatorSource };

export async function loadSpecValidators(
  operations: readonly SpecOperation[],
  options: SpecValidatorOptions,
): Promise<SpecValidators> {
  const requests = await requestValidatorSource(operations, { prebuilt: options.prebuilt ?? true });
  let forResponses: ((op: SpecOperation) => RequestHandler) | undefined;
  if (options.validateResponses) {
    const [{ responseAjv }, { responseValidator }] = await Promise.all([
      import('./spec-ajv.js'),
      import('./response-validator.js'),
    ]);
    const ajv = responseAjv();
    forResponses = (op) => responseValidator(op, ajv);
  }
  const validators = (op: SpecOperation) => [
    ...(forResponses ? [forResponses(op)] : []),
    requestValidator(op, requests),
  ];
  return Object.assign(validators, { requests });
}
