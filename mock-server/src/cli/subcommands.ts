/**
 * The commands of `dreamcore-simulator` (bin.ts, main.ts): `serve`, the default, starts the simulator;
 * each other command is a module of this folder, loaded only when its name is the first argument, so
 * a start never loads it.
 *
 * To add a command (say `report`):
 *   1. write `cli/report.ts` exporting `run(argv, io): Promise<number>` (`io`'s type from
 *      cli/subcommand.ts, never from this file, which imports the commands): `argv` is what follows the
 *      command's name, `io` where to write, the result its exit code (0 done, 2 bad usage). Parse
 *      `argv` with a commander Command named `dreamcore-simulator report`, with `exitOverride()`, as
 *      cli/cassette.ts does, so `dreamcore-simulator report --help` works;
 *   2. add `{ name: 'report', usage: ..., summary: ..., load: () => import('./report.js') }` to
 *      SUBCOMMANDS below. `dreamcore-simulator --help` lists it, and the dispatch finds it.
 */
import { buildCommand } from '../config/command.js';

import type { Subcommand, SubcommandIo } from './subcommand.js';

export type { Subcommand, SubcommandIo };

export const SUBCOMMANDS: readonly Subcommand[] = [
  {
    name: 'cassette',
    usage: 'cassette <command>',
    summary: 'work with cassettes recorded by --record: to-scenario (dreamcore-simulator cassette --help)',
    load: () => import('./cassette.js'),
  },
  {
    name: 'report',
    usage: 'report [options]',
    summary:
      'the verdict on the client under test at --url; exits 1 when it broke a rule: a CI gate (dreamcore-simulator report --help)',
    load: () => import('./report.js'),
  },
  {
    name: 'mcp',
    usage: 'mcp [options]',
    summary:
      'serve MCP tools on stdio, for a coding agent to exercise a DreamCore client (dreamcore-simulator mcp --help)',
    load: () => import('./mcp.js'),
  },
];

const SERVE = 'serve';

const processIo: SubcommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Runs the command `argv` names, when it names one other than serve.
 * @returns its exit code, or undefined when `argv` is serve's (then `serveArgs(argv)` are its options)
 */
export async function runSubcommand(
  argv: readonly string[],
  io: SubcommandIo = processIo,
): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === undefined || first === SERVE || first.startsWith('-')) return undefined;
  const subcommand = SUBCOMMANDS.find((s) => s.name === first);
  if (subcommand) return (await subcommand.load()).run(rest, io);
  const names = [SERVE, ...SUBCOMMANDS.map((s) => s.name)].join(', ');
  io.stderr(`dreamcore-simulator: unknown command '${first}' (commands: ${names}; options start with --)\n`);
  io.stderr('Run with --help for the commands and the options.\n');
  return 2;
}

/** The options of serve: `argv` without the word `serve`, when it was written. */
export function serveArgs(argv: readonly string[]): string[] {
  return argv[0] === SERVE ? argv.slice(1) : [...argv];
}

/** `dreamcore-simulator --help`: serve's options, grouped, then the commands. */
export function helpText(): string {
  const program = buildCommand().helpCommand(false);
  program.command(`${SERVE} [options]`).description('start the simulator (the default: no command needed)');
  for (const subcommand of SUBCOMMANDS) program.command(subcommand.usage).description(subcommand.summary);
  return program.helpInformation();
}
