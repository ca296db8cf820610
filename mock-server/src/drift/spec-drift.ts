/**
 * Drift: how a real exchange departs from openapi.yaml. Every problem carries its place in the spec (a
 * JSON pointer into the document as written, and for a schema the failing keyword's schema path) and
 * its provenance (`documented` or `inferred`, the nearest `x-provenance`), so a report can say whether
 * the provider departs from its own documentation or one of our guesses is wrong.
 *
 * One checker for the proxy (every request and answer on the way through), the replay (a cassette
 * held to today's spec) and the live check (contracts/live/spec.ts delegates its checks here). It
 * uses the simulator's own machinery: the operations and request schemas derived from the spec
 * (load-spec.ts, request-schemas.ts), compiled by the spec's Ajv (spec-ajv.ts, nothing added to what
 * is checked), with fieldProblems' names for request fields.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { OpenAPIV3 } from 'openapi-types';
import { API_SPEC_PATH, loadSpec, specOperations, type SpecOperation } from '../http/load-spec.js';
import { fieldProblems } from '../http/validation/field-problems.js';
import { requestSchemas, type RequestSchemas } from '../http/validation/request-schemas.js';
import { responseAjv } from '../http/validation/spec-ajv.js';
import {
  SpecDocument,
  escapePointerSegment,
  provenanceOf,
  schemaPathSegments,
  type Provenance,
} from './spec-document.js';

export type { Provenance };

/** Which side of the exchange departs: the client's request, or the provider's answer. */
export type DriftSide = 'request' | 'response';

export type DriftKind = 'operation' | 'status' | 'header' | 'content-type' | 'body' | 'parameter';

export interface DriftFinding {
  side: DriftSide;
  kind: DriftKind;
  /** Where in the exchange: `status`, `header Retry-After`, `body.data.task_id`, `query.task_id`. */
  where: string;
  message: string;
  provenance: Provenance;
  /** Where in openapi.yaml: `#/components/schemas/GenerateResponse/properties/data/required`. */
  pointer: string;
  /** The failing keyword's path in the checked schema (Ajv's), for schema findings. */
  schemaPath?: string;
}

/** An answer as received. */
export interface ObservedAnswer {
  status: number;
  /** A header's value (case-insensitive name), or undefined. */
  header(name: string): string | undefined;
  /** The parsed body when it is JSON. */
  json: unknown;
  isJson: boolean;
}

/** A request as received (before it is forwarded). */
export interface ObservedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, unknown>;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes as sent, if any. */
  body: Buffer | undefined;
}

interface CompiledOperation {
  op: SpecOperation;
  pointer: string;
  provenance: Provenance;
  schemas: RequestSchemas;
  parameters: ValidateFunction;
  bodies: Map<string, ValidateFunction>;
}

const PARAMETER_PLACE: Record<string, string> = { query: 'query', params: 'path', headers: 'header' };

