/**
 * A scenario: fault rules the simulator already understands, in order, as a document (control-api.yaml's
 * Scenario). `dreamcore-simulator cassette to-scenario` makes one from a recorded session, so a real bad day
 * becomes a regression test; `--scenario <file>` loads one at start (and every reset puts it back),
 * `POST /__mock/scenario` adds one to a running world.
 */
import { readFileSync } from 'node:fs';
import type { OpenAPIV3 } from 'openapi-types';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec, specOperations } from '../http/load-spec.js';
import type { FaultRuleInput } from './fault-rules.js';
import { ruleProblems, ruleStatusChecker } from './rule-checks.js';

export const SCENARIO_FORMAT = 'dreamcore-scenario';
export const SCENARIO_VERSION = 1;

export interface Scenario {
  format: typeof SCENARIO_FORMAT;
  version: typeof SCENARIO_VERSION;
  description?: string;
  source?: { cassette?: string; target?: string; recorded_at?: string; exchanges?: number };
  rules: FaultRuleInput[];
  /** What could not be expressed as a rule, and why. */
  notes?: string[];
}

/** The rules of a scenario file, each checked as POST /__mock/faults checks one; throws naming the file. */
export async function readScenarioRules(
  file: string,
  mode: 'proxy' | 'replay' | undefined,
): Promise<FaultRuleInput[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--scenario ${file}: cannot be read as JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const [{ responseAjv }, control, api] = await Promise.all([
    import('../http/validation/spec-ajv.js'),
    loadSpec(CONTROL_SPEC_PATH),
    loadSpec(API_SPEC_PATH),
  ]);
  const schema = control.components?.schemas?.Scenario as OpenAPIV3.SchemaObject;
  const validate = responseAjv().compile(schema);
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(
      `--scenario ${file}: not a scenario of version ${SCENARIO_VERSION}: ${problems.join('; ')}`,
    );
  }
  const { rules } = doc as Scenario;
  const ruleStatuses = ruleStatusChecker(specOperations(api));
  const problems = rules.flatMap((rule, i) => ruleProblems(rule, { ruleStatuses, mode }, `rules[${i}]`));
  if (problems.length > 0) {
    throw new Error(
      `--scenario ${file}: ${problems
        .slice(0, 5)
        .map((p) => `${p.field} ${p.message}`)
        .join('; ')}`,
    );
  }
  return rules;
}
