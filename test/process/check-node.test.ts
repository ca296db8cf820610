/**
 * An unsupported Node.js (the machines' own 20, say) is refused before the project does any work,
 * with a message that says which versions work and the one command that gets one. npm's own
 * refusal (devEngines, onFail "error") came first and said only 'Invalid semver version
 * "^22.19.0 || >=24.0.0" does not match "v20.20.2" for "runtime"'.
 *
 * The script cannot be run here on an old Node (the suite runs on supported ones): .ci/run runs
 * `npm test` and `npm start` on the machine's own Node 20 and checks this message. Here: npm runs
 * it where it must, it reads `engines` as the `semver` package does, and what it prints.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Linter } from 'eslint';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

const SCRIPT = join(ROOT, 'scripts', 'check-node.cjs');
const check = createRequire(import.meta.url)(SCRIPT) as {
  satisfies(version: string, range: string): boolean;
  newestMajor(range: string): number;
  refusal(version: string, range: string): string | undefined;
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
  devEngines?: { runtime?: { onFail?: string } };
};
const RUN_CHECK = 'node scripts/check-node.cjs';

describe('npm runs the Node.js check before the project does any work', () => {
  // preprepare: npm ci and npm install run it for the project itself, never for an installed copy of
  // the package, and npm's allowScripts notice to a consumer does not list it (prepare it lists for
  // a tarball dependency, though it never runs it there); pretest: npm test; prebuild: npm run build,
  // so npm start (its prestart builds) and npm pack (its prepack builds).
  it.each(['preprepare', 'pretest', 'prebuild'])('the %s hook runs it first', (hook) => {
    expect(pkg.scripts[hook]?.startsWith(RUN_CHECK), `"${hook}": "${pkg.scripts[hook]}"`).toBe(true);
  });

  it('declares none of the hooks a consumer of the package would run or be warned about', () => {
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts[hook]).toBeUndefined();
  });

  it('npm start checks first (its prestart builds only when the sources changed)', () => {
    expect(pkg.scripts.prestart).toMatch(/^node scripts\/check-node\.cjs && /);
  });

  it("npm's own devEngines check only warns, so that this message is the one that refuses", () => {
    expect(pkg.devEngines?.runtime?.onFail).toBe('warn');
  });

  it('is written for the oldest Nodes it must refuse: CommonJS and ES2015 syntax, no dependency', () => {
    const source = readFileSync(SCRIPT, 'utf8');
    const parsed = new Linter().verify(source, {
      languageOptions: { ecmaVersion: 2015, sourceType: 'commonjs' },
    });
    expect(parsed.filter((m) => m.fatal).map((m) => `${m.line}: ${m.message}`)).toEqual([]);
    const required = [...source.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
    expect(
      required.every((name) => ['fs', 'path'].includes(name!)),
      required.join(', '),
    ).toBe(true);
  });

  it('passes silently on this (supported) Node', () => {
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true);
    expect(execFileSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })).toBe('');
  });
});

describe("the check's reading of engines", () => {
  const versions: string[] = [];
  for (let major = 0; major <= 30; major++) {
    for (const minor of [0, 1, 9, 18, 19, 20, 40])
      for (const patch of [0, 1, 7]) versions.push(`${major}.${minor}.${patch}`);
  }

  it.each([pkg.engines.node, '^18.17.0 || ^20.3.0 || >=21.0.0', '>=20.0.0 <23.0.0', '^0.12.0', '22.1.0'])(
    'agrees with semver on %s',
    (range) => {
      const disagreements = versions.filter((v) => check.satisfies(v, range) !== semver.satisfies(v, range));
      expect(disagreements).toEqual([]);
    },
  );

  it('accepts a leading v, as process.version has it', () => {
    expect(check.satisfies('v24.22.3', pkg.engines.node)).toBe(true);
  });

  it('refuses a form it does not read, by name, rather than guess', () => {
    expect(() => check.satisfies('24.0.0', '~24.0.0')).toThrow(
      /"~24.0.0" .* not a form check-node.cjs reads/,
    );
    expect(() => check.satisfies('24.0.0', '24.x')).toThrow(/not a form/);
  });

  it('suggests the newest supported line', () => {
    expect(check.newestMajor(pkg.engines.node)).toBe(
      Math.max(
        ...new semver.Range(pkg.engines.node).set.map(
          (c) => semver.minVersion(new semver.Range(c.map((x) => x.value).join(' ')))!.major,
        ),
      ),
    );
  });
});

describe('the refusal', () => {
  const message = check.refusal('20.20.2', pkg.engines.node)!;
  const major = check.newestMajor(pkg.engines.node);

  it('says which versions work, from engines, and which Node this is', () => {
    expect(message).toContain(`needs Node.js ${pkg.engines.node} (package.json "engines")`);
    expect(message).toContain('this is Node.js 20.20.2');
  });

  it('gives the one command that gets a supported Node, and nvm', () => {
    expect(message).toMatch(new RegExp(`^  scripts/ci/with-node\\.sh ${major} npm ci$`, 'm'));
    expect(message).toContain(`nvm install ${major}`);
  });

  it('names a runner and a version that exist: with-node.sh pins that major', () => {
    const pinned = readFileSync(join(ROOT, 'scripts/ci/node-versions'), 'utf8');
    expect(pinned).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`, 'm'));
  });

  it('is not printed for a supported Node', () => {
    expect(check.refusal('22.19.0', pkg.engines.node)).toBeUndefined();
    expect(check.refusal('22.18.9', pkg.engines.node)).toContain('this is Node.js 22.18.9');
  });
});
