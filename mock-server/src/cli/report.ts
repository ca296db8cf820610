/**
 * `dreamcore-simulator report --url <simulator>`: the verdict on the client under test, for a CI job
 * to run after its client's tests, as the gate.
 *
 *   report --url <url> [--token <token>] [--tenant <id>] [--format json|junit|text]
 *          [--fail-on error|warning] [--out <file>]
 *
 * Reads GET /__mock/report (the world of the token: a tenant credential's own tenant, or for the
 * operator the default world or `--tenant`), writes it in the format asked (to stdout, or `--out`),
 * and a one-line summary to stderr.
 *
 * Exit codes: 0 no finding of `--fail-on`'s severity or worse; 1 there are; 2 bad usage, a simulator
 * that cannot be reached or that refuses (a wrong token, the verdict off).
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '../../../generated/control-api.js';
import { failingFindings, type FindingsOptions } from '../verdict/assert.js';
import { renderJUnit } from '../verdict/render-junit.js';
import { renderText } from '../verdict/render-text.js';
import { parseCommand, type SubcommandIo } from './subcommand.js';

type VerdictReport = components['schemas']['VerdictReport'];

/** The exit codes, as the module comment says. */
export const EXIT = { passed: 0, findings: 1, usage: 2 } as const;

interface ReportOptions {
  url: string;
  token?: string;
  tenant?: string;
  format: 'json' | 'junit' | 'text';
  failOn: NonNullable<FindingsOptions['failOn']>;
  out?: string;
  timeoutMs: number;
}

export async function run(argv: readonly string[], io: SubcommandIo): Promise<number> {
  let code: number = EXIT.usage;
  const program = new Command('dreamcore-simulator report')
    .description(
      "The verdict on the client under test (GET /__mock/report): exits 1 when it broke a rule of --fail-on's severity or worse.",
    )
    .requiredOption('--url <url>', 'the simulator, e.g. http://localhost:4010')
    .option(
      '--token <token>',
      "a tenant credential (its tenant's report), or the control token (the default world's, or --tenant's)",
    )
    .option('--tenant <id>', "with the control token: the tenant's report")
    .addOption(
      new Option('--format <format>', 'what to write: the report as JSON, JUnit XML for a CI server, or text')
        .choices(['json', 'junit', 'text'])
        .default('text'),
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 on findings of this severity or worse (warning: any)')
        .choices(['error', 'warning'])
        .default('warning'),
    )
    .option('--out <file>', 'write the report to this file (default: stdout)')
    .addOption(
      new Option('--timeout-ms <ms>', 'how long to wait for the simulator')
        .default(30_000)
        .argParser((value) => {
          const ms = Number(value);
          if (!Number.isSafeInteger(ms) || ms <= 0)
            throw new InvalidArgumentError('Expected a whole number of ms.');
          return ms;
        }),
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (options: ReportOptions) => {
      code = await report(options, io);
    });
  // Commander writes what was wrong with the arguments (a missing flag, a value it does not know).
  return parseCommand(program, argv, () => code);
}

async function report(options: ReportOptions, io: SubcommandIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`dreamcore-simulator report: ${message}\n`);
    return EXIT.usage;
  };
  let endpoint: URL;
  try {
    endpoint = new URL('__mock/report', options.url.replace(/\/*$/, '/'));
  } catch {
    return fail(`--url ${JSON.stringify(options.url)} is not a URL (e.g. http://localhost:4010)`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
    return fail(`--url must be http or https, not ${endpoint.protocol}`);

  let answer: Response;
  try {
    answer = await fetch(endpoint, {
      headers: {
        Accept: 'application/json',
        ...(options.token ? { 'X-Mock-Token': options.token } : {}),
        ...(options.tenant ? { 'X-Mock-Tenant': options.tenant } : {}),
      },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return fail(`cannot reach the simulator at ${endpoint.origin} (${cause})`);
  }
  const body = (await answer.json().catch(() => undefined)) as
    { data?: VerdictReport; message?: string } | undefined;
  if (!answer.ok || body?.data === undefined) {
    const why = body?.message ?? `HTTP ${answer.status}`;
    return fail(`the simulator answered ${answer.status}: ${why}`);
  }
  const verdict = body.data;

  const text =
    options.format === 'json'
      ? `${JSON.stringify(verdict, null, 2)}\n`
      : options.format === 'junit'
        ? renderJUnit(verdict, { failOn: options.failOn })
        : renderText(verdict);
  if (options.out) writeFileSync(options.out, text);
  else io.stdout(text);

  const failing = failingFindings(verdict, { failOn: options.failOn });
  const { errors, warnings } = verdict.summary;
  io.stderr(
    `verdict for world ${verdict.world}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` +
      ` (failing on ${options.failOn}: ${failing.length === 0 ? 'passed' : `${failing.map((f) => f.rule).join(', ')}`})` +
      `${options.out ? `; written to ${options.out}` : ''}\n`,
  );
  return failing.length === 0 ? EXIT.passed : EXIT.findings;
}
