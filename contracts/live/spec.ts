/**
 * `openapi.yaml` as the live runner reads it: is this answer one the spec allows (status listed for the
 * operation, content type, required headers, body valid against the schema with formats), and for each
 * departure, is the part of the spec it departs from `documented` (the provider's own documentation
 * says so) or `inferred` (our choice where the documentation is silent)?
 *
 * The checks are those of `test/support/conformance.ts`, made by the simulator's drift checker (the
 * one its proxy uses) so that every problem carries the `x-provenance` of the spec node it breaks (the
 * body schema's nearest node along the failing keyword's path, the header's own, or else the
 * response's and the operation's) and its place in the document (a JSON pointer).
 */
import type { OpenAPIV3 } from 'openapi-types';
import { SpecDrift, bodyPath, type Provenance } from '../../mock-server/src/drift/spec-drift.js';
import { provenanceOf } from '../../mock-server/src/drift/spec-document.js';
import { OPENAPI_FILE } from '../consumer/pact-config.js';

export type { Provenance };
export { bodyPath };

/** One way an answer departs from what was expected of it. */
export interface Finding {
  /** Where: `status`, `header Retry-After`, `content-type`, `body.data.task_id`, ... */
  where: string;
  message: string;
  provenance: Provenance;
  /** Where in openapi.yaml, when the finding is the spec's (a JSON pointer, e.g. `#/components/headers/Retry-After`). */
  pointer?: string;
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

export class LiveSpec {
  private constructor(
    readonly document: OpenAPIV3.Document,
    private readonly drift: SpecDrift,
  ) {}

  static async load(file: string = OPENAPI_FILE): Promise<LiveSpec> {
    const drift = await SpecDrift.load(file);
    return new LiveSpec(drift.document, drift);
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

  /**
   * Every departure of `observed` from what the spec allows for `method path`; empty when it conforms.
   * The simulator's drift checker (mock-server/src/drift/spec-drift.ts) makes the checks, the proxy's
   * and the live check's alike; each finding keeps its place in the spec.
   */
  check(method: string, path: string, observed: Observed): Finding[] {
    const answer = {
      status: observed.status,
      header: (name: string) => observed.headers.get(name) ?? undefined,
      json: observed.json,
      isJson: observed.isJson,
    };
    return this.drift
      .checkResponse(method, path, answer)
      .map(({ where, message, provenance, pointer }) => ({ where, message, provenance, pointer }));
  }
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
