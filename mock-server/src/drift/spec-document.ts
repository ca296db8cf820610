/**
 * openapi.yaml as written (not dereferenced), for saying where in it a problem is: a JSON pointer
 * into the document, following its `$ref`s the way a reader would (the 429's `Retry-After` is
 * `#/components/headers/Retry-After`, not a path through the operation), and the nearest
 * `x-provenance` on the way (`documented`: the provider's documentation says so; `inferred`: our
 * choice where it is silent).
 *
 * The validators run on the dereferenced document (load-spec.ts); a dereferenced node is the object
 * its `$ref` pointed to, so walking the raw document and following each `$ref` visits the same nodes
 * in the same order, and the provenance found here is the one the live check's report gives.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Provenance = 'documented' | 'inferred';

export interface Located {
  /** JSON pointer into the document, as a URI fragment: `#/components/schemas/TaskRecord/required`. */
  pointer: string;
  /** The nearest `x-provenance` on the way, if any. */
  provenance: Provenance | undefined;
  node: unknown;
}

/** `/api/status` -> `~1api~1status` (RFC 6901). */
export function escapePointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapeSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function provenanceOf(node: unknown): Provenance | undefined {
  const value = (node as { 'x-provenance'?: unknown } | undefined)?.['x-provenance'];
  return value === 'documented' || value === 'inferred' ? value : undefined;
}

/** A schema's own provenance for its `additionalProperties` (GenerateRequest refuses unknown fields: ours). */
function additionalPropertiesProvenance(node: unknown): Provenance | undefined {
  const value = (node as { 'x-additional-properties-provenance'?: unknown } | undefined)?.[
    'x-additional-properties-provenance'
  ];
  return value === 'documented' || value === 'inferred' ? value : undefined;
}

/** The longest a `$ref` chain may be: a cycle in a broken document must not hang a request. */
const MAX_REF_HOPS = 32;

export class SpecDocument {
  constructor(readonly raw: unknown) {}

  static read(file: string): SpecDocument {
    return new SpecDocument(parse(readFileSync(file, 'utf8')) as unknown);
  }

  /** The node at a pointer, or undefined. */
  get(pointer: string): unknown {
    let node: unknown = this.raw;
    for (const segment of pointer.replace(/^#\/?/, '').split('/')) {
      if (segment === '') continue;
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<string, unknown>)[unescapeSegment(segment)];
    }
    return node;
  }

  /** The pointer and node after following local `$ref`s from `pointer`. */
  resolve(pointer: string): { pointer: string; node: unknown } {
    let current = pointer;
    let node = this.get(current);
    for (let hops = 0; hops < MAX_REF_HOPS; hops++) {
      const ref = (node as { $ref?: unknown } | undefined)?.$ref;
      if (typeof ref !== 'string' || !ref.startsWith('#/')) break;
      current = ref;
      node = this.get(current);
    }
    return { pointer: current, node };
  }

  /**
   * From `start`, down `segments` (an Ajv schemaPath's, or any path of property names), following
   * `$ref`s; stops at the deepest node that exists. The provenance is the deepest one on the way.
   */
  walk(start: string, segments: readonly string[], fallback?: Provenance): Located {
    let { pointer, node } = this.resolve(start);
    let provenance = provenanceOf(node) ?? fallback;
    for (const segment of segments) {
      if (typeof node !== 'object' || node === null) break;
      const child = (node as Record<string, unknown>)[segment];
      if (child === undefined) break;
      if (segment === 'additionalProperties') provenance = additionalPropertiesProvenance(node) ?? provenance;
      ({ pointer, node } = this.resolve(`${pointer}/${escapePointerSegment(segment)}`));
      provenance = provenanceOf(node) ?? provenance;
    }
    return { pointer, provenance, node };
  }
}

/** Ajv's `#/properties/data/required` -> ['properties', 'data', 'required']. */
export function schemaPathSegments(schemaPath: string): string[] {
  return schemaPath
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map(unescapeSegment);
}
