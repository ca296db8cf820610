/**
 * The catalogue of outcomes a client can meet, derived, never written by hand: each operation's
 * documented responses in openapi.yaml, the task statuses its poll answer documents, and the
 * network faults the simulator can inject (qa/faults.ts). A new response in the spec is a new
 * outcome to cover, with no edit here.
 *
 * It takes the operations as `specOperations()` (http/load-spec.ts) lists them, from the parsed and
 * dereferenced document: the verdict does not import the HTTP layer, the caller hands them over.
 */
import type { OpenAPIV3 } from 'openapi-types';
import { NETWORK_FAULTS } from '../qa/faults.js';
import { faultOutcome, httpOutcome, pollOutcome } from './outcomes.js';

/** The part of a SpecOperation (http/load-spec.ts) the catalogue reads. */
export interface CatalogueOperation {
  operationId: string;
  method: string;
  /** OpenAPI path, e.g. `/api/status`. */
  path: string;
  operation: OpenAPIV3.OperationObject;
}

export interface CatalogueEntry {
  id: string;
  group: string;
  /** HTTP status of the answer; null for a network fault. */
  status: number | null;
  /** For an answered poll, the task status it read. */
  taskStatus: string | null;
  fault: string | null;
}

export interface OperationInfo {
  method: string;
  path: string;
  group: string;
}

/** Plain JSON: a server derives it once at start and passes it to every report. */
export interface OutcomeCatalogue {
  operations: Record<string, OperationInfo>;
  outcomes: CatalogueEntry[];
}

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

/**
 * The group of an operation: the last segment of its path (`/api/generate` -> `generate`), so the two
 * methods of /api/status are one group, as the rate limiter and the outcome ids treat them.
 */
export function groupOfPath(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
  const last = segments[segments.length - 1];
  if (last === undefined) throw new CatalogueError(`cannot name a group for the path "${path}"`);
  return last;
}

export function deriveCatalogue(
  operations: readonly CatalogueOperation[],
  faults: readonly string[] = NETWORK_FAULTS,
): OutcomeCatalogue {
  const byOperation: Record<string, OperationInfo> = {};
  const outcomes = new Map<string, CatalogueEntry>();
  const add = (entry: CatalogueEntry) => {
    if (!outcomes.has(entry.id)) outcomes.set(entry.id, entry);
  };
  for (const { operationId, method, path, operation } of operations) {
    const group = groupOfPath(path);
    byOperation[operationId] = { method: method.toUpperCase(), path, group };
    const statuses = Object.keys(operation.responses ?? {})
      .filter((code) => /^[1-5]\d\d$/.test(code))
      .map(Number)
      .sort((a, b) => a - b);
    for (const status of statuses) {
      const taskStatuses =
        status >= 200 && status < 300
          ? documentedTaskStatuses(operation.responses[String(status)], `${operationId} ${status}`)
          : [];
      if (taskStatuses.length === 0)
        add({ id: httpOutcome(group, status), group, status, taskStatus: null, fault: null });
      for (const taskStatus of taskStatuses)
        add({ id: pollOutcome(group, taskStatus), group, status, taskStatus, fault: null });
    }
    for (const fault of faults)
      add({ id: faultOutcome(group, fault), group, status: null, taskStatus: null, fault });
  }
  const groups = [...new Set(Object.values(byOperation).map((o) => o.group))];
  return { operations: byOperation, outcomes: [...outcomes.values()].sort(catalogueOrder(groups, faults)) };
}

/**
 * Groups in the order the spec lists them, then answers by status (a poll's task statuses in the
 * spec's order), then faults in the order given: one operation of a group may document a status its
 * sibling does not (POST /api/status's 413), and it still sorts among its group's answers.
 */
function catalogueOrder(
  groups: readonly string[],
  faults: readonly string[],
): (a: CatalogueEntry, b: CatalogueEntry) => number {
  // Array.prototype.sort is stable: a poll's task statuses keep the spec's order.
  return (a, b) => {
    return (
      groups.indexOf(a.group) - groups.indexOf(b.group) ||
      (a.status ?? 1000) - (b.status ?? 1000) ||
      faults.indexOf(a.fault ?? '') - faults.indexOf(b.fault ?? '')
    );
  };
}

/**
 * The task statuses a 2xx answer documents: the enum of `data.status` in its JSON body (the poll
 * answer's TaskRecord), or none (the generate answer has no status).
 */
function documentedTaskStatuses(
  response: OpenAPIV3.ResponseObject | OpenAPIV3.ReferenceObject | undefined,
  where: string,
): string[] {
  if (response === undefined) return [];
  if ('$ref' in response)
    throw new CatalogueError(
      `${where}: the response is a $ref; pass the operations of a dereferenced document`,
    );
  const schema = response.content?.['application/json']?.schema;
  const status = property(property(schema, 'data', where), 'status', where);
  return status?.enum?.map(String) ?? [];
}

function property(
  schema: OpenAPIV3.SchemaObject | OpenAPIV3.ReferenceObject | undefined,
  name: string,
  where: string,
): OpenAPIV3.SchemaObject | undefined {
  if (schema === undefined) return undefined;
  if ('$ref' in schema)
    throw new CatalogueError(`${where}: a schema is a $ref; pass the operations of a dereferenced document`);
  const found = schema.properties?.[name];
  if (found !== undefined && '$ref' in found)
    throw new CatalogueError(`${where}: a schema is a $ref; pass the operations of a dereferenced document`);
  return found;
}
