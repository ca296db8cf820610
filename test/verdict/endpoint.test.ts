/**
 * GET /__mock/report on a running simulator (memory store): every public request observed as it is
 * answered (or not), the report of the caller's world only, its three formats (the JUnit XML parsed
 * back), the whole run since the reset whatever the journal kept, and a clear refusal when off.
 */
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { connectSimulator, startSimulator, type VerdictReport } from '../../mock-server/src/index.js';
import { reportSchemaErrors } from './support.js';

const BODY = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;

async function send(
  url: string,
  key: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<number> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      Authorization: `Bearer ${key}`,
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  }).catch(() => undefined);
  if (!res) return 0;
  await res.text();
  return res.status;
}

async function reportOf(url: string, headers: Record<string, string> = {}, query = ''): Promise<Response> {
  return fetch(`${url}/__mock/report${query}`, { headers });
}

async function json(res: Response): Promise<VerdictReport> {
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: VerdictReport }).data;
}

describe('GET /__mock/report', () => {
  it('judges the requests of the world since its reset, in the schema of control-api.yaml', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r1', validateResponses: true });
    // A 429 asked to wait 3 s; the retry came at once.
    await sim.rules.add({
      match: { path: '/api/generate' },
      action: { status: 429, retryAfterSeconds: 3 },
      times: 1,
    });
    expect(await send(sim.url, sim.key, '/api/generate', { body: BODY })).toBe(429);
    expect(await send(sim.url, sim.key, '/api/generate', { body: BODY })).toBe(200);
    const report = await sim.report();
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.world).toBe('default');
    expect(report.requests).toMatchObject({ observed: 2, by_operation: { createGenerationTask: 2 } });
    expect(report.findings.map((f) => [f.rule, f.occurrences])).toEqual([['retry-after-ignored', 1]]);
    const [example] = report.findings[0]!.examples;
    expect(example!.detail).toBe('sent 0 ms after a 429 that asked to wait 3 s');
    // The example names the retry's journal entry.
    const entry = (await sim.journal.list({ status: '200' }))[0]!;
    expect(example!.journal_id).toBe(entry.id);
    expect(report.spend).toMatchObject({ debited: 12, refunded: 0, net: 12 });
    expect(report.coverage.seen.map((s) => s.outcome)).toEqual(['generate:200', 'generate:429']);

    // The reset starts the verdict again.
    await sim.reset();
    const after = await sim.report();
    expect(after.requests.observed).toBe(0);
    expect(after.findings).toEqual([]);
    expect(after.spend).toMatchObject({ debited: 0, refunded: 0, by_key: [] });
    expect(after.since).toBe(after.now);
  });

  it('tells a request in flight when a 429 was answered from a reaction to it, on a clock nobody moves', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r8', maxDelayMs: 10_000 });
    // In flight: accepted (its task exists), its answer held.
    const held = send(sim.url, sim.key, '/api/generate', {
      body: { ...BODY, prompt: 'held' },
      headers: { 'X-Mock-Delay-Ms': '1500' },
    });
    await expect.poll(async () => (await sim.tasks.list()).length, { timeout: 5_000 }).toBe(1);
    const limited = { body: { ...BODY, prompt: 'limited' }, headers: { 'X-Mock-Status': '429' } };
    expect(await send(sim.url, sim.key, '/api/generate', limited)).toBe(429);
    expect(await held).toBe(200);
    // Same virtual millisecond as the 429's answer, but sent before it: not a reaction.
    expect((await sim.report()).findings).toEqual([]);
    // A reaction at the same millisecond is.
    expect(await send(sim.url, sim.key, '/api/generate', { body: { ...BODY, prompt: 'again' } })).toBe(200);
    expect((await sim.report()).findings.map((f) => [f.rule, f.occurrences])).toEqual([
      ['retry-after-ignored', 1],
    ]);
  });

  it('observes network faults (no answer) and tells them from a client that hung up', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r2', maxDelayMs: 5_000 });
    const poll = '/api/status?task_id=sd45_0000000000000001';
    expect(await send(sim.url, sim.key, poll, { headers: { 'X-Mock-Fault': 'reset' } })).toBe(0);
    expect(await send(sim.url, sim.key, poll, { headers: { 'X-Mock-Fault': 'empty' } })).toBe(0);
    expect(await send(sim.url, sim.key, poll, { headers: { 'X-Mock-Fault': 'malformed' } })).toBe(200);
    // A client that gives up on a held answer: no outcome, counted as unanswered.
    await fetch(`${sim.url}${poll}`, {
      headers: { Authorization: `Bearer ${sim.key}`, 'X-Mock-Delay-Ms': '3000' },
      signal: AbortSignal.timeout(100),
    }).catch(() => undefined);
    await expect.poll(async () => (await sim.report()).requests.observed, { timeout: 5_000 }).toBe(4);
    const report = await sim.report();
    expect(report.coverage.seen.map((s) => s.outcome).sort()).toEqual([
      'status:fault:empty',
      'status:fault:malformed',
      'status:fault:reset',
    ]);
    expect(report.requests.unanswered).toBe(1);
  });

  it("reads the caller's world: a tenant its own, the operator any by X-Mock-Tenant; another tenant's is 403", async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r3' });
    await using a = await connectSimulator(sim.url, { create: { clock: 'virtual' } });
    await using b = await connectSimulator(sim.url, { create: { clock: 'virtual' } });
    expect(await send(sim.url, a.key, '/api/generate', { body: BODY })).toBe(200);
    expect(await send(sim.url, a.key, '/api/status?task_id=sd45_ffffffffffffffff')).toBe(404);
    expect(await send(sim.url, b.key, '/api/generate', { body: BODY })).toBe(200);

    const ofA = await a.report();
    expect(ofA.world).toBe(a.tenant);
    expect(ofA.requests.observed).toBe(2);
    expect((await b.report()).requests.observed).toBe(1);
    expect((await sim.report()).requests.observed).toBe(0);
    const asOperator = await json(await reportOf(sim.url, { 'X-Mock-Tenant': a.tenant }));
    expect(asOperator.requests).toEqual(ofA.requests);

    // Another tenant's credential naming A's tenant: refused, and nothing read.
    const other = await tenantToken(sim.url);
    const refused = await reportOf(sim.url, { 'X-Mock-Token': other, 'X-Mock-Tenant': a.tenant });
    expect(refused.status).toBe(403);
    expect((await json(await reportOf(sim.url, { 'X-Mock-Token': other }))).requests.observed).toBe(0);
  });

  it('gives JUnit XML (one test case per rule, a failure per rule broken) and text', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r4' });
    await sim.rules.add({ action: { status: 429, retryAfterSeconds: 2 }, times: 1 });
    await send(sim.url, sim.key, '/api/generate', { body: BODY });
    await send(sim.url, sim.key, '/api/generate', { body: BODY });
    const unknown = '/api/status?task_id=sd45_ffffffffffffffff';
    await send(sim.url, sim.key, unknown);
    await send(sim.url, sim.key, unknown); // the same 404 again: a warning

    const junit = await reportOf(sim.url, {}, '?format=junit');
    expect(junit.headers.get('content-type')).toMatch(/^application\/xml/);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await junit.text(),
    ) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: { testcase: Array<{ name: string; failure?: { type: string; '#text': string } }> };
      };
    };
    const cases = parsed.testsuites.testsuite.testcase;
    expect(parsed.testsuites).toMatchObject({ tests: '7', failures: '2' });
    expect(cases.map((c) => c.name)).toEqual([
      'retry-after-ignored',
      'no-backoff',
      'poll-too-fast',
      'poll-after-terminal',
      'retry-unchanged-4xx',
      'duplicate-generate',
      'abandoned-task',
    ]);
    const failed = Object.fromEntries(cases.filter((c) => c.failure).map((c) => [c.name, c.failure!.type]));
    expect(failed).toEqual({ 'retry-after-ignored': 'error', 'retry-unchanged-4xx': 'warning' });

    // Failing on errors only, the warning's test case passes.
    const lenient = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await (await reportOf(sim.url, {}, '?format=junit&fail_on=error')).text(),
    ) as { testsuites: { failures: string } };
    expect(lenient.testsuites.failures).toBe('1');
    expect(await sim.reportJUnit({ failOn: 'error' })).toContain('failures="1"');

    const text = await reportOf(sim.url, {}, '?format=text');
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toMatch(
      /^Verdict for world default .*: 1 error, 1 warning, 4 requests observed/,
    );
    expect((await reportOf(sim.url, {}, '?format=pdf')).status).toBe(400);
  });

  it('covers the whole run since the reset, though the journal kept the last 3 only, or none', async () => {
    for (const journalSize of [3, 0]) {
      await using sim = await startSimulator({ clock: 'virtual', seed: 'r5', journalSize });
      const unknown = '/api/status?task_id=sd45_ffffffffffffffff';
      for (let i = 0; i < 10; i++) {
        await send(sim.url, sim.key, unknown);
        await sim.clock.advance(1_000);
      }
      const report = await sim.report();
      expect(report.requests.observed, `journal ${journalSize}`).toBe(10);
      expect(report.findings.map((f) => [f.rule, f.occurrences])).toEqual([['retry-unchanged-4xx', 9]]);
      const ids = report.findings[0]!.examples.map((e) => e.journal_id);
      // The first repeats' entries are gone from a journal of 3, and there is none without a journal.
      expect(ids).toEqual(journalSize === 0 ? [null, null, null, null, null] : [2, 3, 4, 5, 6]);
      expect(report.blind_spots).toMatchObject({ complete: true, unseen: 0 });
    }
  });

  it('is 404 with the reason when the verdict is off, and observes nothing', async () => {
    await using sim = await startSimulator({ seed: 'r6', report: false });
    await send(sim.url, sim.key, '/api/generate', { body: BODY });
    const res = await reportOf(sim.url);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/--report off/);
    await expect(sim.report()).rejects.toMatchObject({ status: 404, type: 'not_found' });
  });

  it('is told of QA creating a key and failing a task, which excuse a repeat', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'r7' });
    const late = 'sk-dc-late-0000000001';
    expect(await send(sim.url, late, '/api/generate', { body: BODY })).toBe(401);
    await sim.accounts.setBalance(late, 100); // the key exists now: asking again is right
    expect(await send(sim.url, late, '/api/generate', { body: BODY })).toBe(200);
    // A task QA failed is refunded: the same body again is no double charge.
    const client = sim.client({ apiKey: late, retry: { maxRetries: 0 } });
    const { taskId } = await client.createTask({ ...BODY, prompt: 'a wolf' });
    await sim.tasks.fail(taskId);
    await client.createTask({ ...BODY, prompt: 'a wolf' });
    await sim.clock.advance(120_000);
    const report = await sim.report();
    // Nobody read the three tasks: that is all the client did wrong.
    expect(report.findings.map((f) => [f.rule, f.occurrences])).toEqual([['abandoned-task', 3]]);
    expect(report.spend).toMatchObject({ debited: 36, refunded: 12, net: 24 });
  });
});

/** A fresh tenant's credential, made through the control API as a CI job would. */
async function tenantToken(url: string): Promise<string> {
  const res = await fetch(`${url}/__mock/tenants`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { data: { token: string } }).data.token;
}