/** `/data/task_id` -> `body.data.task_id`; `/data/response/0` -> `body.data.response[0]`. */
export function bodyPath(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), 'body');
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export class SpecDrift {
  private readonly ajv = responseAjv();
  private readonly compiled = new Map<object, ValidateFunction>();
  private readonly operations = new Map<string, CompiledOperation>();
  private readonly templates: Array<{ template: string; pattern: RegExp }>;

  private constructor(
    /** Dereferenced, as the simulator validates with it. */
    readonly document: OpenAPIV3.Document,
    /** As written, for pointers. */
    readonly source: SpecDocument,
  ) {
    this.templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
      ),
    }));
    for (const op of specOperations(document)) {
      const schemas = requestSchemas(op);
      const pointer = `#/paths/${escapePointerSegment(op.path)}/${op.method}`;
      this.operations.set(`${op.method.toUpperCase()} ${op.path}`, {
        op,
        pointer,
        provenance: provenanceOf(op.operation) ?? 'inferred',
        schemas,
        parameters: this.compile(schemas.parameters.schema),
        bodies: new Map([...(schemas.bodies ?? [])].map(([type, s]) => [type, this.compile(s.schema)])),
      });
    }
  }

  /** openapi.yaml by default; the dereferenced document is the simulator's own (load-spec.ts). */
  static async load(file: string = API_SPEC_PATH): Promise<SpecDrift> {
    return new SpecDrift(await loadSpec(file), SpecDocument.read(file));
  }

  /** The spec's path template a request path is on (the API's paths have no parameters yet). */
  templateOf(path: string): string | undefined {
    return this.templates.find(({ pattern }) => pattern.test(path))?.template;
  }

  /** Every departure of an answer from what the spec allows for `method path` (a template). */
  checkResponse(method: string, path: string, observed: ObservedAnswer): DriftFinding[] {
    const found: DriftFinding[] = [];
    const add = (f: Omit<DriftFinding, 'side'>) => found.push({ side: 'response', ...f });
    const compiled = this.operations.get(`${method.toUpperCase()} ${path}`);
    if (!compiled) {
      add({
        kind: 'operation',
        where: 'operation',
        message: `${method} ${path} is not in the spec`,
        provenance: 'inferred',
        pointer: this.pathPointer(path),
      });
      return found;
    }
    const { op, pointer: opPointer, provenance: opProvenance } = compiled;
    const response = op.operation.responses[String(observed.status)] as OpenAPIV3.ResponseObject | undefined;
    if (!response) {
      add({
        kind: 'status',
        where: 'status',
        message: `status ${observed.status} is not listed for ${method} ${path} (listed: ${Object.keys(op.operation.responses).join(', ')})`,
        provenance: opProvenance,
        pointer: `${opPointer}/responses`,
      });
      return found;
    }
    const responsePointer = this.source.resolve(`${opPointer}/responses/${observed.status}`).pointer;
    const responseProvenance = provenanceOf(response) ?? opProvenance;

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const spec = header as OpenAPIV3.HeaderObject;
      const value = observed.header(name);
      const provenance = provenanceOf(spec) ?? responseProvenance;
      const pointer = this.source.resolve(`${responsePointer}/headers/${escapePointerSegment(name)}`).pointer;
      if (value === undefined) {
        if (spec.required) {
          add({
            kind: 'header',
            where: `header ${name}`,
            message: `required header ${name} is missing`,
            provenance,
            pointer,
          });
        }
        continue;
      }
      const schema = spec.schema as OpenAPIV3.SchemaObject | undefined;
      if (schema?.type === 'integer' && !/^\d+$/.test(value.trim())) {
        add({
          kind: 'header',
          where: `header ${name}`,
          message: `${JSON.stringify(value)} is not an integer`,
          provenance,
          pointer: this.source.walk(pointer, ['schema', 'type']).pointer,
        });
      }
    }

    const contentType = mediaTypeOf(observed.header('content-type'));
    const listed = Object.keys(response.content ?? {});
    if (listed.length === 0) return found;
    const media = response.content?.[contentType];
    if (!media) {
      add({
        kind: 'content-type',
        where: 'content-type',
        message: `content type ${JSON.stringify(contentType || '(none)')} is not listed (${listed.join(', ')})`,
        provenance: responseProvenance,
        pointer: `${responsePointer}/content`,
      });
      return found;
    }
    const mediaPointer = `${responsePointer}/content/${escapePointerSegment(contentType)}`;
    if (media.schema && contentType.includes('json')) {
      if (!observed.isJson) {
        add({
          kind: 'body',
          where: 'body',
          message: 'the body is not valid JSON',
          provenance: responseProvenance,
          pointer: mediaPointer,
        });
        return found;
      }
      const validate = this.compile(media.schema);
      if (!validate(observed.json)) {
        for (const error of validate.errors ?? []) {
          const located = this.source.walk(
            `${mediaPointer}/schema`,
            schemaPathSegments(error.schemaPath),
            responseProvenance,
          );
          add({
            kind: 'body',
            where: bodyPath(error.instancePath),
            message: schemaMessage(error),
            provenance: located.provenance ?? responseProvenance,
            pointer: located.pointer,
            schemaPath: error.schemaPath,
          });
        }
      }
    }
    return found;
  }

  /**
   * An answer that is no API answer at all (proxy/answer-policy.ts: not JSON), as a finding at the
   * place of the spec that says what the answer should be: the listed status's content, else the
   * operation's responses, else the path.
   */
  foreignContent(
    method: string,
    path: string | undefined,
    status: number,
    found: Pick<DriftFinding, 'kind' | 'where' | 'message'>,
  ): DriftFinding {
    const compiled = path === undefined ? undefined : this.operations.get(`${method.toUpperCase()} ${path}`);
    if (!compiled)
      return { side: 'response', ...found, provenance: 'inferred', pointer: this.pathPointer(path ?? '') };
    const response = compiled.op.operation.responses[String(status)];
    if (!response)
      return {
        side: 'response',
        ...found,
        provenance: compiled.provenance,
        pointer: `${compiled.pointer}/responses`,
      };
    const responsePointer = this.source.resolve(`${compiled.pointer}/responses/${status}`).pointer;
    return {
      side: 'response',
      ...found,
      provenance: provenanceOf(response) ?? compiled.provenance,
      pointer: `${responsePointer}/content`,
    };
  }

  /** Every departure of a request from what the spec accepts (a client's drift, or ours). */
  checkRequest(request: ObservedRequest): DriftFinding[] {
    const found: DriftFinding[] = [];
    const add = (f: Omit<DriftFinding, 'side'>) => found.push({ side: 'request', ...f });
    const method = request.method.toUpperCase();
    const template = this.templateOf(request.path);
    const compiled = template === undefined ? undefined : this.operations.get(`${method} ${template}`);
    if (!compiled) {
      const methods = template === undefined ? [] : this.methodsOf(template);
      add({
        kind: 'operation',
        where: 'operation',
        message:
          template === undefined
            ? `${method} ${request.path} is not an operation of the spec`
            : `${method} ${template} is not an operation of the spec (the path has ${methods.join(', ')})`,
        provenance: 'inferred',
        pointer: this.pathPointer(template ?? request.path),
      });
      return found;
    }
    const { op, pointer: opPointer, provenance: opProvenance, schemas } = compiled;

    for (const [name, value] of Object.entries(request.query)) {
      if (!schemas.declaredQuery.has(name)) {
        add({
          kind: 'parameter',
          where: `query.${name}`,
          message: `Unknown query parameter '${name}'`,
          provenance: opProvenance,
          pointer: `${opPointer}/parameters`,
        });
      } else if (value === '' && !schemas.allowEmpty.has(name)) {
        const parameter = this.parameterPointer(compiled, 'query', name);
        add({
          kind: 'parameter',
          where: `query.${name}`,
          message: `Empty value found for query parameter '${name}'`,
          provenance: parameter.provenance ?? opProvenance,
          pointer: parameter.pointer,
        });
      }
    }
    const parameters = { query: request.query, params: {}, headers: request.headers };
    if (!compiled.parameters(parameters)) {
      for (const error of compiled.parameters.errors ?? []) add(this.parameterFinding(compiled, error));
    }

    if (!op.operation.requestBody) return found;
    const body = op.operation.requestBody as OpenAPIV3.RequestBodyObject;
    const bodyPointer = this.source.resolve(`${opPointer}/requestBody`).pointer;
    const bodyProvenance = provenanceOf(body) ?? opProvenance;
    const hasBody = request.body !== undefined && request.body.length > 0;
    const contentType = request.headers['content-type'];
    const mediaType = mediaTypeOf(Array.isArray(contentType) ? contentType[0] : contentType);
    if (!hasBody) {
      if (schemas.bodyRequired && method !== 'GET') {
        add({
          kind: 'body',
          where: 'body',
          message: 'is required',
          provenance: bodyProvenance,
          pointer: `${bodyPointer}/required`,
        });
      }
      return found;
    }
    const validate = compiled.bodies.get(mediaType);
    if (!validate) {
      add({
        kind: 'content-type',
        where: 'header.content-type',
        message: `${JSON.stringify(mediaType || '(none)')} is not listed (${[...compiled.bodies.keys()].join(', ')})`,
        provenance: bodyProvenance,
        pointer: `${bodyPointer}/content`,
      });
      return found;
    }
    const mediaPointer = `${bodyPointer}/content/${escapePointerSegment(mediaType)}`;
    let json: unknown;
    try {
      json = JSON.parse(request.body!.toString('utf8'));
    } catch {
      add({
        kind: 'body',
        where: 'body',
        message: 'is not valid JSON',
        provenance: bodyProvenance,
        pointer: mediaPointer,
      });
      return found;
    }
    if (!validate({ body: json })) {
      for (const error of validate.errors ?? []) {
        // The schema is `{ body: <the spec's schema> }` (request-schemas.ts): its first two steps are ours.
        const segments = schemaPathSegments(error.schemaPath);
        const inBody = segments[0] === 'properties' && segments[1] === 'body';
        const located = inBody
          ? this.source.walk(`${mediaPointer}/schema`, segments.slice(2), bodyProvenance)
          : { pointer: `${bodyPointer}/required`, provenance: bodyProvenance };
        const [problem] = fieldProblems([error]);
        add({
          kind: 'body',
          where: problem!.field,
          message: problem!.message,
          provenance: located.provenance ?? bodyProvenance,
          pointer: located.pointer,
          schemaPath: inBody ? `#/${segments.slice(2).join('/')}` : error.schemaPath,
        });
      }
    }
    return found;
  }

  private parameterFinding(compiled: CompiledOperation, error: ErrorObject): Omit<DriftFinding, 'side'> {
    const [problem] = fieldProblems([error]);
    // `#/properties/query/properties/task_id/pattern`, or `#/properties/query/required` (missingProperty).
    const segments = schemaPathSegments(error.schemaPath);
    const place = segments[1] ?? 'query';
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    const name = segments[2] === 'properties' ? segments[3] : missing;
    const parameter = name === undefined ? undefined : this.parameterPointer(compiled, place, name);
    const located =
      parameter === undefined
        ? { pointer: `${compiled.pointer}/parameters`, provenance: compiled.provenance }
        : segments[2] === 'properties'
          ? this.source.walk(`${parameter.pointer}/schema`, segments.slice(4), parameter.provenance)
          : { pointer: `${parameter.pointer}/required`, provenance: parameter.provenance };
    return {
      kind: 'parameter',
      where: problem!.field,
      message: problem!.message,
      provenance: located.provenance ?? compiled.provenance,
      pointer: located.pointer,
      schemaPath: error.schemaPath,
    };
  }

  /** The raw pointer of a parameter (the operation's own first, then the path item's). */
  private parameterPointer(
    compiled: CompiledOperation,
    place: string,
    name: string,
  ): { pointer: string; provenance: Provenance | undefined } {
    const where = PARAMETER_PLACE[place] ?? place;
    const itemPointer = compiled.pointer.replace(/\/[a-z]+$/, '');
    for (const owner of [compiled.pointer, itemPointer]) {
      const list = this.source.get(`${owner}/parameters`);
      if (!Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i++) {
        const { pointer, node } = this.source.resolve(`${owner}/parameters/${i}`);
        const p = node as { name?: string; in?: string } | undefined;
        if (p?.in === where && p.name?.toLowerCase() === name.toLowerCase())
          return { pointer, provenance: provenanceOf(node) };
      }
    }
    return { pointer: `${compiled.pointer}/parameters`, provenance: compiled.provenance };
  }

  private methodsOf(template: string): string[] {
    const item = this.document.paths[template] ?? {};
    return ['get', 'put', 'post', 'delete', 'patch'].filter((m) => m in item).map((m) => m.toUpperCase());
  }

  private pathPointer(path: string): string {
    return path in this.document.paths ? `#/paths/${escapePointerSegment(path)}` : '#/paths';
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

/** Ajv's message, with the property or the allowed values it names (as the live check's report reads). */
function schemaMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  let detail = error.message ?? error.keyword;
  if (typeof params.additionalProperty === 'string')
    detail += `: ${JSON.stringify(params.additionalProperty)}`;
  if (Array.isArray(params.allowedValues))
    detail += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return detail;
}

/** `body.data.task_id: must have required property 'task_id' (documented; #/components/...)`. */
export function formatDrift(f: Pick<DriftFinding, 'where' | 'message' | 'provenance' | 'pointer'>): string {
  return `${f.where}: ${f.message} (${f.provenance}; ${f.pointer})`;
}
