/**
 * Loads the OpenAPI documents once, dereferenced, typed with openapi-types.
 *
 * The YAML files are the source of truth. Parsing and dereferencing them takes about 145 ms of the
 * simulator's start (js-yaml and swagger-parser, in a --cpu-prof profile), so `npm run build` also
 * writes the dereferenced documents to dist/spec-cache.json with a digest of the YAML they came from.
 * At start the cache is used only when that digest matches the YAML on disk; otherwise the YAML is
 * parsed as before. A stale or missing cache costs time, never correctness.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { OpenAPIV3 } from 'openapi-types';
import { projectRoot } from '../project-root.js';

export const API_SPEC_PATH = join(projectRoot(), 'openapi.yaml');
export const CONTROL_SPEC_PATH = join(projectRoot(), 'mock-server', 'control-api.yaml');
/** Every document, including those only reached by $ref, so the digest covers all of them. */
const SPEC_SOURCES = [API_SPEC_PATH, CONTROL_SPEC_PATH];
export const SPEC_CACHE_PATH = join(projectRoot(), 'dist', 'spec-cache.json');

interface SpecCache {
  digest: string;
  docs: Record<string, OpenAPIV3.Document>;
}

export function specSourcesDigest(): string {
  const hash = createHash('sha256');
  for (const path of SPEC_SOURCES)
    hash.update(relative(projectRoot(), path)).update('\0').update(readFileSync(path));
  return hash.digest('hex');
}

let cache: SpecCache | null | undefined;

function validCache(): SpecCache | null {
  if (cache !== undefined) return cache;
  try {
    const parsed = JSON.parse(readFileSync(SPEC_CACHE_PATH, 'utf8')) as SpecCache;
    cache = parsed.digest === specSourcesDigest() ? parsed : null;
  } catch {
    cache = null; // no cache yet (tests run from source), or unreadable: parse the YAML
  }
  return cache;
}

async function parseSpec(path: string): Promise<OpenAPIV3.Document> {
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  return (await SwaggerParser.dereference(path)) as OpenAPIV3.Document;
}

const loaded = new Map<string, Promise<OpenAPIV3.Document>>();

/**
 * Loaded once per process: the documents do not change while it runs, and every consumer (the
 * validator, the router) treats them as read-only or takes its own copy.
 */
export function loadSpec(path: string): Promise<OpenAPIV3.Document> {
  let doc = loaded.get(path);
  if (!doc) {
    const cached = validCache()?.docs[relative(projectRoot(), path)];
    doc = cached ? Promise.resolve(cached) : parseSpec(path);
    loaded.set(path, doc);
  }
  return doc;
}

/** Writes dist/spec-cache.json from the YAML as it is now (run by `npm run build`). */
export async function writeSpecCache(): Promise<void> {
  const docs: Record<string, OpenAPIV3.Document> = {};
  for (const path of SPEC_SOURCES) docs[relative(projectRoot(), path)] = await parseSpec(path);
  mkdirSync(dirname(SPEC_CACHE_PATH), { recursive: true });
  // Renamed into place, so a simulator starting meanwhile (a test's, during `npm start`'s rebuild)
  // reads the old file or the new one, whole.
  const partial = `${SPEC_CACHE_PATH}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify({ digest: specSourcesDigest(), docs } satisfies SpecCache));
  renameSync(partial, SPEC_CACHE_PATH);
  cache = undefined;
}

export interface SpecOperation {
  operationId: string;
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  /** OpenAPI path, `{param}` style. */
  path: string;
  /** The same path in Express's `:param` style. */
  expressPath: string;
  operation: OpenAPIV3.OperationObject;
  /** The path item's parameters and the operation's, the operation's winning on the same name and place. */
  parameters: OpenAPIV3.ParameterObject[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export function specOperations(spec: OpenAPIV3.Document): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation?.operationId) continue;
      out.push({
        operationId: operation.operationId,
        method,
        path,
        expressPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        operation,
        parameters: mergeParameters(item?.parameters, operation.parameters),
      });
    }
  }
  return out;
}

type Parameters = OpenAPIV3.OperationObject['parameters'];

/** The documents are dereferenced, so every parameter is an object, not a `$ref`. */
function mergeParameters(fromPath: Parameters, fromOperation: Parameters): OpenAPIV3.ParameterObject[] {
  const byPlace = new Map<string, OpenAPIV3.ParameterObject>();
  for (const parameter of [...(fromPath ?? []), ...(fromOperation ?? [])] as OpenAPIV3.ParameterObject[])
    byPlace.set(`${parameter.in}\u0000${parameter.name}`, parameter);
  return [...byPlace.values()];
}
