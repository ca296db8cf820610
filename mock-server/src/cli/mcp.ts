/**
 * `dreamcore-simulator mcp`: a Model Context Protocol server on stdio, so a coding agent that writes a
 * DreamCore client can exercise it against the simulator (tools: mcp/tools/). Alone, it starts a
 * simulator in this process (virtual clock, the dev key); with `--url` it attaches to a running one,
 * as its operator or, with a tenant's credential, inside that tenant.
 *
 * stdout carries the protocol and nothing else; every other line goes to stderr.
 * Exit codes: 0 after the client closed stdin or a SIGTERM/SIGINT; 1 when the simulator could not be
 * started or reached; 2 bad usage.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { serveMcp } from '../mcp/run.js';
import { errorText } from '../mcp/results.js';
import { parseCommand, type SubcommandIo } from './subcommand.js';

function httpUrl(value: string): string {
  const url = URL.parse(value);
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new InvalidArgumentError('The simulator is reached by an http:// or https:// URL.');
  return value;
}

const STDOUT_METHODS = ['log', 'info', 'debug'] as const;

/**
 * A stray console.log (ours or a dependency's) would corrupt the protocol: it goes to stderr while
 * the session lasts. Returns what puts the console back.
 */
function consoleToStderr(): () => void {
  const saved = STDOUT_METHODS.map((method) => [method, console[method]] as const);
  for (const method of STDOUT_METHODS) console[method] = console.error;
  return () => {
    for (const [method, original] of saved) console[method] = original;
  };
}

export async function run(argv: readonly string[], io: SubcommandIo): Promise<number> {
  let code = 0;
  const program = new Command('dreamcore-simulator mcp')
    .description(
      'Serve a Model Context Protocol server on stdio: tools for a coding agent to exercise a DreamCore ' +
        'client against the simulator (tenants, generate, task status, fault rules, the clock, the ' +
        'journal, accounts, reset, the verdict report). Without --url it starts a simulator in this ' +
        'process (virtual clock, the dev key).',
    )
    .addOption(
      new Option(
        '--url <url>',
        'attach to the simulator running at this URL instead of starting one',
      ).argParser(httpUrl),
    )
    .addOption(
      new Option(
        '--token <token>',
        "with --url: the simulator's control token (every world), or a tenant's credential (that tenant only)",
      ).env('DREAMCORE_MCP_TOKEN'),
    )
    .addHelpText(
      'after',
      '\nRegister it with an MCP client as the command `npx dreamcore-simulator mcp` (docs/guides/agents-and-mcp.md).\n',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (options: { url?: string; token?: string }) => {
      if (options.token !== undefined && options.url === undefined) {
        io.stderr('dreamcore-simulator mcp: --token goes with --url (a simulator started here needs none)\n');
        code = 2;
        return;
      }
      const restoreConsole = consoleToStderr();
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        await serveMcp(options, {
          stdin: process.stdin,
          stdout: process.stdout,
          log: (line) => io.stderr(`${line}\n`),
          stop: stop.signal,
        });
      } catch (error) {
        io.stderr(`dreamcore-simulator mcp: ${errorText(error)}\n`);
        code = 1;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        restoreConsole();
      }
    });
  // Commander writes what was wrong with the arguments (a missing flag, a value it does not know).
  return parseCommand(program, argv, () => code);
}
