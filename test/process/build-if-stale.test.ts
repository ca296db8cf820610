/**
 * `npm start`'s prestart and `npm run fleet` build only when dist/ is stale (scripts/build-if-stale.ts):
 * here on a project of a few files in a temporary directory, with a stand-in for `npm run build`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_INPUTS, buildIfStale, staleBecause } from '../../scripts/build-if-stale.js';
import { ROOT } from '../support/spec-walk.js';

let root: string;
let builds: number;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** The stand-in build: dist/ made of the sources, as `npm run build` would. */
function build(): number {
  builds++;
  write('dist/main.js', `// from ${readFileSync(join(root, 'mock-server/src/main.ts'), 'utf8')}`);
  write('dist/.tsbuildinfo', String(Date.now()));
  return 0;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dreamcore-build-if-stale-'));
  builds = 0;
  write('package.json', '{}');
  write('openapi.yaml', 'openapi: 3.1.0');
  write('mock-server/src/main.ts', 'one');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('buildIfStale', () => {
  it('builds when there is no stamp, then not again while nothing changed', () => {
    expect(staleBecause(root)).toBe('no build stamp');
    expect(buildIfStale(root, build)).toBe(0);
    expect(builds).toBe(1);
    expect(staleBecause(root)).toBeUndefined();
    expect(buildIfStale(root, build)).toBe(0);
    expect(builds).toBe(1);
  });

  it('builds again when a source is edited, added or removed', () => {
    buildIfStale(root, build);
    write('mock-server/src/main.ts', 'two');
    expect(staleBecause(root)).toBe('the sources changed');
    buildIfStale(root, build);
    write('mock-server/src/new-module.ts', '');
    expect(staleBecause(root)).toBe('the sources changed');
    buildIfStale(root, build);
    rmSync(join(root, 'mock-server/src/new-module.ts'));
    expect(staleBecause(root)).toBe('the sources changed');
    buildIfStale(root, build);
    expect(builds).toBe(4);
  });

  it('ignores a file whose times changed but not its contents', () => {
    buildIfStale(root, build);
    write('mock-server/src/main.ts', 'one');
    write('dist/.tsbuildinfo', 'rewritten by tsc');
    expect(staleBecause(root)).toBeUndefined();
  });

  it('builds again when dist/ was built by hand from other sources', () => {
    buildIfStale(root, build);
    write('mock-server/src/main.ts', 'stashed edit');
    build(); // `npm run build`, not through buildIfStale: no stamp written
    write('mock-server/src/main.ts', 'one'); // the edit undone: the inputs match the stamp again
    expect(staleBecause(root)).toBe('dist/ was built from other sources');
    buildIfStale(root, build);
    expect(readFileSync(join(root, 'dist/main.js'), 'utf8')).toBe('// from one');
  });

  it('leaves no stamp when the build fails, so the next start tries again', () => {
    expect(buildIfStale(root, () => 2)).toBe(2);
    expect(staleBecause(root)).toBe('no build stamp');
  });
});

describe('the build inputs', () => {
  it("are every path the Dockerfile's build stage copies in before `npm run build`", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stage = /FROM \S+ AS build\n([\s\S]*?)RUN npm run build/.exec(dockerfile)?.[1];
    expect(stage).toBeDefined();
    const copied = [...stage!.matchAll(/^COPY (.+)$/gm)].flatMap((m) => m[1]!.split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(3);
    for (const path of copied) expect(BUILD_INPUTS).toContain(path.replace(/\/$/, ''));
  });
});
