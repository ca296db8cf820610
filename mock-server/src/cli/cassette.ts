/**
 * `dreamcore-simulator cassette <command>` (and `npm run cassette -- <command>`): what to do with a
 * cassette recorded by the proxy (`--record`).
 *
 *   to-scenario <cassette> [--out <file>] [--timing clock|polls] [--no-delays]
 *     The recorded session as fault rules (a scenario): load it with `--scenario <file>` or
 *     `POST /__mock/scenario`, and the simulator answers what was recorded, offline, forever.
 *
 * Exit codes: 0 done; 2 bad usage or a file that is not a cassette.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { readCassette } from '../cassette/cassette.js';
import { cassetteToScenario } from '../cassette/to-scenario.js';
import { API_SPEC_PATH, loadSpec, specOperations } from '../http/load-spec.js';
import { ruleStatusChecker } from '../qa/rule-checks.js';
import { parseCommand, type SubcommandIo } from './subcommand.js';

export async function run(argv: readonly string[], io: SubcommandIo): Promise<number> {
  let code = 0;
  const program = new Command('dreamcore-simulator cassette')
    .description('Work with cassettes recorded by the simulator in proxy mode (--record).')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program
    .command('to-scenario')
    .description('turn a cassette into fault rules the simulator loads with --scenario <file>')
    .argument('<cassette>', 'a cassette written by --record')
    .option('--out <file>', 'where to write the scenario (default: stdout)')
    .addOption(
      new Option('--timing <timing>', 'clock: recorded durations; polls: the number of polls each task took')
        .choices(['clock', 'polls'])
        .default('clock'),
    )
    .option('--no-delays', 'do not hold answers for their recorded time (1 ms placeholders only)')
    .action(async (file: string, options: { out?: string; timing: 'clock' | 'polls'; delays: boolean }) => {
      let cassette;
      try {
        cassette = await readCassette(file);
      } catch (error) {
        io.stderr(`cassette to-scenario: ${(error as Error).message}\n`);
        code = 2;
        return;
      }
      const scenario = cassetteToScenario(cassette, {
        timing: options.timing,
        delays: options.delays,
        ruleStatuses: ruleStatusChecker(specOperations(await loadSpec(API_SPEC_PATH))),
        cassetteName: basename(file),
      });
      const text = `${JSON.stringify(scenario, null, 2)}\n`;
      if (options.out) writeFileSync(options.out, text);
      else io.stdout(text);
      io.stderr(
        `${scenario.rules.length} rules from ${cassette.exchanges.length} exchanges` +
          `${options.out ? ` written to ${options.out}` : ''}; load them with --scenario <file> or POST /__mock/scenario\n`,
      );
      for (const note of scenario.notes ?? []) io.stderr(`  note: ${note}\n`);
    });
  // Commander writes what was wrong with the arguments (a missing flag, a value it does not know).
  return parseCommand(program, argv, () => code);
}
