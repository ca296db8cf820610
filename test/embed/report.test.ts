/**
 * The handle's verdict: `sim.report()` typed, `sim.assertNoFindings()` failing a test in any runner
 * (node:test here, in a process of its own), and the `toHaveNoFindings` matcher of vitest and jest.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  VerdictFindingsError,
  assertNoFindings,
  connectSimulator,
  startSimulator,
  verdictMatchers,
  type VerdictReport,
} from '../../mock-server/src/index.js';
import { ROOT } from '../support/spec-walk.js';

interface VerdictMatchers<R = unknown> {
  toHaveNoFindings(options?: { failOn?: 'error' | 'warning' }): R;
}
declare module 'vitest' {
  // vitest declares Matchers<T = any>: a merged declaration repeats its type parameter as it is.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends VerdictMatchers<T> {}
}
expect.extend(verdictMatchers);

const UNKNOWN = '/api/status?task_id=sd45_ffffffffffffffff';

describe('sim.report() and sim.assertNoFindings()', () => {
  it('read the verdict of the handle’s world, and fail on findings at the severity asked', async () => {
    await using sim = await startSimulator({ clock: 'virtual', seed: 'e1' });
    await using tenant = await connectSimulator(sim.url, { create: { clock: 'virtual' } });
    const ask = (key: string) =>
      fetch(`${sim.url}${UNKNOWN}`, { headers: { Authorization: `Bearer ${key}` } });
    await ask(tenant.key);
    await ask(tenant.key); // the same 404 again: a warning
    await ask(sim.key);

    const report: VerdictReport = await tenant.report();
    expect(report.world).toBe(tenant.tenant);
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([['retry-unchanged-4xx', 'warning']]);
    expect(await sim.assertNoFindings()).toMatchObject({ world: 'default', findings: [] });

    const failure = await tenant.assertNoFindings().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(VerdictFindingsError);
    expect((failure as VerdictFindingsError).message).toMatch(
      /broke 1 verdict rule in world t-[0-9a-f]{12} \(failing on warning or worse\)/,
    );
    expect((failure as VerdictFindingsError).findings.map((f) => f.rule)).toEqual(['retry-unchanged-4xx']);
    await expect(tenant.assertNoFindings({ failOn: 'error' })).resolves.toMatchObject({
      world: tenant.tenant,
    });

    // The package's own assertNoFindings and matcher take the same report.
    expect(() => assertNoFindings(report)).toThrow(VerdictFindingsError);
    expect(report).not.toHaveNoFindings();
    expect(report).toHaveNoFindings({ failOn: 'error' });
    expect(await sim.report()).toHaveNoFindings();
  });
});

describe('with node:test', () => {
  const file = fileURLToPath(new URL('./fixtures/node-test-verdict.mts', import.meta.url));
  const runNodeTest = (sloppy: boolean) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', file], {
      env: { ...process.env, SLOPPY: sloppy ? '1' : '0' },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );

  it('passes a careful run and fails a sloppy one, naming the rule', async () => {
    const [careful, sloppy] = await Promise.all([runNodeTest(false), runNodeTest(true)]);
    expect(careful.code, careful.out).toBe(0);
    expect(sloppy.code).not.toBe(0);
    expect(sloppy.out).toMatch(/VerdictFindingsError/);
    expect(sloppy.out).toMatch(/retry-unchanged-4xx/);
  }, 60_000);
});

describe("the client teams' guide", () => {
  it('shows the verdict example that verdict-example.test.ts runs, word for word but for the import', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'guides', 'client-teams.md'), 'utf8');
    const heading = '\n## Is my client ready?\n';
    expect(guide).toContain(heading);
    const block = /```ts\n([\s\S]*?)```/.exec(guide.slice(guide.indexOf(heading)))?.[1];
    const example = readFileSync(join(ROOT, 'test', 'embed', 'verdict-example.test.ts'), 'utf8')
      .split('\n')
      .filter(
        (line) =>
          !line.startsWith("// The client teams' guide's verdict") && !line.startsWith('// there but for'),
      )
      .join('\n')
      .replace("from '../../mock-server/src/index.js';", "from 'dreamcore-simulator';");
    expect(block).toBe(example);
  });
});
