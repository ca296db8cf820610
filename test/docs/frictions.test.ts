/**
 * What a new user met when trying the project from outside, held so it stays fixed:
 * - `npm run test:quick` is a smoke check that needs no redis-server, HAProxy or Chromium: the unit
 *   project less exactly the files that start one of them (test/quick.vitest.config.ts), while
 *   `npm test` still runs everything;
 * - following the docs leaves no untracked file in the clone: `npm pack`'s tarball and the files the
 *   worked examples write (`--out`, `--record`) are ignored by git.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import base from '../../vitest.config.js';
import quick, { NEEDS_SYSTEM_PROGRAMS } from '../quick.vitest.config.js';
import { codeBlocks, documentationFiles, filesUnder, readDoc } from './markdown.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  scripts: Record<string, string>;
};

/**
 * What in a test file shows it starts a program from the operating system: the helpers that start
 * redis-server or a fleet, the fleet script (redis-server and HAProxy), a direct spawn, a browser.
 */
const NEEDS_SYSTEM_PROGRAM =
  /support\/(redis-server|fleet)\.js|'fleet\.ts'|spawnSync\(\s*'(redis-server|haproxy|chromium)'|playwright-core/;

/** The unit project's test files (vitest.config.ts: test/**, contracts/client/**, less test/browser). */
function unitTestFiles(): string[] {
  return [...filesUnder('test'), ...filesUnder('contracts/client')].filter(
    (p) => p.endsWith('.test.ts') && !p.startsWith('test/browser/') && p !== 'test/docs/frictions.test.ts',
  );
}

describe('npm run test:quick', () => {
  const excluded = (file: string) =>
    NEEDS_SYSTEM_PROGRAMS.some((glob) =>
      glob.endsWith('/**') ? file.startsWith(glob.slice(0, -2)) : file === glob,
    );

  it('runs the unit project through the quick configuration', () => {
    expect(pkg.scripts['test:quick']).toBe('vitest run --config test/quick.vitest.config.ts --project unit');
    for (const glob of NEEDS_SYSTEM_PROGRAMS)
      expect(glob, 'a directory/** or a file').toMatch(/^[\w./-]+(\/\*\*)?$/);
  });

  it('leaves out exactly the unit test files that start redis-server, HAProxy or Chromium', () => {
    const needing = unitTestFiles().filter((p) =>
      NEEDS_SYSTEM_PROGRAM.test(readFileSync(join(ROOT, p), 'utf8')),
    );
    expect(needing.length).toBeGreaterThan(0);
    expect(unitTestFiles().filter(excluded)).toEqual(needing);
  });

  it("excludes them from the unit project's files, and nothing else changes", () => {
    const unit = (config: typeof quick) =>
      ((config.test?.projects ?? []) as Array<{ test: { name: string; exclude?: string[] } }>).find(
        (p) => p.test.name === 'unit',
      )!.test;
    expect(unit(quick).exclude).toEqual([...(unit(base).exclude ?? []), ...NEEDS_SYSTEM_PROGRAMS]);
    expect({ ...unit(quick), exclude: undefined }).toEqual({ ...unit(base), exclude: undefined });
  });

  it('leaves npm test running every project whole', () => {
    expect(pkg.scripts.test).toMatch(/test:unit\b.*test:browser\b.*test:contracts\b/);
    expect(pkg.scripts['test:unit']).toBe('vitest run --project unit');
  });
});

describe('following the docs leaves the clone clean', () => {
  const ignored = (path: string) => {
    const check = spawnSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: ROOT });
    expect(check.status, `git check-ignore ${path}: ${check.stderr}`).not.toBe(128);
    return check.status === 0;
  };

  it("ignores npm pack's tarball", () => {
    expect(ignored(`${pkg.name}-${pkg.version}.tgz`)).toBe(true);
  });

  it('ignores every file a documented command writes (--out, --record)', () => {
    const written = documentationFiles().flatMap((path) =>
      codeBlocks(readDoc(path))
        .filter((b) => b.info === 'sh')
        .flatMap((b) => [...b.content.matchAll(/--(?:out|record)[= ](\S+)/g)].map((m) => m[1]!)),
    );
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((path) => !ignored(path))).toEqual([]);
  });

  it('ignores a scenario or cassette written at the top of the clone, as older instructions did', () => {
    expect(ignored('fox.scenario.json')).toBe(true);
    expect(ignored('fox.cassette.json')).toBe(true);
  });
});
