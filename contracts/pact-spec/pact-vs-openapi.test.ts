/**
 * Pact-to-spec check: every interaction the consumer tests wrote to `pacts/` must be allowed by
 * `openapi.yaml`. Runs after `contracts/consumer` (the `contracts` project runs one file at a time).
 *
 * The negative tests build wrong pacts in memory and show each is caught, so a green run means the
 * pact agrees with the spec, not that the check cannot fail.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, PACT_FILE } from '../consumer/pact-config.js';
import {
  comparePactWithSpec,
  formatFindings,
  loadOpenApi,
  loadPact,
  type Finding,
  type PactDocument,
} from './compare-pact.js';

const oas = loadOpenApi(OPENAPI_FILE);
// Read at collection time so that each interaction is its own test; a missing file fails below.
const pact = existsSync(PACT_FILE) ? loadPact(PACT_FILE) : undefined;

const errorsOf = (findings: readonly Finding[]) => findings.filter((f) => f.type === 'error');

describe(`the pact file agrees with openapi.yaml`, () => {
  it('exists (run `npx vitest run --project contracts contracts/consumer` first)', () => {
    expect(pact, `${PACT_FILE} is missing`).toBeDefined();
    expect(pact?.metadata?.pactSpecification?.version).toBe('4.0');
    expect(pact?.interactions.length).toBeGreaterThanOrEqual(16);
  });

  for (const interaction of pact?.interactions ?? []) {
    it(`interaction "${interaction.description ?? '[no description]'}"`, async () => {
      const findings = await comparePactWithSpec(oas, { ...pact!, interactions: [interaction] });
      const errors = errorsOf(findings);
      expect(errors, `the pact contradicts openapi.yaml:\n${formatFindings(errors)}`).toEqual([]);
    });
  }

  it('as a whole, with no errors and no warnings', async () => {
    const findings = await comparePactWithSpec(oas, pact!);
    expect(findings, formatFindings(findings)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Negative tests: deliberately wrong pacts, built in memory in the V4 shape pact-js writes.

interface InteractionSpec {
  description: string;
  method: string;
  path: string;
  query?: Record<string, string[]>;
  requestHeaders?: Record<string, string[]>;
  requestBody?: unknown;
  status: number;
  responseHeaders?: Record<string, string[]>;
  responseBody: unknown;
}

function v4Body(content: unknown) {
  return { content, contentType: 'application/json', encoded: false };
}

function v4Pact(spec: InteractionSpec): PactDocument {
  const interaction = {
    type: 'Synchronous/HTTP',
    description: spec.description,
    providerStates: [{ name: 'a task exists', params: { status: 'SUCCESS' } }],
    request: {
      method: spec.method,
      path: spec.path,
      ...(spec.query ? { query: spec.query } : {}),
      headers: {
        Authorization: ['Bearer sk-dreamcore-dev'],
        ...(spec.requestBody === undefined ? {} : { 'Content-Type': ['application/json'] }),
        ...spec.requestHeaders,
      },
      ...(spec.requestBody === undefined ? {} : { body: v4Body(spec.requestBody) }),
    },
    response: {
      status: spec.status,
      headers: { 'Content-Type': ['application/json'], ...spec.responseHeaders },
      body: v4Body(spec.responseBody),
    },
  };
  return {
    metadata: { pactSpecification: { version: '4.0' } },
    interactions: [interaction],
  } as unknown as PactDocument;
}

const TASK_ID = 'sd45_b83bf7c0c51a4c71';

function generateInteraction(data: Record<string, unknown>): InteractionSpec {
  return {
    description: 'a generate request (deliberately wrong)',
    method: 'POST',
    path: '/api/generate',
    requestBody: { prompt: 'A fox', aspectRatio: '1:1', quality: 'basic' },
    status: 200,
    responseBody: { code: 200, message: 'success', data },
  };
}

function statusInteraction(record: Record<string, unknown>): InteractionSpec {
  return {
    description: 'a status request (deliberately wrong)',
    method: 'GET',
    path: '/api/status',
    query: { task_id: [TASK_ID] },
    status: 200,
    responseBody: {
      code: 200,
      message: 'success',
      data: {
        task_id: TASK_ID,
        status: 'SUCCESS',
        request: { prompt: 'A fox', aspectRatio: '1:1', quality: 'basic' },
        response: ['https://img.test/0.jpg'],
        consumed_credits: 12,
        error_message: null,
        created_at: '2025-06-14T05:21:11Z',
        ...record,
      },
    },
  };
}

describe('the check fails on a pact that contradicts the spec', () => {
  it('control: the well-formed versions of the interactions below pass', async () => {
    for (const spec of [generateInteraction({ task_id: TASK_ID }), statusInteraction({})]) {
      const findings = await comparePactWithSpec(oas, v4Pact(spec));
      expect(findings, formatFindings(findings)).toEqual([]);
    }
  });

  it('a response that renames task_id to taskId is a mismatch naming the interaction', async () => {
    const findings = errorsOf(
      await comparePactWithSpec(oas, v4Pact(generateInteraction({ taskId: TASK_ID }))),
    );
    expect(findings.map((f) => f.code)).toContain('response.body.incompatible');
    const report = formatFindings(findings);
    expect(report).toContain('a generate request (deliberately wrong)');
    expect(report).toContain('a task exists {"status":"SUCCESS"}');
    expect(report).toMatch(/taskId/);
  });

  it('a task status outside the enum is a mismatch', async () => {
    const findings = errorsOf(await comparePactWithSpec(oas, v4Pact(statusInteraction({ status: 'DONE' }))));
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'response.body.incompatible',
        message: expect.stringContaining('must be equal to one of the allowed values'),
      }),
    ]);
  });

  it('a refund shown as null instead of 0 is a mismatch', async () => {
    const record = { status: 'FAILED', response: [], consumed_credits: null, error_message: 'moderated' };
    const findings = errorsOf(await comparePactWithSpec(oas, v4Pact(statusInteraction(record))));
    expect(findings.map((f) => f.code)).toEqual(['response.body.incompatible']);
  });

  it('a request field the spec does not know (num_images) is a mismatch', async () => {
    const spec = generateInteraction({ task_id: TASK_ID });
    spec.requestBody = { prompt: 'A fox', aspectRatio: '1:1', quality: 'basic', num_images: 4 };
    const findings = errorsOf(await comparePactWithSpec(oas, v4Pact(spec)));
    expect(findings.map((f) => f.code)).toEqual(['request.body.incompatible']);
  });

  it('an undocumented path is a mismatch', async () => {
    const spec = statusInteraction({});
    spec.path = '/api/tasks';
    const findings = errorsOf(await comparePactWithSpec(oas, v4Pact(spec)));
    expect(findings.map((f) => f.code)).toEqual(['request.path-or-method.unknown']);
  });

  it('a 429 without its required Retry-After header is a mismatch (our check: the comparator misses it)', async () => {
    const rateLimited: InteractionSpec = {
      description: 'a rate-limited status request (deliberately wrong)',
      method: 'GET',
      path: '/api/status',
      query: { task_id: [TASK_ID] },
      status: 429,
      responseBody: { code: 429, message: 'Too many requests', data: { type: 'rate_limited' } },
    };
    const without = errorsOf(await comparePactWithSpec(oas, v4Pact(rateLimited)));
    expect(without.map((f) => f.code)).toEqual(['response.header.missing']);
    expect(formatFindings(without)).toContain('Retry-After');

    rateLimited.responseHeaders = { 'retry-after': ['2'] };
    expect(await comparePactWithSpec(oas, v4Pact(rateLimited))).toEqual([]);
  });

  it('a Retry-After that is not an integer is a mismatch', async () => {
    const findings = errorsOf(
      await comparePactWithSpec(
        oas,
        v4Pact({
          description: 'a rate-limited status request with a bad header',
          method: 'GET',
          path: '/api/status',
          query: { task_id: [TASK_ID] },
          status: 429,
          responseHeaders: { 'Retry-After': ['soon'] },
          responseBody: { code: 429, message: 'Too many requests', data: { type: 'rate_limited' } },
        }),
      ),
    );
    expect(findings.map((f) => f.code)).toEqual(['response.header.incompatible']);
  });
});
