/**
 * Checks a pact against `openapi.yaml`: the consumer's expectations must be answers the spec allows,
 * otherwise the provider can pass verification only by breaking the spec (or the spec is wrong).
 *
 * The work is done by @pactflow/openapi-pact-comparator (paths, methods, query, headers, security,
 * request and response bodies against their schemas). Two gaps of the comparator are filled here:
 * - it reports a V4 interaction's state as "[none]" (it reads the V2 `providerState` field), so findings
 *   are labelled with the interaction's `providerStates` from the pact itself;
 * - it validates the response headers that are present but never reports a required one that is absent
 *   (`Retry-After` on 429 is `required: true`), so that check is added (`response.header.missing`).
 */
import { readFileSync } from 'node:fs';
import * as comparatorModule from '@pactflow/openapi-pact-comparator';
import type { OpenAPIV3 } from 'openapi-types';
import { parse } from 'yaml';

/**
 * The comparator's shapes, restated from its `dist/src/compare/index.d.ts` and `dist/src/results/index.d.ts`
 * (2.3): its declarations do not resolve under `"module": "NodeNext"` (the ESM `index.d.ts` re-exports
 * `./compare` without an extension, and its `imports` map sends `#documents/...` to `src/*.ts` files the
 * package does not ship), so TypeScript sees a module without exports.
 */
interface ComparatorResult {
  code: string;
  message: string;
  mockDetails?: {
    interactionDescription?: string | null;
    interactionState?: string | null;
    location: string;
    value: unknown;
  };
  specDetails?: {
    location: string;
    pathMethod?: string | null;
    pathName?: string | null;
    value: unknown;
  };
  type: 'error' | 'warning';
}

/** A pact as the comparator reads it: `metadata` and `interactions` (V1 to V4 shapes). */
export interface PactDocument {
  metadata?: { pactSpecification?: { version: string } } & Record<string, unknown>;
  interactions: unknown[];
}

interface ComparatorInstance {
  compare(pact: PactDocument): AsyncGenerator<ComparatorResult>;
}

/** Since 2.0 the documents come in an options object (`asyncapi` beside `oas`); a bare OAS is ignored. */
const { Comparator } = comparatorModule as unknown as {
  Comparator: new (options: { oas: OpenAPIV3.Document }) => ComparatorInstance;
};

/** The parts of a V4 pact interaction this check reads (the comparator's own type is V2-shaped). */
export interface PactInteraction {
  type?: string;
  description?: string;
  providerStates?: { name: string; params?: Record<string, unknown> }[];
  request: { method: string; path: string; headers?: Record<string, string[] | string> };
  response: { status: number; headers?: Record<string, string[] | string> };
}

export interface Finding {
  type: 'error' | 'warning';
  code: string;
  message: string;
  /** The interaction's description. */
  interaction: string;
  /** Its provider states, `name {params}` joined. */
  states: string;
  /** Where in the pact and in the spec, as the comparator says. */
  pactLocation: string | undefined;
  specLocation: string | undefined;
  value: unknown;
}

export function loadOpenApi(file: string): OpenAPIV3.Document {
  return parse(readFileSync(file, 'utf8')) as OpenAPIV3.Document;
}

/** A pact file as written by pact-js, its interactions typed as far as this check reads them. */
export type PactFile = Omit<PactDocument, 'interactions'> & { interactions: PactInteraction[] };

export function loadPact(file: string): PactFile {
  return JSON.parse(readFileSync(file, 'utf8')) as PactFile;
}

function isHttpInteraction(interaction: PactInteraction): boolean {
  return !interaction.type || interaction.type.toLowerCase() === 'synchronous/http';
}

function describeStates(interaction: PactInteraction | undefined): string {
  const states = interaction?.providerStates ?? [];
  if (states.length === 0) return '[no provider state]';
  return states.map((s) => `${s.name} ${JSON.stringify(s.params ?? {})}`).join(' + ');
}

