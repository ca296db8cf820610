/**
 * One MCP session over stdio: open the worlds (start a simulator, or attach to one), serve the tools
 * on stdin/stdout until the client closes stdin or `stop` aborts, then drop the tenants made and stop
 * what was started. stdout carries the protocol only: anything said goes to `log` (stderr).
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { attachedTo, createMcpServer } from './server.js';
import { attachmentOf, Worlds } from './worlds.js';

export interface McpOptions {
  /** A running simulator to attach to; absent: one is started in this process. */
  url?: string;
  /** With `url`: the operator's control token, or a tenant's credential. */
  token?: string;
}

export interface McpIo {
  stdin: Readable;
  stdout: Writable;
  log: (line: string) => void;
  /** Ends the session (SIGTERM, SIGINT). */
  stop: AbortSignal;
}

export async function serveMcp(options: McpOptions, io: McpIo): Promise<void> {
  const attachment = options.url
    ? await attachmentOf(options.url, options.token)
    : { kind: 'embedded' as const };
  const worlds = await Worlds.open(attachment);
  try {
    const server = await createMcpServer(worlds);
    const transport = new StdioServerTransport(io.stdin, io.stdout);
    const ended = new Promise<string>((resolve) => {
      io.stdin.once('end', () => resolve('stdin closed'));
      io.stop.addEventListener('abort', () => resolve(String(io.stop.reason ?? 'stopped')), { once: true });
      server.server.onclose = () => resolve('transport closed');
      if (io.stop.aborted) resolve(String(io.stop.reason ?? 'stopped'));
    });
    transport.onerror = (error) => io.log(`dreamcore-simulator mcp: ${error.message}`);
    await server.connect(transport);
    io.log(`dreamcore-simulator mcp: serving the tools on stdio, acting on ${attachedTo(worlds)}`);
    const why = await ended;
    io.log(`dreamcore-simulator mcp: ${why}; stopping`);
    await server.close();
  } finally {
    await worlds.close();
  }
}
