/**
 * Proof that the contract checks can fail, and say where: "changing a field name in the simulator's
 * response, or in the spec alone, makes the suite fail with a message that says where".
 *
 * - The simulator's response: the pact is verified against a deliberately broken provider, a proxy in
 *   front of a correct simulator that renames `task_id` to `taskId` (or drops `Retry-After`, or answers
 *   another status). The verification must fail, on exactly the interactions the change touches, with
 *   a report naming the path or header.
 * - The spec alone: the pact-to-spec comparison (`contracts/pact-spec/compare-pact.ts`) runs against a
 *   copy of openapi.yaml whose `task_id` is renamed; it must report mismatches that name the field and
 *   the interactions.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIV3 } from 'openapi-types';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, PACT_FILE } from '../consumer/pact-config.js';
import {
  comparePactWithSpec,
  formatFindings,
  loadOpenApi,
  loadPact,
  type PactFile,
} from '../pact-spec/compare-pact.js';
import { startSimulator, type InProcessSimulator } from './in-process-simulator.js';
import {
  changeStatus,
  dropHeader,
  renameField,
  startRewritingProxy,
  type Rewrite,
} from './rewriting-proxy.js';
import { failedInteractions, verifyPact } from './verify.js';

const pact: PactFile | undefined = existsSync(PACT_FILE) ? loadPact(PACT_FILE) : undefined;

let sim: InProcessSimulator;

beforeAll(async () => {
  sim = await startSimulator();
});

afterAll(async () => {
  await sim?.close();
});

/** Verifies the pact against a proxy that applies `rewrite` to every answer of the simulator. */
async function verifyThrough(rewrite: Rewrite) {
  const proxy = await startRewritingProxy(sim.url, rewrite);
  try {
    // States are set up on the simulator itself; only the replayed requests go through the proxy.
    const verification = await verifyPact({ providerBaseUrl: proxy.url, simulator: sim });
    expect(verification.states.errors).toEqual([]);
    // The verifier's report and its "Verification unsuccessful" stay in the captured output.
    expect(verification.output).toContain('Verifying a pact between');
    if (!verification.ok) expect(verification.output).toContain('Verification unsuccessful');
    return { ...verification, rewritten: proxy.rewritten };
  } finally {
    await proxy.close();
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Descriptions of the interactions whose expected response body has `key` somewhere. */
function interactionsExpecting(key: string): string[] {
  const has = (node: unknown): boolean =>
    Array.isArray(node)
      ? node.some(has)
      : typeof node === 'object' && node !== null
        ? Object.entries(node).some(([k, v]) => k === key || has(v))
        : false;
  return pact!.interactions
    .filter((i) => has((i.response as { body?: { content?: unknown } }).body?.content))
    .map((i) => i.description!)
    .sort();
}

describe("a change in the provider's responses fails verification, saying where", () => {
  it('the pact file exists (run the consumer tests first)', () => {
    expect(pact, `${PACT_FILE} is missing`).toBeDefined();
  });

  it('control: the same proxy with no rewrite passes', async () => {
    const verification = await verifyThrough((response) => response);
    expect(verification.ok, verification.report).toBe(true);
    expect(verification.rewritten).toBe(0);
  });

  it('renaming task_id to taskId fails every interaction that expects task_id, at $.data', async () => {
    const verification = await verifyThrough(renameField('task_id', 'taskId'));
    expect(verification.ok).toBe(false);
    expect(verification.rewritten).toBeGreaterThan(0);

    const expecting = interactionsExpecting('task_id');
    expect(expecting.length).toBeGreaterThanOrEqual(9); // 4 generates, 5 status reads
    expect(failedInteractions(verification.results).sort()).toEqual(expecting);

    // The message names the interaction, the path and the field.
    const lines = verification.report.split('\n');
    expect(lines).toHaveLength(expecting.length);
    for (const description of expecting) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^"${escape(description)}" \\(given [^)]+\\): \\$\\.data: Actual map is missing the following keys: task_id$`,
          ),
        ),
      );
    }
  });

  it('dropping Retry-After fails the 429 interaction, naming the header', async () => {
    const verification = await verifyThrough(dropHeader('Retry-After'));
    expect(verification.ok).toBe(false);
    expect(failedInteractions(verification.results)).toEqual(['a status request over the rate limit']);
    expect(verification.report).toContain(
      `"a status request over the rate limit" (given a task exists and the next request is rate limited): ` +
        `header Retry-After: Expected a header 'Retry-After' but was missing`,
    );
  });

  it('answering 400 instead of 404 for an unknown task fails that interaction, naming the status', async () => {
    const verification = await verifyThrough(changeStatus(404, 400));
    expect(verification.ok).toBe(false);
    expect(failedInteractions(verification.results)).toEqual(['a status request for an unknown task']);
    expect(verification.report).toContain(
      '"a status request for an unknown task" (given no task exists with the id): status: expected 404 but was 400',
    );
    expect(verification.report).toContain(
      '"a status request for an unknown task" (given no task exists with the id): $.code:',
    );
  });
});

describe('a change in the spec alone fails the pact-to-spec check, saying where', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dreamcore-spec-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of openapi.yaml with `task_id` renamed to `taskId` in the response schemas. */
  function specWithRenamedTaskId(): OpenAPIV3.Document {
    const oas = loadOpenApi(OPENAPI_FILE);
    const schemas = oas.components!.schemas! as Record<string, OpenAPIV3.SchemaObject>;
    const renameIn = (schema: OpenAPIV3.SchemaObject) => {
      const properties = schema.properties!;
      properties.taskId = properties.task_id!;
      delete properties.task_id;
      schema.required = schema.required!.map((name) => (name === 'task_id' ? 'taskId' : name));
    };
    renameIn(schemas.GenerateResponse!.properties!.data as OpenAPIV3.SchemaObject);
    renameIn(schemas.TaskRecord!);
    const file = join(dir, 'openapi.renamed.yaml');
    writeFileSync(file, stringify(oas));
    return loadOpenApi(file);
  }

  it('control: the real spec and the pact agree', async () => {
    const findings = await comparePactWithSpec(loadOpenApi(OPENAPI_FILE), pact!);
    expect(findings, formatFindings(findings)).toEqual([]);
  });

  it('renaming task_id in the spec is a mismatch for every interaction expecting it', async () => {
    const findings = (await comparePactWithSpec(specWithRenamedTaskId(), pact!)).filter(
      (f) => f.type === 'error',
    );
    const report = formatFindings(findings);
    expect(findings.length, report).toBeGreaterThan(0);
    expect(
      findings.every((f) => f.code === 'response.body.incompatible'),
      report,
    ).toBe(true);
    expect([...new Set(findings.map((f) => f.interaction))].sort()).toEqual(interactionsExpecting('task_id'));
    // Says where: the response body in the pact, the schema in the spec, and the field.
    for (const finding of findings) {
      expect(finding.pactLocation).toMatch(/^\[root\]\.interactions\[\d+\]\.response\.body/);
      expect(finding.specLocation).toMatch(/responses\.200\.content\.application\/json\.schema/);
    }
    expect(report).toMatch(/taskId|task_id/);
  });
});
