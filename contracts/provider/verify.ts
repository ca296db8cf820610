/**
 * Runs pact-js's `Verifier` over the pact file against a provider and turns its result into something a
 * test can assert on and a human can read: which interaction failed, at which path or header, and how.
 *
 * pact-js resolves `verifyProvider()` with the verifier's JSON report and rejects a failed verification
 * with an Error whose message is that same JSON; both are parsed here, so a failure reads
 * `"<interaction>" (given <states>): $.data: Actual map is missing the following keys: task_id`, not a bare
 * "Verification unsuccessful".
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PACT_FILE, PROJECT_ROOT } from '../consumer/pact-config.js';
import type { StateError } from './state-handlers.js';
import type { VerifyProcessAnswer, VerifyProcessOptions } from './verify-process.js';

/** One mismatch as the Rust verifier reports it (the fields present depend on `type`). */
export interface Mismatch {
  type: string;
  path?: string;
  key?: string;
  mismatch?: string;
  expected?: unknown;
  actual?: unknown;
}

export interface VerificationResults {
  result: boolean;
  errors: Array<{
    interaction: string;
    mismatch: { type: string; mismatches?: Mismatch[]; message?: string };
  }>;
  interactionResults: Array<{ description: string; result: string; duration?: string }>;
  output: string[];
}

export interface Verification {
  ok: boolean;
  results: VerificationResults;
  /** One line per mismatch, `"<interaction>" (given <states>): <where>: <what>`; empty when all passed. */
  report: string;
  /** What the state handlers did during the run. */
  states: {
    /** Every handler failure, in order; a verification is valid only if this is empty. */
    errors: StateError[];
    /** How many resets ran (one per interaction). */
    resets: number;
    /** Every state set up, in order, with its params. */
    calls: Array<{ state: string; params: unknown }>;
  };
  /** What the verifier printed (its native report, its log): kept, not shown, unless a test fails. */
  output: string;
}

export interface VerifyOptions {
  /** Where the provider's public API answers (the simulator, or a proxy in front of it). */
  providerBaseUrl: string;
  /** The simulator the provider states are set up on, over HTTP. */
  simulator: { url: string; controlToken?: string | undefined };
  pactFile?: string;
}

const VERIFY_PROCESS = fileURLToPath(new URL('./verify-process.ts', import.meta.url));

/**
 * Verifies the pact in a child process (verify-process.ts), whose output is captured: the verifier's
 * native core prints its whole report, and "Verification unsuccessful" for the runs that are meant to
 * fail, straight to the process's stdout, which would fill a passing `npm test` with error lines.
 */
export async function verifyPact(options: VerifyOptions): Promise<Verification> {
  const childOptions: VerifyProcessOptions = {
    providerBaseUrl: options.providerBaseUrl,
    simulatorUrl: options.simulator.url,
    controlToken: options.simulator.controlToken,
    pactFile: options.pactFile ?? PACT_FILE,
  };
  const child = fork(VERIFY_PROCESS, [JSON.stringify(childOptions)], {
    cwd: PROJECT_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const answer = await new Promise<VerifyProcessAnswer>((resolve, reject) => {
    let answered: VerifyProcessAnswer | undefined;
    child.once('message', (message) => (answered = message as VerifyProcessAnswer));
    child.once('error', reject);
    child.once('exit', (code) =>
      answered
        ? resolve(answered)
        : reject(new Error(`the verifier process exited with ${code} and no report:\n${output}`)),
    );
  });
  let results: VerificationResults;
  try {
    results = JSON.parse(answer.text) as VerificationResults;
  } catch {
    // Not the verifier's report: it could not run at all (bad options, a crash).
    throw new Error(`the verifier did not produce a report: ${answer.text}\n${output}`);
  }
  return {
    ok: results.result,
    results,
    report: formatMismatches(results),
    states: { errors: answer.errors, resets: answer.resets, calls: answer.calls },
    output,
  };
}

/** Where a mismatch is: a body path (`$.data.task_id`), a header, the status, or the request. */
export function whereOf(mismatch: Mismatch): string {
  if (mismatch.path !== undefined && mismatch.path !== '') return mismatch.path;
  if (mismatch.key !== undefined) return `header ${mismatch.key}`;
  if (mismatch.type === 'StatusMismatch') return 'status';
  return mismatch.type;
}

export function formatMismatches(results: VerificationResults): string {
  const descriptions = results.interactionResults.map((r) => r.description);
  const lines: string[] = [];
  for (const error of results.errors) {
    const where = interactionOf(error.interaction, descriptions);
    const mismatches = error.mismatch.mismatches ?? [];
    if (mismatches.length === 0) {
      lines.push(`${where}: ${error.mismatch.message ?? error.mismatch.type}`);
    }
    for (const m of mismatches) {
      const detail = m.mismatch ?? `expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`;
      lines.push(`${where}: ${whereOf(m)}: ${detail}`);
    }
  }
  return lines.join('\n');
}

/**
 * The verifier names an interaction "Verifying a pact between <c> and <p> Given <s1> And <s2> -
 * <description>"; this reads `"<description>" (given <s1> and <s2>)`.
 */
function interactionOf(label: string, descriptions: readonly string[]): string {
  const description = descriptions.filter((d) => label.endsWith(d)).sort((a, b) => b.length - a.length)[0];
  if (description === undefined) return label;
  const given = /\sGiven (.+) - $/.exec(label.slice(0, label.length - description.length))?.[1];
  return given === undefined
    ? `"${description}"`
    : `"${description}" (given ${given.replaceAll(' And ', ' and ')})`;
}

/** The descriptions of the interactions the verifier reported as failed. */
export function failedInteractions(results: VerificationResults): string[] {
  return results.interactionResults.filter((r) => r.result !== 'OK').map((r) => r.description);
}
