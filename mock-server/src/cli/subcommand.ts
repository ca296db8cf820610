/** What a command of `dreamcore-simulator` is (subcommands.ts lists them): a leaf, so commands import it. */
import { CommanderError, type Command } from 'commander';

export interface SubcommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Subcommand {
  name: string;
  /** What follows `dreamcore-simulator` in --help's list of commands. */
  usage: string;
  summary: string;
  load: () => Promise<{ run(argv: readonly string[], io: SubcommandIo): Promise<number> }>;
}

/**
 * Parses a command's arguments (its program set up with `exitOverride()`, so commander throws rather
 * than exits) and runs its action: the exit code `code()` gives after, 0 after `--help`, and 2 for a
 * usage error, which commander has already written.
 */
export async function parseCommand(
  program: Command,
  argv: readonly string[],
  code: () => number,
): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError)
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : 2;
    throw error;
  }
  return code();
}