/** `[root].interactions[3].response.body...` -> 3 */
function interactionIndex(location: string | undefined): number | undefined {
  const match = /^\[root\]\.interactions\[(\d+)\]/.exec(location ?? '');
  return match ? Number(match[1]) : undefined;
}

function resolve<T>(oas: OpenAPIV3.Document, value: T | OpenAPIV3.ReferenceObject): T {
  let current: unknown = value;
  for (let depth = 0; depth < 20; depth++) {
    if (typeof current !== 'object' || current === null || !('$ref' in current)) return current as T;
    const ref = (current as OpenAPIV3.ReferenceObject).$ref;
    if (!ref.startsWith('#/')) throw new Error(`External $ref not supported: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], oas);
  }
  throw new Error('$ref chain too deep');
}

/** Required response headers of the spec's response for this interaction that the pact does not expect. */
function missingRequiredHeaders(
  oas: OpenAPIV3.Document,
  interaction: PactInteraction,
  index: number,
): Finding[] {
  const pathItem = oas.paths[interaction.request.path];
  const method = interaction.request.method.toLowerCase() as OpenAPIV3.HttpMethods;
  const operation = pathItem?.[method];
  const responseOrRef =
    operation?.responses[String(interaction.response.status)] ??
    operation?.responses[`${Math.floor(interaction.response.status / 100)}XX`] ??
    operation?.responses.default;
  // An unknown path, method or status is the comparator's to report.
  if (!responseOrRef) return [];
  const response = resolve<OpenAPIV3.ResponseObject>(oas, responseOrRef);
  const present = new Set(Object.keys(interaction.response.headers ?? {}).map((h) => h.toLowerCase()));
  const findings: Finding[] = [];
  for (const [name, headerOrRef] of Object.entries(response.headers ?? {})) {
    const header = resolve<OpenAPIV3.HeaderObject>(oas, headerOrRef);
    if (header.required && !present.has(name.toLowerCase())) {
      findings.push({
        type: 'error',
        code: 'response.header.missing',
        message: `Response header ${name} is required by the spec file but the pact does not expect it`,
        interaction: interaction.description ?? '[no description]',
        states: describeStates(interaction),
        pactLocation: `[root].interactions[${index}].response.headers`,
        specLocation: `[root].paths.${interaction.request.path}.${method}.responses.${interaction.response.status}.headers.${name}`,
        value: interaction.response.headers ?? {},
      });
    }
  }
  return findings;
}

/** Every finding, errors and warnings, for every HTTP interaction of `pact`. */
export async function comparePactWithSpec(oas: OpenAPIV3.Document, pact: PactDocument): Promise<Finding[]> {
  // A fresh Comparator per call: it caches the router and the compiled schemas of one document.
  const comparator = new Comparator({ oas });
  // The comparator skips non-HTTP interactions (messages) and numbers the rest: index the same list.
  const interactions = (pact.interactions as PactInteraction[]).filter(isHttpInteraction);
  const findings: Finding[] = [];
  for await (const result of comparator.compare(pact)) {
    const index = interactionIndex(result.mockDetails?.location);
    const interaction = index === undefined ? undefined : interactions[index];
    findings.push({
      type: result.type,
      code: result.code,
      message: result.message,
      interaction:
        result.mockDetails?.interactionDescription ?? interaction?.description ?? '[unknown interaction]',
      states: describeStates(interaction),
      pactLocation: result.mockDetails?.location,
      specLocation: result.specDetails?.location,
      value: result.mockDetails?.value,
    });
  }
  interactions.forEach((interaction, index) => {
    findings.push(...missingRequiredHeaders(oas, interaction, index));
  });
  return findings;
}

/** One readable paragraph per finding: which interaction, under which states, what and where. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map(
      (f) =>
        `[${f.type}] ${f.code} in interaction "${f.interaction}" (given ${f.states}):\n` +
        `  ${f.message}\n` +
        `  pact: ${f.pactLocation ?? '?'} = ${JSON.stringify(f.value)}\n` +
        `  spec: ${f.specLocation ?? '?'}`,
    )
    .join('\n');
}
