/** What a command of `dreamcore-simulator` is (subcommands.ts lists them): a leaf, so commands import it. */
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
