/**
 * Helpers for tests that hold an OpenAPI document to account: load it raw (with $refs, so
 * provenance is checked where it is written) and walk its schemas' properties.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../scripts/lib/project-root.js';

export type Json = Record<string, unknown>;

export const ROOT = projectRoot();

export function loadRawSpec(relPath = 'openapi.yaml'): Json {
  return parse(readFileSync(join(ROOT, relPath), 'utf8')) as Json;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export function operations(spec: Json): Array<{ path: string; method: string; op: Json }> {
  const out: Array<{ path: string; method: string; op: Json }> = [];
  for (const [path, item] of Object.entries((spec.paths ?? {}) as Record<string, Json>)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as Json | undefined;
      if (op) out.push({ path, method, op });
    }
  }
  return out;
}

/** Every inline property schema below `schema` (not following $refs), with a readable location. */
export function propertySchemas(schema: Json, where: string): Array<{ where: string; schema: Json }> {
  const out: Array<{ where: string; schema: Json }> = [];
  const props = (schema.properties ?? {}) as Record<string, Json>;
  for (const [name, prop] of Object.entries(props)) {
    out.push({ where: `${where}.${name}`, schema: prop });
    out.push(...propertySchemas(prop, `${where}.${name}`));
    if (prop.items && typeof prop.items === 'object') {
      out.push(...propertySchemas(prop.items as Json, `${where}.${name}[]`));
    }
  }
  return out;
}

/** Follows a local `$ref` ("#/components/...") inside `spec`. */
export function deref(spec: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const target = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((acc, key) => (acc as Json)[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  return deref(spec, target as Json);
}
