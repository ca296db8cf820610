/**
 * The commands of `dreamcore-simulator` (cli/subcommands.ts): serve by default, `cassette ...` by its
 * module, an unknown word refused, and --help listing the commands.
 */
import { describe, expect, it } from 'vitest';
import {
  helpText,
  runSubcommand,
  serveArgs,
  SUBCOMMANDS,
  type SubcommandIo,
} from '../../mock-server/src/cli/subcommands.js';

function capture(): SubcommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

describe('the dispatch', () => {
  it.each([[[]], [['serve']], [['serve', '--port=0']], [['--port', '0']], [['--help']], [['--version']]])(
    '%j is serve',
    async (argv) => {
      expect(await runSubcommand(argv, capture())).toBeUndefined();
    },
  );

  it('serve takes the options after its name, or without it', () => {
    expect(serveArgs(['serve', '--port=0'])).toEqual(['--port=0']);
    expect(serveArgs(['--port=0'])).toEqual(['--port=0']);
    expect(serveArgs([])).toEqual([]);
  });

  it('`cassette --help` is the cassette command, from its own module', async () => {
    const io = capture();
    expect(await runSubcommand(['cassette', '--help'], io)).toBe(0);
    expect(io.out).toContain('Usage: dreamcore-simulator cassette');
    expect(io.out).toContain('to-scenario');
  });

  it('`cassette to-scenario` of a file that is not a cassette exits 2, naming the problem', async () => {
    const io = capture();
    expect(await runSubcommand(['cassette', 'to-scenario', 'package.json'], io)).toBe(2);
    expect(io.err).toMatch(/^cassette to-scenario: /);
  });

  it('an unknown command exits 2 and lists the commands', async () => {
    const io = capture();
    expect(await runSubcommand(['verdict'], io)).toBe(2);
    expect(io.err).toContain("unknown command 'verdict' (commands: serve, cassette, report, mcp;");
  });
});

describe('--help', () => {
  it('lists the options, then serve and every command', () => {
    const help = helpText();
    const flat = help.replace(/\s+/g, ' ');
    expect(help).toContain('--latency <profile>');
    expect(help).toMatch(/\nCommands:\n {2}serve \[options\]/);
    for (const { usage } of SUBCOMMANDS) expect(help).toContain(`  ${usage}`);
    expect(flat).toContain('dreamcore-simulator cassette --help');
    expect(help).not.toContain('npm run');
  });
});
