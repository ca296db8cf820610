/**
 * `npm run contracts:live`: the command line of the live check (`scripts/contracts-live.ts` calls
 * `main`). The target and the key come from the environment only (DREAMCORE_BASE_URL,
 * DREAMCORE_API_KEY), never from flags, so the key stays out of shell history and process lists; it is
 * never printed and never written to a report.
 *
 * `main` takes its environment, output and (for tests) its transport and clock as arguments, and returns
 * the exit code instead of exiting, so tests run it in-process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { FetchLike, SleepFn } from '../client/dreamcore-client.js';
import { CONSUMER_TEST_COMMAND, PACT_FILE, PACT_FILE_NAME, PROJECT_ROOT } from '../consumer/pact-config.js';
import {
  EXIT,
  Redactor,
  displayUrl,
  exitCodeOf,
  formatJUnit,
  formatSummary,
  writeJUnit,
  type CheckResult,
  type LiveRun,
} from './report.js';
import { runLiveChecks } from './runner.js';
import { cassetteBeside, startRecordingProxy } from './through-proxy.js';
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
  /** Writes the pact into `dir` (default: the consumer tests); resolves with their exit code and output. */
  buildPact?: (dir: string) => Promise<{ code: number; output: string }>;
}

interface CliOptions {
  maxCredits: number;
  junit: string;
  timeoutMs: number;
  pact: string;
  referenceImageUrl?: string;
  throughProxy?: boolean;
  cassette?: string;
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
    .addOption(
      new Option(
        '--through-proxy',
        "run the checks through the simulator's proxy, recording what the live API said to a cassette",
      ),
    )
    .addOption(
      new Option(
        '--cassette <file>',
        'with --through-proxy: where the cassette goes (default: beside the JUnit file, .cassette.json)',
      ),
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

--through-proxy runs every check through the simulator's proxy (started here, in front of
DREAMCORE_BASE_URL) and records what the live API said to a cassette beside the JUnit file
(keys redacted): replay it with npm start -- --replay <cassette>.

Without the pact file (a fresh clone), it is built first with the consumer tests
(${CONSUMER_TEST_COMMAND}).

Exit codes: 0 every check passed or was skipped; 1 fail or drift; 2 refused to run (missing
environment, bad option); 3 no fail or drift, but transient problems; 4 a set-up problem (no pact
file, and it could not be built): nothing was checked.`,
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

  const pactFile = resolve(cwd, options.pact);
  if (!existsSync(pactFile)) {
    const problem = await buildMissingPact(pactFile, io.buildPact ?? consumerTests, out);
    if (problem !== undefined) {
      err(problem);
      return EXIT.setup;
    }
  }

  const junitFile = resolve(cwd, options.junit);
  const cassetteFile =
    options.throughProxy === true
      ? resolve(cwd, options.cassette ?? cassetteBeside(options.junit))
      : undefined;
  out(
    `DreamCore live contract check\n` +
      `  target:  ${displayUrl(baseUrl)}\n` +
      `  key:     [redacted] (DREAMCORE_API_KEY)\n` +
      `  budget:  ${options.maxCredits === 0 ? '0 credits: free checks only' : `at most ${options.maxCredits} credits`}\n` +
      (cassetteFile === undefined
        ? ''
        : `  through: the simulator's proxy, recording to ${displayPath(cassetteFile, PROJECT_ROOT)}\n`),
  );
  const spec = await LiveSpec.load();
  const proxy =
    cassetteFile === undefined
      ? undefined
      : await startRecordingProxy(baseUrl, cassetteFile, options.timeoutMs);
  let run: LiveRun;
  try {
    // The report names the live API, and the cassette that holds its answers, whatever carried them.
    run = { ...(await runChecks(proxy?.url ?? baseUrl)), baseUrl: baseUrl.replace(/\/+$/, '') };
    if (proxy) run.cassette = displayPath(proxy.cassette, PROJECT_ROOT);
  } finally {
    await proxy?.close();
  }
  writeJUnit(junitFile, redactor.redact(formatJUnit(run)));
  out(formatSummary(run, displayPath(junitFile, PROJECT_ROOT)));
  if (proxy)
    out(
      `Cassette: ${displayPath(proxy.cassette, PROJECT_ROOT)} (${proxy.exchanges()} exchanges, keys redacted)\n`,
    );
  return exitCodeOf(run.results);

  function runChecks(target: string) {
    return runLiveChecks(spec, {
      baseUrl: target,
      apiKey,
      maxCredits: options.maxCredits,
      timeoutMs: options.timeoutMs,
      pactFile,
      referenceImageUrl: options.referenceImageUrl,
      ...(io.fetch ? { fetch: io.fetch } : {}),
      ...(io.sleep ? { sleep: io.sleep } : {}),
      ...(io.now ? { now: io.now } : {}),
      // Progress, as each check ends (lifecycles take minutes on the live API); details in the summary.
      onResult: (result: CheckResult) => {
        if (result.outcome !== 'skipped') out(`  ${result.outcome.padEnd(9)} ${result.name}\n`);
      },
    });
  }
}

/**
 * A fresh clone has no `pacts/`: the consumer tests write it. A scheduled job must not report that as
 * drift of the live API, so the runner builds it first (into the directory it was asked to read), and
 * when that fails it stops with the set-up exit code and the command to run. Returns the message to
 * print when the pact is still missing, undefined when it is there.
 */
async function buildMissingPact(
  pactFile: string,
  build: NonNullable<LiveIo['buildPact']>,
  out: (text: string) => void,
): Promise<string | undefined> {
  const shown = displayPath(pactFile, PROJECT_ROOT);
  if (basename(pactFile) !== PACT_FILE_NAME) {
    return (
      `contracts:live cannot run: the pact file ${shown} does not exist, and the consumer tests write ` +
      `${PACT_FILE_NAME} only. Pass --pact with an existing file, or leave it out to use ` +
      `${displayPath(PACT_FILE, PROJECT_ROOT)}. Nothing was sent.\n`
    );
  }
  out(`${shown} is missing: building it with the consumer tests (${CONSUMER_TEST_COMMAND})\n`);
  const { code, output } = await build(dirname(pactFile));
  if (code === 0 && existsSync(pactFile)) return undefined;
  const tail = output.trimEnd().split('\n').slice(-15).join('\n');
  return (
    `contracts:live could not build the pact (the consumer tests exited with ${code}${
      code === 0 ? ` but wrote no ${shown}` : ''
    }):\n${tail}\n` +
    `Run ${CONSUMER_TEST_COMMAND} in ${PROJECT_ROOT}, fix what it reports, and run contracts:live again. ` +
    'Nothing was sent to the live API.\n'
  );
}

/** The consumer tests, writing the pact into `dir`; without the live API's key in their environment. */
function consumerTests(dir: string): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DREAMCORE_PACT_DIR: dir };
  delete env.DREAMCORE_API_KEY;
  const [command, ...args] = CONSUMER_TEST_COMMAND.split(' ');
  return new Promise((resolveRun) => {
    const child = spawn(command!, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => resolveRun({ code: 127, output: `${output}${error.message}` }));
    child.once('close', (code) => resolveRun({ code: code ?? 1, output }));
  });
}

function displayPath(file: string, root: string): string {
  return file.startsWith(root) ? file.slice(root.length) : file;
}
