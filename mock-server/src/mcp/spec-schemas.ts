/**
 * The tools' input and output schemas, made with zod from the two OpenAPI documents (openapi.yaml and
 * control-api.yaml, loaded and dereferenced by load-spec.ts), so a tool takes exactly what its
 * endpoint takes and answers what it answers: a status, a fault or an aspect ratio added to a spec
 * reaches the tools with no list copied here.
 *
 * zod's fromJSONSchema reads OpenAPI 3.0's dialect (`nullable`). What a tool's schema must not carry
 * is dropped first: the specs' own annotations (`x-provenance`, `example`); `default`, which zod
 * would fill in (a tool sends what the agent gave, as a client does, and the API applies its
 * defaults); and `format`, which zod spells out as a regular expression of hundreds of characters in
 * every listing an agent reads (the answers are held to their formats by the contract tests).
 */
import type { OpenAPIV3 } from 'openapi-types';
import * as z from 'zod';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec } from '../http/load-spec.js';

export interface SpecDocs {
  api: OpenAPIV3.Document;
  control: OpenAPIV3.Document;
}

export async function loadSpecDocs(): Promise<SpecDocs> {
  const [api, control] = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
  return { api, control };
}

type Schema = OpenAPIV3.SchemaObject;
type Method = 'get' | 'post' | 'put' | 'delete';

/** What a tool's schema does not carry (see above). */
const DROPPED = new Set(['example', 'examples', 'default', 'format']);
const isDropped = (key: string): boolean => key.startsWith('x-') || DROPPED.has(key);

/** The schema without what is dropped above, at every depth (property names are kept, whatever they are). */
export function forTools(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forTools);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (isDropped(key)) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, forTools(property)]),
      );
    } else if (key === 'enum' || key === 'required') out[key] = value;
    else out[key] = forTools(value);
  }
  return out;
}

export function zodOf(schema: Schema): z.ZodType {
  return z.fromJSONSchema(forTools(schema) as z.core.JSONSchema.JSONSchema, {
    defaultTarget: 'openapi-3.0',
  });
}

/** A tool's arguments and structured output are JSON objects: the schema must describe one. */
export function objectOf(schema: Schema, what: string): z.ZodObject {
  const zod = zodOf(schema);
  if (!(zod instanceof z.ZodObject)) throw new Error(`${what} is not an object schema`);
  return zod;
}

function operationOf(doc: OpenAPIV3.Document, method: Method, path: string): OpenAPIV3.OperationObject {
  const operation = doc.paths[path]?.[method];
  if (!operation) throw new Error(`the spec has no ${method.toUpperCase()} ${path}`);
  return operation;
}

function jsonSchemaOf(content: Record<string, OpenAPIV3.MediaTypeObject> | undefined): Schema | undefined {
  // The documents are dereferenced: no `$ref` is left.
  return content?.['application/json']?.schema as Schema | undefined;
}

/** One endpoint of a spec, as a tool sees it. */
export interface Endpoint {
  /** The JSON body it takes. */
  body(): z.ZodObject;
  /** The `data` of its success envelope. */
  data(): z.ZodObject;
  /** Its query parameters, each optional, with the spec's description. */
  query(): Record<string, z.ZodType>;
  /** One parameter's schema (path or query), with the spec's description. */
  parameter(name: string): z.ZodType;
}

export function endpoint(doc: OpenAPIV3.Document, method: Method, path: string): Endpoint {
  const operation = operationOf(doc, method, path);
  const what = `${method.toUpperCase()} ${path}`;
  const parameters = [
    ...((doc.paths[path]?.parameters ?? []) as OpenAPIV3.ParameterObject[]),
    ...((operation.parameters ?? []) as OpenAPIV3.ParameterObject[]),
  ];
  const parameterSchema = (parameter: OpenAPIV3.ParameterObject): z.ZodType => {
    const schema = zodOf(parameter.schema as Schema);
    return parameter.description ? schema.describe(parameter.description.trim()) : schema;
  };
  return {
    body() {
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      const schema = jsonSchemaOf(body?.content);
      if (!schema) throw new Error(`${what} takes no JSON body`);
      return objectOf(schema, `the body of ${what}`);
    },
    data() {
      const success = (operation.responses['200'] ?? operation.responses['201']) as
        OpenAPIV3.ResponseObject | undefined;
      const data = jsonSchemaOf(success?.content)?.properties?.data as Schema | undefined;
      if (!data) throw new Error(`${what} answers no envelope with data`);
      return objectOf(data, `the data of ${what}`);
    },
    query() {
      return Object.fromEntries(
        parameters.filter((p) => p.in === 'query').map((p) => [p.name, parameterSchema(p).optional()]),
      );
    },
    parameter(name) {
      const parameter = parameters.find((p) => p.name === name && (p.in === 'path' || p.in === 'query'));
      if (!parameter) throw new Error(`${what} has no parameter ${name}`);
      return parameterSchema(parameter);
    },
  };
}

/** A component schema of a document, by name. */
export function component(doc: OpenAPIV3.Document, name: string): z.ZodType {
  const schema = doc.components?.schemas?.[name] as Schema | undefined;
  if (!schema) throw new Error(`the spec has no schema ${name}`);
  return zodOf(schema);
}
