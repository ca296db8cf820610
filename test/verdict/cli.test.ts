/**
 * `dreamcore-simulator report`: the CI gate. Exit 0 when the client passed, 1 when it broke a rule of
 * --fail-on's severity or worse, 2 on bad usage or a simulator it cannot use; the report written as
 * asked (the JUnit XML parsed back), run in-process as bin.ts runs it, and once through the bin.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../mock-server/src/cli/report.js';
import { runSubcommand } from '../../mock-server/src/cli/subcommands.js';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';

async function report(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const OPERATOR = 'operator-token-1';

async function poll(key: string): Promise<void> {
  await fetch(`${sim.url}/api/status?task_id=sd45_ffffffffffffffff`, {
    headers: { Authorization: `Bearer ${key}` },
  }).then((r) => r.text());
}

/** A tenant as a CI job gets one: its id, its credential and its key. */
async function newTenant(): Promise<{ id: string; token: string; key: string }> {
  const res = await fetch(`${sim.url}/__mock/tenants`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Mock-Token': OPERATOR },
    body: JSON.stringify({ clock: 'virtual' }),
  });
  const { data } = (await res.json()) as {
    data: { tenant: { id: string }; token: string; keys: Array<{ apiKey: string }> };
  };
  return { id: data.tenant.id, token: data.token, key: data.keys[0]!.apiKey };
}

let sim: SimulatorHandle;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ clock: 'virtual', seed: 'cli', controlToken: OPERATOR });
  dir = await mkdtemp(join(tmpdir(), 'verdict-cli-'));
});

afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('dreamcore-simulator report', () => {
  it("exits 0 for a client that broke no rule, 1 for one that did, reading a tenant's own report", async () => {
    const clean = await newTenant();
    const sloppy = await newTenant();
    await poll(clean.key);
    await poll(sloppy.key);
    await poll(sloppy.key); // the same 404 again: retry-unchanged-4xx, a warning

    const passed = await report(['--url', sim.url, '--token', clean.token]);
    expect(passed.code).toBe(0);
    expect(passed.out).toMatch(
      /^Verdict for world t-[0-9a-f]{12} .*: 0 errors, 0 warnings, 1 request observed/,
    );
    expect(passed.err).toMatch(/0 errors, 0 warnings \(failing on warning: passed\)/);

    const failed = await report(['--url', sim.url, '--token', sloppy.token]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('WARNING retry-unchanged-4xx (1 occurrence)');
    expect(failed.err).toMatch(/failing on warning: retry-unchanged-4xx/);
    // Warnings pass a gate that fails on errors only.
    expect((await report(['--url', sim.url, '--token', sloppy.token, '--fail-on', 'error'])).code).toBe(0);
    // The operator reads the tenant's by naming it.
    const operator = await report([
      '--url',
      sim.url,
      '--token',
      OPERATOR,
      '--tenant',
      sloppy.id,
      '--format',
      'json',
    ]);
    expect(operator.code).toBe(1);
    expect((JSON.parse(operator.out) as { world: string }).world).toBe(sloppy.id);
  });

  it('writes JUnit XML to a file, one test case per rule', async () => {
    const sloppy = await newTenant();
    await poll(sloppy.key);
    await poll(sloppy.key);
    const out = join(dir, 'verdict.xml');
    const written = await report([
      '--url',
      sim.url,
      '--token',
      sloppy.token,
      '--format',
      'junit',
      '--out',
      out,
    ]);
    expect(written).toMatchObject({ code: 1, out: '' });
    expect(written.err).toContain(`written to ${out}`);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(out, 'utf8'),
    ) as { testsuites: { tests: string; failures: string; testsuite: { testcase: unknown[] } } };
    expect(xml.testsuites).toMatchObject({ tests: '7', failures: '1' });
    expect(xml.testsuites.testsuite.testcase).toHaveLength(7);
  });

  it('exits 2 on bad usage, an unreachable simulator, a refused token, or the verdict off', async () => {
    const missingUrl = await report([]);
    expect(missingUrl.code).toBe(2);
    expect(missingUrl.err).toMatch(/--url/);
    expect((await report(['--url', sim.url, '--format', 'pdf'])).code).toBe(2);
    expect((await report(['--url', 'not a url'])).code).toBe(2);

    const nobody = await report(['--url', `http://127.0.0.1:${await closedPort()}`, '--timeout-ms', '5000']);
    expect(nobody.code).toBe(2);
    expect(nobody.err).toMatch(/cannot reach the simulator/);

    const refused = await report(['--url', sim.url, '--token', 'dct_not-a-credential']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/answered 401/);

    await using off = await startSimulator({ report: false });
    const offReport = await report(['--url', off.url]);
    expect(offReport.code).toBe(2);
    expect(offReport.err).toMatch(/answered 404: No report: .*--report off/);
  });

  it('is a command of dreamcore-simulator, with its own --help', async () => {
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: () => undefined };
    expect(await runSubcommand(['report', '--help'], io)).toBe(0);
    expect(out).toMatch(/Usage: dreamcore-simulator report \[options\]/);
    expect(out).toContain('--fail-on <severity>');
    expect(await runSubcommand(['report', '--url', sim.url, '--token', OPERATOR], io)).toBe(0);
  });
});

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
