/**
 * Runs pact-js's `Verifier` over the pact file against a provider and turns its result into something a
 * test can assert on and a human can read: which interaction failed, at which path or header, and how.
 *
 * pact-js resolves `verifyProvider()` with the verifier's JSON report and rejects a failed verification
 * with an Error whose message is that same JSON; both are parsed here, so a failure reads
 * `"<interaction>" (given <states>): $.data: Actual map is missing the following keys: task_id`, not a bare
 * "Verification unsuccessful".
 */
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import { PACT_FILE, PROVIDER } from '../consumer/pact-config.js';
import type { SimulatorStates } from './state-handlers.js';

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
}

export interface VerifyOptions {
  /** Where the provider's public API answers (the simulator, or a proxy in front of it). */
  providerBaseUrl: string;
  states: SimulatorStates;
  pactFile?: string;
}

export async function verifyPact(options: VerifyOptions): Promise<Verification> {
  const { states } = options;
  const verifier = new Verifier({
    provider: PROVIDER,
    providerBaseUrl: options.providerBaseUrl,
    pactUrls: [options.pactFile ?? PACT_FILE],
    // pact-js types `stateHandlers` as the intersection of its HTTP and message handler types; the HTTP
    // proxy calls the HTTP shape (`setup(params)`), which is what these are.
    stateHandlers: states.stateHandlers as unknown as VerifierOptions['stateHandlers'],
    // Called before the first state of each interaction (pact-js counts setups and teardowns).
    beforeEach: () => states.reset(),
    logLevel: 'error',
    timeout: 20_000,
  });
  let text: string;
  try {
    text = await verifier.verifyProvider();
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  let results: VerificationResults;
  try {
    results = JSON.parse(text) as VerificationResults;
  } catch {
    // Not the verifier's report: it could not run at all (bad options, a crash).
    throw new Error(`the verifier did not produce a report: ${text}`);
  }
  return { ok: results.result, results, report: formatMismatches(results) };
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
