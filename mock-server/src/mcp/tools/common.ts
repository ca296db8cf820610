/** What every tool module gets, and the arguments many tools share. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { component, type SpecDocs } from '../spec-schemas.js';
import type { Worlds } from '../worlds.js';

export interface ToolContext {
  server: McpServer;
  worlds: Worlds;
  docs: SpecDocs;
}

/** `tenant`: which world a tool acts in. */
export function tenantArg(docs: SpecDocs): z.ZodType<string | undefined> {
  return component(docs.control, 'TenantId')
    .optional()
    .describe(
      "A tenant's id from create_tenant: the tool acts in that tenant. Omit it for the world this server " +
        'is attached to (the default world of the simulator, or the tenant of its credential).',
    ) as z.ZodType<string | undefined>;
}

/** `key`: which API key a tool acts with. */
export const keyArg = z
  .string()
  .min(1)
  .max(512)
  .optional()
  .describe(
    "An API key of the world. Default: the key that created the task (for a poll), else the world's first " +
      'key (the dev key of an embedded simulator, the first key of a tenant this server created).',
  );

/**
 * A schema made from the spec at run time, given the type generated from the same YAML: what zod
 * parsed is that type (test/mcp holds the two to one another).
 */
export function typed<T>(schema: z.ZodObject): z.ZodType<T> {
  return schema as unknown as z.ZodType<T>;
}

/** The hints every tool gives: it reaches the simulator only, never the wider world. */
export const CLOSED_WORLD = { openWorldHint: false } as const;
