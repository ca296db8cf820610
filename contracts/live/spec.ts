/**
 * `openapi.yaml` as the live runner reads it: is this answer one the spec allows (status listed for the
 * operation, content type, required headers, body valid against the schema with formats), and for each
 * departure, is the part of the spec it departs from `documented` (the provider's own documentation
 * says so) or `inferred` (our choice where the documentation is silent)?
 *
 * The checks are those of `test/support/conformance.ts`, rewritten here so that every problem carries
 * the `x-provenance` of the spec node it breaks: the body schema's nearest node along the failing
 * keyword's path, the header's own, or else the response's and the operation's.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';
import { OPENAPI_FILE } from '../consumer/pact-config.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type Provenance = 'documented' | 'inferred';

/** One way an answer departs from what was expected of it. */
export interface Finding {
  /** Where: `status`, `header Retry-After`, `content-type`, `body.data.task_id`, ... */
  where: string;
  message: string;
  provenance: Provenance;
}

/** An HTTP answer as received. */
export interface Observed {
  status: number;
  headers: Headers;
  /** The raw body. */
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
  isJson: boolean;
}

type WithProvenance = { 'x-provenance'?: string };

function provenanceOf(node: unknown): Provenance | undefined {
  const value = (node as WithProvenance | undefined)?.['x-provenance'];
  return value === 'documented' || value === 'inferred' ? value : undefined;
}

export class LiveSpec {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<object, ValidateFunction>();

  private constructor(readonly document: OpenAPIV3.Document) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
  }

  static async load(file: string = OPENAPI_FILE): Promise<LiveSpec> {
    return new LiveSpec((await SwaggerParser.dereference(file)) as OpenAPIV3.Document);
  }

  operation(method: string, path: string): OpenAPIV3.OperationObject | undefined {
    const item = this.document.paths[path];
    return item?.[method.toLowerCase() as OpenAPIV3.HttpMethods];
  }

  response(method: string, path: string, status: number): OpenAPIV3.ResponseObject | undefined {
    return this.operation(method, path)?.responses[String(status)] as OpenAPIV3.ResponseObject | undefined;
  }

  /** `x-provenance` of the response the spec gives for `status`, else of the operation. */
  provenance(method: string, path: string, status: number): Provenance {
    return (
      provenanceOf(this.response(method, path, status)) ??
      provenanceOf(this.operation(method, path)) ??
      'inferred'
    );
  }

  /**
   * `x-provenance` of what a pact path (`$.data.task_id`) or `header <Name>` of the answer to `status`
   * points at: the deepest schema node on the way that carries one, else the response's.
   */
  provenanceAt(method: string, path: string, status: number, where: string): Provenance {
    const response = this.response(method, path, status);
    let provenance = this.provenance(method, path, status);
    if (!response) return provenance;
    const header = /^header (.+)$/.exec(where)?.[1];
    if (header !== undefined) {
      const entry = Object.entries(response.headers ?? {}).find(
        ([name]) => name.toLowerCase() === header.toLowerCase(),
      );
      return provenanceOf(entry?.[1]) ?? provenance;
    }
    let node = Object.values(response.content ?? {})[0]?.schema as OpenAPIV3.SchemaObject | undefined;
    provenance = provenanceOf(node) ?? provenance;
    for (const token of where.replace(/^\$/, '').match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? []) {
      node = (
        token.startsWith('.')
          ? node?.properties?.[token.slice(1)]
          : (node as OpenAPIV3.ArraySchemaObject | undefined)?.items
      ) as OpenAPIV3.SchemaObject | undefined;
      if (!node) break;
      provenance = provenanceOf(node) ?? provenance;
    }
    return provenance;
  }

  /** The statuses the spec lists for the operation. */
  statuses(method: string, path: string): number[] {
    return Object.keys(this.operation(method, path)?.responses ?? {}).map(Number);
  }

  /** Every departure of `observed` from what the spec allows for `method path`; empty when it conforms. */
  check(method: string, path: string, observed: Observed): Finding[] {
    const operation = this.operation(method, path);
    if (!operation) {
      return [
        { where: 'operation', message: `${method} ${path} is not in the spec`, provenance: 'inferred' },
      ];
    }
    const operationProvenance = provenanceOf(operation) ?? 'inferred';
    const response = this.response(method, path, observed.status);
    if (!response) {
      return [
        {
          where: 'status',
          message: `status ${observed.status} is not listed for ${method} ${path} (listed: ${this.statuses(method, path).join(', ')})`,
          provenance: operationProvenance,
        },
      ];
    }
    const responseProvenance = provenanceOf(response) ?? operationProvenance;
    const findings: Finding[] = [];

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const spec = header as OpenAPIV3.HeaderObject;
      const value = observed.headers.get(name);
      const provenance = provenanceOf(spec) ?? responseProvenance;
      if (value === null) {
        if (spec.required) {
          findings.push({
            where: `header ${name}`,
            message: `required header ${name} is missing`,
            provenance,
          });
        }
        continue;
      }
      const schema = spec.schema as OpenAPIV3.SchemaObject | undefined;
      if (schema?.type === 'integer' && !/^\d+$/.test(value.trim())) {
        findings.push({
          where: `header ${name}`,
          message: `${JSON.stringify(value)} is not an integer`,
          provenance,
        });
      }
    }

    const contentType = (observed.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const listed = Object.keys(response.content ?? {});
    if (listed.length === 0) return findings;
    const media = response.content?.[contentType];
    if (!media) {
      findings.push({
        where: 'content-type',
        message: `content type ${JSON.stringify(contentType || '(none)')} is not listed (${listed.join(', ')})`,
        provenance: responseProvenance,
      });
      return findings;
    }
    if (media.schema && contentType.includes('json')) {
      if (!observed.isJson) {
        findings.push({
          where: 'body',
          message: 'the body is not valid JSON',
          provenance: responseProvenance,
        });
        return findings;
      }
      const schema = media.schema as OpenAPIV3.SchemaObject;
      const validate = this.compile(schema);
      if (!validate(observed.json)) {
        for (const error of validate.errors ?? []) {
          findings.push(schemaFinding(schema, error, responseProvenance));
        }
      }
    }
    return findings;
  }

  private compile(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}

/** `/data/task_id` -> `body.data.task_id`; `/data/response/0` -> `body.data.response[0]`. */
export function bodyPath(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), 'body');
}

function schemaFinding(root: OpenAPIV3.SchemaObject, error: ErrorObject, fallback: Provenance): Finding {
  // The deepest node with x-provenance on the way to the failing keyword: for a missing `task_id` the
  // `data` object that requires it, for a bad pattern the TaskId schema that states it.
  let node: unknown = root;
  let provenance = provenanceOf(root) ?? fallback;
  for (const segment of error.schemaPath.replace(/^#\//, '').split('/')) {
    if (typeof node !== 'object' || node === null) break;
    node = (node as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
    provenance = provenanceOf(node) ?? provenance;
  }
  const params = error.params as Record<string, unknown>;
  let detail = error.message ?? error.keyword;
  if (typeof params.additionalProperty === 'string')
    detail += `: ${JSON.stringify(params.additionalProperty)}`;
  if (Array.isArray(params.allowedValues))
    detail += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return { where: bodyPath(error.instancePath), message: detail, provenance };
}

/** Reads a fetch Response into an `Observed` (the body is consumed). */
export async function observe(response: Response): Promise<Observed> {
  const text = await response.text();
  let json: unknown;
  let isJson = false;
  if (text !== '') {
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      // Not JSON: `isJson` stays false.
    }
  }
  return { status: response.status, headers: response.headers, text, json, isJson };
}
