/**
 * Schemathesis-style conformance, independent of the server's own validator: a response must use
 * a status the spec lists for its operation, the content type it lists, the headers it marks
 * required, and a body valid against the listed schema (additionalProperties: false included).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';
import { API_SPEC_PATH, CONTROL_SPEC_PATH } from '../../mock-server/src/http/load-spec.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface ObservedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface SpecConformance {
  /** Problems with the response, empty when it conforms. */
  check(method: string, path: string, res: ObservedResponse): string[];
}

export async function loadConformance(specPath: string = API_SPEC_PATH): Promise<SpecConformance> {
  const spec = (await SwaggerParser.dereference(specPath)) as OpenAPIV3.Document;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const cache = new Map<object, ValidateFunction>();
  const compile = (schema: object) => {
    let fn = cache.get(schema);
    if (!fn) cache.set(schema, (fn = ajv.compile(schema)));
    return fn;
  };
  const routes = Object.entries(spec.paths).map(([path, item]) => ({
    pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    item: item!,
  }));

  return {
    check(method, url, res) {
      const path = url.split('?')[0]!;
      const route = routes.find((r) => r.pattern.test(path));
      const op = route?.item[method.toLowerCase() as 'get'];
      if (!op) return [`${method} ${path} is not an operation of the spec`];
      const response = op.responses[String(res.status)] as OpenAPIV3.ResponseObject | undefined;
      if (!response)
        return [`${method} ${path}: status ${res.status} is not listed (${Object.keys(op.responses)})`];
      const problems: string[] = [];
      for (const [name, header] of Object.entries(response.headers ?? {})) {
        if ((header as OpenAPIV3.HeaderObject).required && res.headers[name.toLowerCase()] === undefined) {
          problems.push(`${res.status} lacks required header ${name}`);
        }
      }
      const contentType = String(res.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim();
      const media = response.content?.[contentType];
      if (!media) {
        problems.push(
          `${res.status} content type "${contentType}" not listed (${Object.keys(response.content ?? {})})`,
        );
        return problems;
      }
      if (media.schema && contentType.includes('json')) {
        const validate = compile(media.schema);
        if (!validate(res.body)) problems.push(`${res.status} body: ${ajv.errorsText(validate.errors)}`);
      }
      return problems;
    },
  };
}

export const loadControlConformance = () => loadConformance(CONTROL_SPEC_PATH);
