/**
 * `npm run cassette -- <command>`: the same as `dreamcore-simulator cassette <command>`, whose code is
 * mock-server/src/cli/cassette.ts (it ships in the package); run from the sources, so no build first.
 */
import { run } from '../mock-server/src/cli/cassette.js';

export async function main(
  argv: readonly string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void } = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  },
): Promise<number> {
  return run(argv, io);
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
