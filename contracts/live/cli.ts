/**
 * `npm run contracts:live`: the command line of the live check (`scripts/contracts-live.ts` calls
 * `main`). The target and the key come from the environment only (DREAMCORE_BASE_URL,
 * DREAMCORE_API_KEY), never from flags, so the key stays out of shell history and process lists; it is
 * never printed and never written to a report.
 *
 * `main` takes its environment, output and (for tests) its transport and clock as arguments, and returns
 * the exit code instead of exiting, so tests run it in-process.
 */
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { FetchLike, SleepFn } from '../client/dreamcore-client.js';
import { PACT_FILE, PROJECT_ROOT } from '../consumer/pact-config.js';
import {
  EXIT,
  Redactor,
  displayUrl,
  exitCodeOf,
  formatJUnit,
  formatSummary,
  writeJUnit,
  type CheckResult,
} from './report.js';
import { runLiveChecks } from './runner.js';
import { LiveSpec } from './spec.js';

export const DEFAULT_JUNIT_FILE = 'reports/contracts-live.junit.xml';

export interface LiveIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where relative paths (`--junit`, `--pact`) start. */
  cwd: string;
  fetch?: FetchLike;
  sleep?: SleepFn;
  now?: () => number;
}

interface CliOptions {
  maxCredits: number;
  junit: string;
  timeoutMs: number;
  pact: string;
  referenceImageUrl?: string;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = /^\d{1,12}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // Falls through to the error.
  }
  throw new InvalidArgumentError('expected an http(s) URL');
}

export function buildCommand(): Command {
  return new Command('contracts:live')
    .description(
      'Checks the live DreamCore API against openapi.yaml and the pact. By default it spends nothing:\n' +
        'only requests the provider must refuse (401, 404, 400) and the pact interactions that need no\n' +
        'provider state. With --max-credits N it also runs task lifecycles, cheapest preset first,\n' +
        'never spending more than N credits.',
    )
    .addOption(
      new Option('--max-credits <n>', 'credits the run may spend on task lifecycles (0: none)')
        .default(0)
        .argParser(wholeNumber(0)),
    )
    .addOption(
      new Option('--junit <file>', 'where to write the JUnit XML report').default(DEFAULT_JUNIT_FILE),
    )
    .addOption(
      new Option('--timeout-ms <ms>', 'how long to wait for each answer')
        .default(30_000)
        .argParser(wholeNumber(1)),
    )
    .addOption(
      new Option('--pact <file>', 'the pact file whose interactions are replayed').default(PACT_FILE),
    )
    .addOption(
      new Option(
        '--reference-image-url <url>',
        'a reference image for the edit presets (else they are skipped)',
      ).argParser(httpUrl),
    )
    .addHelpText(
      'after',
      `
Environment (required):
  DREAMCORE_BASE_URL   the API's base URL, e.g. https://seedream45ai.org
  DREAMCORE_API_KEY    the API key (never printed, never written to a report)

Outcomes: pass, drift (the API differs from openapi.yaml or the pact; marked documented or
inferred), fail (a check could not be carried out: key refused, account cannot pay), transient
(timeout, network error, 5xx, 429), skipped.

Exit codes: 0 every check passed or was skipped; 1 fail or drift; 2 refused to run (missing
environment, bad option); 3 no fail or drift, but transient problems.`,
    );
}

export async function main(argv: readonly string[], io: Partial<LiveIo> = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const cwd = io.cwd ?? process.cwd();
  const apiKey = env.DREAMCORE_API_KEY ?? '';
  // Everything printed goes through the redactor, whatever its origin (a provider echoing the key).
  const redactor = new Redactor(apiKey);
  const out = (text: string) => stdout(redactor.redact(text));
  const err = (text: string) => stderr(redactor.redact(text));

  const command = buildCommand().exitOverride().configureOutput({ writeOut: out, writeErr: err });
  let options: CliOptions;
  try {
    command.parse([...argv], { from: 'user' });
    options = command.opts<CliOptions>();
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      err('Run with --help to list the options.\n');
      return EXIT.refused;
    }
    throw error;
  }

  const baseUrl = env.DREAMCORE_BASE_URL ?? '';
  const missing = [baseUrl === '' && 'DREAMCORE_BASE_URL', apiKey === '' && 'DREAMCORE_API_KEY'].filter(
    Boolean,
  );
  if (missing.length > 0) {
    err(
      `contracts:live refuses to run: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set.\n` +
        'Set DREAMCORE_BASE_URL to the API (e.g. https://seedream45ai.org) and DREAMCORE_API_KEY to a key,\n' +
        'in the environment (a CI secret), not on the command line. Nothing was sent.\n',
    );
    return EXIT.refused;
  }
  try {
    httpUrl(baseUrl);
  } catch {
    err(`contracts:live refuses to run: DREAMCORE_BASE_URL is not an http(s) URL. Nothing was sent.\n`);
    return EXIT.refused;
  }

  const junitFile = resolve(cwd, options.junit);
  out(
    `DreamCore live contract check\n` +
      `  target:  ${displayUrl(baseUrl)}\n` +
      `  key:     [redacted] (DREAMCORE_API_KEY)\n` +
      `  budget:  ${options.maxCredits === 0 ? '0 credits: free checks only' : `at most ${options.maxCredits} credits`}\n`,
  );
  const spec = await LiveSpec.load();
  const run = await runLiveChecks(spec, {
    baseUrl,
    apiKey,
    maxCredits: options.maxCredits,
    timeoutMs: options.timeoutMs,
    pactFile: resolve(cwd, options.pact),
    referenceImageUrl: options.referenceImageUrl,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.sleep ? { sleep: io.sleep } : {}),
    ...(io.now ? { now: io.now } : {}),
    // Progress, as each check ends (lifecycles take minutes on the live API); details in the summary.
    onResult: (result: CheckResult) => {
      if (result.outcome !== 'skipped') out(`  ${result.outcome.padEnd(9)} ${result.name}\n`);
    },
  });
  writeJUnit(junitFile, redactor.redact(formatJUnit(run)));
  out(formatSummary(run, displayPath(junitFile, PROJECT_ROOT)));
  return exitCodeOf(run.results);
}

function displayPath(file: string, root: string): string {
  return file.startsWith(root) ? file.slice(root.length) : file;
}
