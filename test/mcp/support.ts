/** An MCP session for tests: the SDK's own Client, over memory, against the server on some worlds. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../mock-server/src/mcp/server.js';
import { Worlds, type Attachment } from '../../mock-server/src/mcp/worlds.js';

export interface Session extends AsyncDisposable {
  client: Client;
  worlds: Worlds;
  /** Calls a tool; the result as the client got it (already checked against the output schema). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool that must succeed: its structured result. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export async function openSession(attachment: Attachment = { kind: 'embedded' }): Promise<Session> {
  const worlds = await Worlds.open(attachment);
  const server = await createMcpServer(worlds);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'dreamcore-mcp-test', version: '0.0.0' });
  await client.connect(clientSide);
  await client.listTools(); // the client learns the output schemas it checks results against
  let closed = false;
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    worlds,
    call,
    async ok<T>(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
      return result.structuredContent as T;
    },
    async [Symbol.asyncDispose]() {
      if (closed) return;
      closed = true;
      await client.close();
      await server.close();
      await worlds.close();
    },
  };
}
