/**
 * The one place that turns a request into text for logs and the journal. Redaction holds by
 * construction, not by pattern: what is printed is built only from what the specs say is safe.
 *
 * - The path is matched against the specs' path templates (after taking the path out of an
 *   absolute-form request line). A parameter's value is printed only when the parameter is not
 *   marked `x-secret` and the value is what its schema allows (a task id, `0.jpg`); otherwise `*`.
 * - A path that matches no template is printed with the specs' literal segments only (`api`,
 *   `__mock`, `accounts`, ...); every other segment becomes `*`. So `//__mock/accounts/<key>`,
 *   `/__m%6Fck/accounts/<key>` or a key pasted into a path never reach a log line.
 * - Query parameters keep their names; a value is printed only for a declared, non-secret parameter
 *   of the matched path whose schema allows it; every other value is `[redacted]`.
 */
import type { OpenAPIV3 } from 'openapi-types';
import type { SpecOperation } from './load-spec.js';

export interface RenderedRequest {
  method: string;
  /** The path, safe to print. */
  path: string;
  /** The query string without `?`, safe to print (empty when none). */
  query: string;
  /** The OpenAPI path template the path matched, if any. */
  template: string | undefined;
  /** The operationId of the method on that template, if the spec has one (a bounded set: metrics use it). */
  operationId: string | undefined;
}

export type RequestRenderer = (req: { method: string; originalUrl?: string; url: string }) => RenderedRequest;

const REDACTED = '[redacted]';
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

type ValueCheck = (value: string) => boolean;

interface Template {
  path: string;
  pattern: RegExp;
  /** Path parameters in order: their check, or undefined when they are never printed. */
  params: Array<ValueCheck | undefined>;
  /** Declared query parameters of any operation on this path. */
  query: Map<string, ValueCheck | undefined>;
  /** operationId by upper-case method. */
  operations: Map<string, string>;
}

/** What a parameter's value must be to be printed; undefined when it never is (secret). */
function valueCheck(parameter: OpenAPIV3.ParameterObject): ValueCheck | undefined {
  if ((parameter as { 'x-secret'?: boolean })['x-secret'] === true) return undefined;
  const schema = (parameter.schema ?? {}) as OpenAPIV3.SchemaObject;
  if (Array.isArray(schema.enum)) {
    const allowed = new Set(schema.enum.map(String));
    return (v) => allowed.has(v);
  }
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern, 'u');
    const max = schema.maxLength ?? 512;
    return (v) => v.length <= max && pattern.test(v);
  }
  // No shape to hold the value to: printed only when it is short and plain.
  return (v) => v.length <= 128 && /^[\w./:-]*$/.test(v);
}

function templatesOf(operations: readonly SpecOperation[]): Template[] {
  const byPath = new Map<string, Template>();
  for (const op of operations) {
    let template = byPath.get(op.path);
    if (!template) {
      const names: string[] = [];
      const source = op.path
        .split('/')
        .map((segment) => {
          const param = /^\{([^}]+)\}$/.exec(segment);
          if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(param[1]!);
          return '([^/]+)';
        })
        .join('/');
      const pathParams = new Map(op.parameters.filter((p) => p.in === 'path').map((p) => [p.name, p]));
      template = {
        path: op.path,
        pattern: new RegExp(`^${source}$`),
        params: names.map((name) => {
          const parameter = pathParams.get(name);
          return parameter ? valueCheck(parameter) : undefined;
        }),
        query: new Map(),
        operations: new Map(),
      };
      byPath.set(op.path, template);
    }
    template.operations.set(op.method.toUpperCase(), op.operationId);
    for (const p of op.parameters)
      if (p.in === 'query' && !template.query.has(p.name)) template.query.set(p.name, valueCheck(p));
  }
  return [...byPath.values()];
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function requestRenderer(operations: readonly SpecOperation[]): RequestRenderer {
  const templates = templatesOf(operations);
  const literals = new Set(
    operations.flatMap((op) => op.path.split('/').filter((s) => s !== '' && !s.startsWith('{'))),
  );

  const renderQuery = (raw: string, declared: Map<string, ValueCheck | undefined> | undefined): string => {
    if (raw === '') return '';
    const params = new URLSearchParams(raw);
    const out = new URLSearchParams();
    for (const [name, value] of params) {
      const check = declared?.get(name);
      out.append(name, check && check(value) ? value : REDACTED);
    }
    return out.toString();
  };

  // The journal, the metrics and the error handler each ask about the same request: rendered once.
  const rendered = new WeakMap<object, { url: string; method: string; result: RenderedRequest }>();
  // And a client asks the same few URLs again and again (a poll names its task each time): the last
  // few hundred renderings are kept, frozen, so no caller can change a kept one.
  const byUrl = new Map<string, RenderedRequest>();
  const KEPT = 512;
  return (req) => {
    const url = req.originalUrl ?? req.url;
    const cached = rendered.get(req);
    if (cached && cached.url === url && cached.method === req.method) return cached.result;
    const key = `${req.method} ${url}`;
    let result = byUrl.get(key);
    if (result === undefined) {
      result = Object.freeze(render(req.method, url));
      if (byUrl.size >= KEPT) byUrl.delete(byUrl.keys().next().value!);
      byUrl.set(key, result);
    }
    rendered.set(req, { url, method: req.method, result });
    return result;
  };

  function render(method: string, requestUrl: string): RenderedRequest {
    let url = requestUrl;
    if (ABSOLUTE_FORM.test(url)) {
      try {
        const parsed = new URL(url);
        url = parsed.pathname + parsed.search;
      } catch {
        url = '/';
      }
    }
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);

    for (const template of templates) {
      const match = template.pattern.exec(rawPath);
      if (!match) continue;
      let i = 0;
      const path = template.path.replace(/\{[^}]+\}/g, () => {
        const value = decoded(match[i + 1]!);
        const check = template.params[i++];
        return value !== undefined && check && check(value) ? value : '*';
      });
      return {
        method,
        path,
        query: renderQuery(rawQuery, template.query),
        template: template.path,
        // HEAD is answered by the GET route.
        operationId: template.operations.get(method === 'HEAD' ? 'GET' : method),
      };
    }
    const path = rawPath
      .split('/')
      .map((segment) => (segment === '' || literals.has(segment) ? segment : '*'))
      .join('/');
    return {
      method,
      path,
      query: renderQuery(rawQuery, undefined),
      template: undefined,
      operationId: undefined,
    };
  }
}
