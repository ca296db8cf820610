/** Loads an OpenAPI document once, dereferenced, typed with openapi-types. */
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { projectRoot } from '../project-root.js';

export const API_SPEC_PATH = join(projectRoot(), 'openapi.yaml');
export const CONTROL_SPEC_PATH = join(projectRoot(), 'mock-server', 'control-api.yaml');

const loaded = new Map<string, Promise<OpenAPIV3.Document>>();

/**
 * Loaded once per process: the documents do not change while it runs, and every consumer (the
 * validator, the router) treats them as read-only or takes its own copy.
 */
export function loadSpec(path: string): Promise<OpenAPIV3.Document> {
  let doc = loaded.get(path);
  if (!doc) {
    doc = SwaggerParser.dereference(path) as Promise<OpenAPIV3.Document>;
    loaded.set(path, doc);
  }
  return doc;
}

export interface SpecOperation {
  operationId: string;
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  /** OpenAPI path, `{param}` style. */
  path: string;
  /** The same path in Express's `:param` style. */
  expressPath: string;
  operation: OpenAPIV3.OperationObject;
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
      });
    }
  }
  return out;
}
