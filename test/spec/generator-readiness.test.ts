/**
 * Hardening issue, items 16 and 17: both documents, walked whole, hold the properties that the common
 * generators (Dredd, Portman, Schemathesis-style tools) and typed clients rely on.
 *
 * - Every parameter has an `example` of its own (on the parameter object: Dredd ignores the example of a
 *   `$ref`'d schema), valid against its schema.
 * - No operation repeats the document's global `security` (Portman puts its own token placeholder on
 *   every request whose operation declares security, even when it equals the global one).
 * - openapi.yaml's ErrorType gives each kind its provenance; control-api.yaml's ControlErrorType holds
 *   every public kind plus the simulator's own; the error `data` is never nullable.
 * - X-RateLimit-* are declared, optional, on every answer to an authenticated public request.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ROOT, deref, loadRawSpec, operations, type Json } from '../support/spec-walk.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const SPECS = ['openapi.yaml', 'mock-server/control-api.yaml'];

/** Every parameter of every operation (path-level and operation-level), with $refs followed. */
async function parametersOf(specPath: string) {
  const api = (await SwaggerParser.dereference(`${ROOT}/${specPath}`)) as unknown as Json;
  const out: Array<{ where: string; parameter: Json }> = [];
  for (const [path, item] of Object.entries(api.paths as Record<string, Json>)) {
    const shared = (item.parameters ?? []) as Json[];
    for (const { method, op } of operations({ paths: { [path]: item } })) {
      for (const parameter of [...shared, ...((op.parameters ?? []) as Json[])]) {
        out.push({
          where: `${method.toUpperCase()} ${path} ${String(parameter.in)}.${String(parameter.name)}`,
          parameter,
        });
      }
    }
  }
  return out;
}

describe.each(SPECS)('%s', (specPath) => {
  const raw = loadRawSpec(specPath);

  it('gives every parameter an example of its own that its schema accepts', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const parameters = await parametersOf(specPath);
    expect(parameters.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { where, parameter } of parameters) {
      if (!('example' in parameter)) {
        problems.push(`${where}: no example on the parameter`);
        continue;
      }
      const validate = ajv.compile(parameter.schema as Json);
      if (!validate(parameter.example)) problems.push(`${where}: example ${ajv.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);
  });

  it('never repeats the global security on an operation', () => {
    const global = JSON.stringify(raw.security ?? null);
    const repeated = operations(raw)
      .filter(({ op }) => op.security !== undefined && JSON.stringify(op.security) === global)
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(repeated).toEqual([]);
  });

  it('has no nullable error data', () => {
    const schemas = (raw.components as Json).schemas as Record<string, Json>;
    const data = deref(raw, (schemas.ErrorResponse!.properties as Json).data as Json);
    expect(data.nullable ?? false).toBe(false);
    expect(data.required).toContain('type');
  });
});

describe('error types', () => {
  const api = loadRawSpec('openapi.yaml');
  const control = loadRawSpec('mock-server/control-api.yaml');
  const schemas = (doc: Json) => (doc.components as Json).schemas as Record<string, Json>;
  const publicTypes = schemas(api).ErrorType!.enum as string[];

  it("openapi.yaml's ErrorType gives each kind its provenance and a reason", () => {
    const byKind = (schemas(api).ErrorType!['x-enum-provenance'] ?? {}) as Record<string, Json>;
    expect(Object.keys(byKind).sort()).toEqual([...publicTypes].sort());
    for (const kind of publicTypes) {
      expect(byKind[kind]!['x-provenance'], kind).toMatch(/^(documented|inferred)$/);
      expect(byKind[kind]!['x-provenance-reason'] ?? byKind[kind]!['x-doc-quote'], kind).toBeTypeOf('string');
    }
    // Kinds other engineers' work answers with, declared ahead so the spec already knows them.
    expect(publicTypes).toEqual(
      expect.arrayContaining([
        'forbidden',
        'request_timeout',
        'headers_too_large',
        'service_unavailable',
        'bad_gateway',
      ]),
    );
  });

  it("control-api.yaml's errors are typed: every public kind plus gone, conflict, forbidden and quota_exceeded", () => {
    const controlTypes = schemas(control).ControlErrorType?.enum as string[] | undefined;
    expect(controlTypes, 'control-api.yaml has no ControlErrorType').toBeDefined();
    expect([...controlTypes!].sort()).toEqual(
      [...new Set([...publicTypes, 'gone', 'conflict', 'forbidden', 'quota_exceeded'])].sort(),
    );
    const data = (schemas(control).ErrorResponse!.properties as Json).data as Json;
    expect(((data.properties as Json).type as Json).$ref).toBe('#/components/schemas/ControlErrorType');
    expect(data.additionalProperties).toBe(false);
  });
});

describe('X-RateLimit-* on the public operations', () => {
  const api = loadRawSpec('openapi.yaml');

  // 401 is answered before the key is known; 503 when the store that holds the buckets is unreachable
  // (or forced by QA, before the limiter runs).
  it('are declared, optional, on every response but 401 and 503', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations(api)) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        if (status === '401' || status === '503') continue;
        const headers = (deref(api, response).headers ?? {}) as Record<string, Json>;
        for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
          const header = headers[name] && deref(api, headers[name]);
          if (!header) missing.push(`${method.toUpperCase()} ${path} ${status} lacks ${name}`);
          else if (header.required === true)
            missing.push(`${method.toUpperCase()} ${path} ${status}: ${name} required`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
