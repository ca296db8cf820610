/**
 * What a tool answers: a short summary for the agent to read, the structured result its output schema
 * describes (also as JSON text, which the MCP spec asks of a tool with structured output, for clients
 * that read text only), or an MCP tool error that carries the API's own message.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BadRequestError, DreamCoreError } from '../../../contracts/client/errors.js';
import { ControlApiError } from '../embed/control-client.js';

export function answer(summary: string, structured: object): CallToolResult {
  return {
    content: [
      { type: 'text', text: summary },
      { type: 'text', text: JSON.stringify(structured, null, 2) },
    ],
    structuredContent: structured as Record<string, unknown>,
  };
}

/** The error's text, naming the answer's status and type as the API gave them. */
export function errorText(error: unknown): string {
  if (error instanceof ControlApiError) return `The control API answered ${error.message}`;
  if (error instanceof DreamCoreError) {
    const fields =
      error instanceof BadRequestError && error.fieldErrors.length > 0
        ? ` (${error.fieldErrors.map((f) => `${f.field}: ${f.message}`).join('; ')})`
        : '';
    if (error.status === null) return `The request got no answer (${error.type}): ${error.message}`;
    return `The API answered ${error.status} ${error.type}: ${error.message}${fields}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function toolError(error: unknown): CallToolResult {
  return { content: [{ type: 'text', text: errorText(error) }], isError: true };
}

/** Runs a tool's work; whatever it throws becomes a tool error the agent can read and act on. */
export async function guarded(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return toolError(error);
  }
}
