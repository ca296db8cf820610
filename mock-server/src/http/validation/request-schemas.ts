/**
 * The JSON Schemas a request is checked against, derived from one operation of the spec. Pure: the
 * same schemas are compiled at build time (prebuilt validators) and, when those are missing or
 * stale, at start; their names tie the two together.
 *
 * It supports the parts of OpenAPI our documents use and refuses, at start and at build, a document
 * that uses more (a cookie parameter, a non-string parameter, a serialisation style), rather than
 * let a request through unchecked.
 */
import type { OpenAPIV3 } from 'openapi-types';
import type { SpecOperation } from '../load-spec.js';

export interface NamedSchema {
  /** Unique across both documents: `createGenerationTask:parameters`, `putAccount:body:application/json`. */
  name: string;
  schema: object;
}

export interface RequestSchemas {
  /** Query, path and header parameters as one object `{ query, params, headers }`. */
  parameters: NamedSchema;
  /** Query parameters the operation declares; any other is refused. */
  declaredQuery: ReadonlySet<string>;
  /** Declared query parameters that may be sent empty (`allowEmptyValue`). */
  allowEmpty: ReadonlySet<string>;
  /** By media type (`application/json`), each validating `{ body }`; absent when the operation takes no body. */
  bodies?: ReadonlyMap<string, NamedSchema>;
  bodyRequired: boolean;
}

type ParameterPlace = 'query' | 'params' | 'headers';
const PLACE: Record<string, ParameterPlace | undefined> = {
  query: 'query',
  path: 'params',
  header: 'headers',
};

export function requestSchemas(op: SpecOperation): RequestSchemas {
  const places: Record<ParameterPlace, { properties: Record<string, unknown>; required: string[] }> = {
    query: { properties: {}, required: [] },
    params: { properties: {}, required: [] },
    headers: { properties: {}, required: [] },
  };
  const allowEmpty = new Set<string>();
  for (const parameter of op.parameters) {
    const place = PLACE[parameter.in];
    if (!place) unsupported(op, `a ${parameter.in} parameter (${parameter.name})`);
    if (parameter.style !== undefined || parameter.explode !== undefined || parameter.content !== undefined)
      unsupported(op, `a serialisation style on parameter ${parameter.name}`);
    const schema = parameter.schema as OpenAPIV3.SchemaObject | undefined;
    // Express hands over strings only; a typed parameter would need coercion that handlers see too.
    if (schema?.type !== 'string') unsupported(op, `parameter ${parameter.name} of a type other than string`);
    const name = place === 'headers' ? parameter.name.toLowerCase() : parameter.name;
    places[place].properties[name] = schema;
    if (parameter.required) places[place].required.push(name);
    if (parameter.allowEmptyValue) allowEmpty.add(name);
  }
  const objectOf = ({ properties, required }: (typeof places)[ParameterPlace]) => ({
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
  });

  const requestBody = op.operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
  const bodyRequired = requestBody?.required === true;
  let bodies: Map<string, NamedSchema> | undefined;
  if (requestBody) {
    bodies = new Map();
    for (const [mediaType, content] of Object.entries(requestBody.content)) {
      // Matched exactly (parameters such as charset aside); a wildcard range would need more.
      if (!/^[a-z]+\/[a-z0-9.+-]+$/.test(mediaType)) unsupported(op, `the request media type ${mediaType}`);
      bodies.set(mediaType, {
        name: `${op.operationId}:body:${mediaType}`,
        // `{ body }`, so that a required body is reported as `body` missing, and defaults land in it.
        schema: {
          type: 'object',
          properties: { body: content.schema ?? {} },
          ...(bodyRequired ? { required: ['body'] } : {}),
        },
      });
    }
  }

  return {
    parameters: {
      name: `${op.operationId}:parameters`,
      schema: {
        type: 'object',
        properties: {
          query: objectOf(places.query),
          params: objectOf(places.params),
          headers: objectOf(places.headers),
        },
      },
    },
    declaredQuery: new Set(Object.keys(places.query.properties)),
    allowEmpty,
    ...(bodies ? { bodies } : {}),
    bodyRequired,
  };
}

/** Every named schema of these operations, for compiling them all at once. */
export function allRequestSchemas(operations: readonly SpecOperation[]): NamedSchema[] {
  return operations.flatMap((op) => {
    const { parameters, bodies } = requestSchemas(op);
    return [parameters, ...(bodies?.values() ?? [])];
  });
}

function unsupported(op: SpecOperation, what: string): never {
  throw new Error(
    `${op.method.toUpperCase()} ${op.path} (${op.operationId}) uses ${what}, which the request validator ` +
      'does not support (mock-server/src/http/validation/request-schemas.ts)',
  );
}
