/** Ajv's errors as the envelope names them. Type-only use of Ajv: this runs with prebuilt validators too. */
import type { ErrorObject } from 'ajv';

export interface FieldProblem {
  /** Where, as `body.aspectRatio`, `query.task_id` or `params.taskId`. */
  field: string;
  message: string;
}

/**
 * The field a `required` or `additionalProperties` error is about (not its parent), and the allowed
 * values of an enum, so the client can fix the request without reading the spec.
 */
export function fieldProblems(errors: readonly ErrorObject[] | null | undefined): FieldProblem[] {
  return (errors ?? []).map((e) => {
    const params = e.params as {
      missingProperty?: string;
      additionalProperty?: string;
      allowedValues?: unknown[];
    };
    const property = params.missingProperty ?? params.additionalProperty;
    const path = property === undefined ? e.instancePath : `${e.instancePath}/${property}`;
    const message =
      e.keyword === 'enum' && Array.isArray(params.allowedValues)
        ? `${e.message}: ${params.allowedValues.join(', ')}`
        : e.keyword === 'type' && (e.params as { type?: unknown }).type === 'object'
          ? 'must be a JSON object' // Ajv says "must be object", which reads oddly to someone who sent [] or 42
          : (e.message ?? 'is invalid');
    return { field: fieldOf(path), message };
  });
}

/** `/body/aspectRatio` -> `body.aspectRatio`; `/headers/x-a` -> `header.x-a`; `` -> `request`. */
function fieldOf(path: string): string {
  const field = path.replace(/^\/+/, '').replace(/\//g, '.');
  return field.replace(/^headers\./, 'header.') || 'request';
}
