/**
 * The MCP server (Model Context Protocol): tools with which a coding agent that writes a DreamCore
 * client exercises it against the simulator: worlds of its own, tasks, fault rules, the clock, the
 * journal and the verdict. Transport-free: run.ts serves it over stdio, tests over memory.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { packageVersion } from '../config/command.js';
import { redactKey } from '../domain/keys.js';
import { loadSpecDocs, type SpecDocs } from './spec-schemas.js';
import type { ToolContext } from './tools/common.js';
import { registerFaultTools } from './tools/faults.js';
import { registerObserveTools } from './tools/observe.js';
import { registerTaskTools } from './tools/tasks.js';
import { registerWorldTools } from './tools/worlds.js';
import type { Worlds } from './worlds.js';

function instructions(worlds: Worlds): string {
  const { home, attachment } = worlds;
  const where =
    attachment.kind === 'embedded'
      ? `a simulator started for this session at ${worlds.url}, on a virtual clock, with the dev key ` +
        `${home.keys[0]?.apiKey ?? ''}`
      : attachment.kind === 'tenant'
        ? `the tenant ${home.id} of the simulator at ${worlds.url} (its credential: every tool acts there)`
        : `the default world of the simulator at ${worlds.url}`;
  return [
    `DreamCore simulator: a stand-in for the DreamCore image-generation API (POST /api/generate, GET /api/status), with the means to make it misbehave. These tools act on ${where}.`,
    'To exercise a DreamCore client: create_tenant for a world of your own (clock virtual, a seed), point the client at the URL with one of its keys, add_fault_rule for the bad day to test (a 500, a 429 with Retry-After, a reset connection, a task that fails), run the client, advance_clock to move its renders on, then read_journal and read_report to see what it did and whether it behaved.',
    'generate and get_task_status make the requests themselves, as a client would, to try the API by hand.',
  ].join('\n\n');
}

export async function createMcpServer(worlds: Worlds, docs?: SpecDocs): Promise<McpServer> {
  const server = new McpServer(
    { name: 'dreamcore-simulator', version: packageVersion() },
    { instructions: instructions(worlds) },
  );
  const context: ToolContext = { server, worlds, docs: docs ?? (await loadSpecDocs()) };
  registerWorldTools(context);
  registerTaskTools(context);
  registerFaultTools(context);
  registerObserveTools(context);
  return server;
}

/** One line for the log (stderr): where the tools act, no secret. */
export function attachedTo(worlds: Worlds): string {
  const { home, attachment } = worlds;
  if (attachment.kind === 'embedded') {
    const key = home.keys[0] ? `, key ${redactKey(home.keys[0].apiKey)}` : '';
    return `an embedded simulator at ${worlds.url} (virtual clock${key})`;
  }
  return attachment.kind === 'tenant'
    ? `the tenant ${home.id} at ${worlds.url}`
    : `the simulator at ${worlds.url} (default world)`;
}
