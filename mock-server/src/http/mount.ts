/**
 * Binds handlers to the spec's operations: the routes come from the document's paths and
 * operationIds, never from strings written here. The handler map is typed by the operationIds the
 * spec generates, so a missing handler fails the type check, and one without an operation fails here.
 */
import type { Router, RequestHandler } from 'express';
import type { SpecOperation } from './load-spec.js';

export function mountOperations<Id extends string>(
  router: Router,
  operations: readonly SpecOperation[],
  handlers: Readonly<Record<Id, RequestHandler>>,
  /** Middleware that runs on each operation's own route before its handler (its validators). */
  before: (op: SpecOperation) => readonly RequestHandler[] = () => [],
): void {
  const unused = new Set<string>(Object.keys(handlers));
  for (const op of operations) {
    const handler = (handlers as Record<string, RequestHandler>)[op.operationId];
    if (!handler)
      throw new Error(`No handler for operation ${op.operationId} (${op.method.toUpperCase()} ${op.path})`);
    unused.delete(op.operationId);
    router[op.method](op.expressPath, ...before(op), handler);
  }
  if (unused.size > 0)
    throw new Error(`Handlers without an operation in the spec: ${[...unused].join(', ')}`);
}

/** Each distinct Express path of `operations`, for middleware that applies to every method of a route. */
export function routePaths(operations: readonly SpecOperation[]): string[] {
  return [...new Set(operations.map((op) => op.expressPath))];
}
