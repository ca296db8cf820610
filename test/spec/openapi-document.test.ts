/**
 * The spec is the single source of truth, so it is tested like code: it must parse and validate,
 * lint clean, carry provenance everywhere, give every operation its security and error responses,
 * and every example in it must validate against its own schema.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { ROOT, deref, loadRawSpec, operations, propertySchemas, type Json } from '../support/spec-walk.js';

/** Both documents are validated and linted; provenance and the public error set apply to the provider's API only. */
const SPECS = ['openapi.yaml', 'mock-server/control-api.yaml'];
const PUBLIC_API = 'openapi.yaml';
// ajv-formats is CommonJS with a default export; NodeNext sees the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const run = promisify(execFile);

describe.each(SPECS)('%s', (specPath) => {
  const raw = loadRawSpec(specPath);

  it('parses and validates with swagger-parser', async () => {
    const api = (await SwaggerParser.validate(`${ROOT}/${specPath}`)) as OpenAPIV3.Document;
    expect(api.openapi).toBe('3.0.3');
  });

  it('lints clean with Redocly CLI and the repo rules', async () => {
    const { stdout, stderr } = await run('npx', ['redocly', 'lint', specPath], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((err: { stdout: string; stderr: string }) => {
      throw new Error(`redocly lint failed:\n${err.stdout}\n${err.stderr}`);
    });
    expect(`${stdout}${stderr}`).toMatch(/valid/i);
  }, 60_000);

  it('gives every operation an operationId, summary and description', () => {
    for (const { path, method, op } of operations(raw)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toBeTypeOf('string');
      expect(op.summary, where).toBeTypeOf('string');
      expect(op.description, where).toBeTypeOf('string');
    }
  });

  // Every operation reads or writes the store, and a shared store can be unreachable: its answer is
  // 503 with Retry-After (--store redis), so a client generated from the spec must expect it anywhere.
  it('declares 503 on every operation', () => {
    const missing = operations(raw)
      .filter(({ op }) => !('503' in ((op.responses ?? {}) as Json)))
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  it('has examples that validate against their own schemas', async () => {
    const api = (await SwaggerParser.dereference(`${ROOT}/${specPath}`)) as unknown as Json;
    // OpenAPI 3.0 schemas are JSON Schema plus `nullable` and `x-` keywords; strict mode is off for those.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const failures: string[] = [];
    let checked = 0;
    const checkMedia = (where: string, media: Json) => {
      const schema = media.schema as Json | undefined;
      if (!schema) return;
      const validate = ajv.compile(schema);
      const samples: Array<[string, unknown]> = [];
      if ('example' in media) samples.push(['example', media.example]);
      for (const [name, ex] of Object.entries((media.examples ?? {}) as Record<string, Json>)) {
        samples.push([name, ex.value]);
      }
      for (const [name, value] of samples) {
        checked++;
        if (!validate(value)) failures.push(`${where} ${name}: ${ajv.errorsText(validate.errors)}`);
      }
    };
    for (const { path, method, op } of operations(api)) {
      const where = `${method.toUpperCase()} ${path}`;
      const body = op.requestBody as Json | undefined;
      for (const [type, media] of Object.entries((body?.content ?? {}) as Record<string, Json>)) {
        checkMedia(`${where} request ${type}`, media);
      }
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          checkMedia(`${where} ${status} ${type}`, media);
        }
      }
    }
    const schemas = ((api.components as Json)?.schemas ?? {}) as Record<string, Json>;
    for (const [name, schema] of Object.entries(schemas)) {
      if ('example' in schema) {
        checked++;
        if (!ajv.validate(schema, schema.example)) failures.push(`schemas.${name}: ${ajv.errorsText()}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(3);
  });
});

describe('openapi.yaml specifics', () => {
  const raw = loadRawSpec(PUBLIC_API);

  it('gives every operation security and 401/429/500', () => {
    const ops = operations(raw);
    expect(ops.length).toBeGreaterThan(0);
    for (const { path, method, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toBeTypeOf('string');
      expect(op.summary, where).toBeTypeOf('string');
      expect(op.description, where).toBeTypeOf('string');
      const security = (op.security ?? raw.security) as unknown[] | undefined;
      expect(security?.length ?? 0, `${where} has no security`).toBeGreaterThan(0);
      const responses = op.responses as Json;
      for (const status of ['401', '429', '500']) {
        expect(Object.keys(responses), `${where} lacks ${status}`).toContain(status);
      }
    }
  });

  it('marks the provenance of every operation, parameter, response and schema property', () => {
    const missing: string[] = [];
    const check = (where: string, node: Json) => {
      if (node.$ref) return; // checked where the target is defined
      const p = node['x-provenance'];
      if (p !== 'documented' && p !== 'inferred') missing.push(`${where}: x-provenance is ${String(p)}`);
      if (p === 'inferred' && typeof node['x-provenance-reason'] !== 'string') {
        // an inferred example needs no reason of its own: the schema it illustrates carries it
        if (!where.includes('.examples.')) missing.push(`${where}: inferred without x-provenance-reason`);
      }
      if (p === 'documented' && typeof node['x-doc-quote'] !== 'string' && !where.includes('.examples.')) {
        missing.push(`${where}: documented without x-doc-quote`);
      }
    };
    for (const { path, method, op } of operations(raw)) {
      const where = `${method.toUpperCase()} ${path}`;
      check(where, op);
      if (op.requestBody) check(`${where} requestBody`, op.requestBody as Json);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        check(`${where} ${status}`, response as Json);
      }
    }
    const components = (raw.components ?? {}) as Record<string, Record<string, Json>>;
    for (const kind of ['parameters', 'responses', 'headers', 'securitySchemes'] as const) {
      for (const [name, node] of Object.entries(components[kind] ?? {})) check(`${kind}.${name}`, node);
    }
    for (const [name, schema] of Object.entries(components.schemas ?? {})) {
      check(`schemas.${name}`, schema);
      for (const { where, schema: prop } of propertySchemas(schema, `schemas.${name}`)) {
        if (!where.endsWith('[]')) check(where, prop);
      }
    }
    expect(missing).toEqual([]);
  });

  it('states the credit table on the generate operation', () => {
    const op = deref(raw, ((raw.paths as Json)['/api/generate'] as Json).post as Json);
    expect((op['x-credit-cost'] as Json).presets).toEqual({
      'text-to-image-basic': 12,
      'text-to-image-high': 18,
      'edit-basic': 18,
      'edit-high': 24,
      burst: 48,
    });
  });

  it('lists the live API and the local simulator as servers', () => {
    expect((raw.servers as Json[]).map((s) => s.url)).toEqual([
      'https://seedream45ai.org',
      'http://localhost:4010',
    ]);
  });

  it('documents 429 with a required Retry-After header', () => {
    const tooMany = deref(raw, (raw.components as Json).responses as Json).TooManyRequests as Json;
    const header = deref(raw, (tooMany.headers as Json)['Retry-After'] as Json);
    expect(header.required).toBe(true);
  });

  it('forbids additional properties on every response body schema', () => {
    const schemas = (raw.components as Json).schemas as Record<string, Json>;
    const open: string[] = [];
    for (const name of [
      'GenerateResponse',
      'TaskStatusResponse',
      'TaskRecord',
      'ErrorResponse',
      'RequestSnapshot',
    ]) {
      const schema = schemas[name] as Json;
      if (schema.additionalProperties !== false) open.push(name);
      for (const { where, schema: prop } of propertySchemas(schema, name)) {
        if (prop.type === 'object' && prop.additionalProperties !== false) open.push(where);
      }
    }
    expect(open).toEqual([]);
  });
});
