/**
 * The real `dreamcore-simulator mcp` process (the built bin, dist/ built once for the run by
 * test/support/build-once.ts), over stdio: the SDK's client lists its tools and makes a task; stdout
 * carries the protocol only, the log goes to stderr; it stops on SIGTERM (sent to its pid) and when
 * its client closes stdin. And its command line: --help, and the usage it refuses.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { runSubcommand, type SubcommandIo } from '../../mock-server/src/cli/subcommands.js';
import { isRunning, waitFor } from '../support/process-tools.js';
import { ROOT } from '../support/spec-walk.js';

const BIN = join(ROOT, 'dist', 'mock-server', 'src', 'bin.js');

function capture(): SubcommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

describe('the dreamcore-simulator mcp process', () => {
  it('lists its tools and makes a task over stdio, logs on stderr only, and stops on SIGTERM', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      cwd: ROOT,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'dreamcore-mcp-stdio-test', version: '0.0.0' });
    const protocolErrors: Error[] = [];
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
    const pid = transport.pid;
    expect(pid).toBeTypeOf('number');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'create_tenant',
          'generate',
          'get_task_status',
          'add_fault_rule',
          'read_journal',
        ]),
      );
      const made = await client.callTool({
        name: 'generate',
        arguments: { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' },
      });
      expect(made.isError).toBeFalsy();
      expect(made.structuredContent).toMatchObject({ task_id: expect.stringMatching(/^sd45_/) });
    } finally {
      process.kill(pid!, 'SIGTERM');
      await waitFor(() => !isRunning(pid!), 'the mcp process to exit after SIGTERM');
      await client.close();
    }
    // Anything but the protocol on stdout would have been a parse error here.
    expect(protocolErrors).toEqual([]);
    expect(stderr).toMatch(
      /serving the tools on stdio, acting on an embedded simulator at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(stderr).toContain('SIGTERM; stopping');
  });

  it('exits 0 when its client closes stdin', async () => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => stderr.includes('serving the tools'), 'the mcp process to start');
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      if (child.pid !== undefined && isRunning(child.pid)) child.kill('SIGKILL');
    }
    expect(stderr).toContain('stdin closed; stopping');
    expect(stdout).toBe('');
  });
});

describe('dreamcore-simulator mcp, its command line', () => {
  it('--help documents the flags and how to register it', async () => {
    const io = capture();
    expect(await runSubcommand(['mcp', '--help'], io)).toBe(0);
    expect(io.out).toContain('Usage: dreamcore-simulator mcp [options]');
    expect(io.out).toContain('--url <url>');
    expect(io.out).toContain('--token <token>');
    expect(io.out).toContain('DREAMCORE_MCP_TOKEN');
    expect(io.out).toContain('npx dreamcore-simulator mcp');
  });

  it.each([
    [['--token', 'dct_x'], /--token goes with --url/],
    [['--url', 'ftp://example.com'], /http:\/\/ or https:\/\//],
    [['--port', '1'], /unknown option '--port'/],
  ])('refuses %j with exit code 2', async (argv, message) => {
    const io = capture();
    expect(await runSubcommand(['mcp', ...argv], io)).toBe(2);
    expect(io.err).toMatch(message);
  });

  it('exits 1, saying why, when the simulator at --url cannot be reached', async () => {
    const io = capture();
    // A port nothing listens on: bound, then released.
    const { createServer } = await import('node:net');
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    expect(await runSubcommand(['mcp', '--url', `http://127.0.0.1:${port}`], io)).toBe(1);
    expect(io.err).toBe(
      `dreamcore-simulator mcp: No simulator answered at http://127.0.0.1:${port} (ECONNREFUSED)\n`,
    );
  });
});
