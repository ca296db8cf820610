/**
 * Every relative link of the documentation resolves in the repository: README.md, every Markdown
 * file under docs/, and the descriptions of openapi.yaml and mock-server/control-api.yaml. A link's
 * file must exist, and its `#anchor` must be a heading of that file by GitHub's slug rules. A path
 * cited in code (`docs/benchmarks.md`) must exist too, and nothing may cite the workplace's private
 * folders, which users and CI do not have.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import {
  codeSpans,
  documentationFiles,
  exists,
  filesUnder,
  headings,
  isFile,
  linkTargets,
  readDoc,
  SPEC_FILES,
  specDescriptions,
  type MarkdownDoc,
} from './markdown.js';

/**
 * Files that other branches add and the lead merges with this one; until then a link to one of them
 * is allowed to dangle, and only to the file itself (no anchor). Once a file exists it is checked like
 * any other. Delete an entry once its file is on main.
 */
const PENDING_FILES: ReadonlySet<string> = new Set([
  'docs/reference/options.md', // generated from the options table (another branch)
  'docs/guides/proxy-and-replay-security.md', // written with the proxy's security work (another branch)
]);

const anchorsOf = new Map<string, Set<string>>();
function anchors(path: string): Set<string> {
  let found = anchorsOf.get(path);
  if (!found) {
    found = new Set(headings(readDoc(path)).map((h) => h.slug));
    anchorsOf.set(path, found);
  }
  return found;
}

const hasScheme = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** What is wrong with one link target of `doc`, or undefined when it resolves. */
function problemWith(doc: MarkdownDoc, target: string): string | undefined {
  if (hasScheme(target)) return undefined;
  if (target.startsWith('/')) return 'absolute path: write it relative to the file';
  const hash = target.indexOf('#');
  const rawPath = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const path = decodeURI(rawPath.split('?')[0]!);
  const file = path === '' ? doc.path : relative(ROOT, normalize(join(ROOT, dirname(doc.path), path)));
  const rel = file.split('\\').join('/');
  if (rel.startsWith('..')) return 'points outside the repository';
  if (!exists(join(ROOT, rel))) {
    if (PENDING_FILES.has(rel) && anchor === undefined) return undefined;
    return `no such file: ${rel}`;
  }
  if (anchor === undefined) return undefined;
  if (!rel.endsWith('.md') || !isFile(join(ROOT, rel))) return `an anchor into ${rel}, which is not Markdown`;
  if (anchor === '' || !anchors(rel).has(anchor)) {
    return `no heading #${anchor} in ${rel} (headings: ${[...anchors(rel)].map((a) => `#${a}`).join(' ')})`;
  }
  return undefined;
}

const sources: MarkdownDoc[] = [
  ...documentationFiles().map(readDoc),
  ...SPEC_FILES.flatMap((spec) => specDescriptions(spec)),
];

/** Top-level entries of the repository a cited path may start with (not build output). */
const TRACKED_ROOTS = new Set([
  'README.md',
  'openapi.yaml',
  'package.json',
  'Dockerfile',
  'docker-compose.yml',
  'redocly.yaml',
  'vitest.config.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'eslint.config.js',
  'contracts',
  'docker',
  'docs',
  'generated',
  'mock-server',
  'scripts',
  'test',
]);

describe('links in the documentation and the specs', () => {
  it('reads README.md, the docs and both specs', () => {
    expect(sources.map((s) => s.path)).toEqual(
      expect.arrayContaining(['README.md', 'docs/README.md', ...SPEC_FILES]),
    );
  });

  it('every relative link and #anchor resolves to a file and heading of the repository', () => {
    const broken: string[] = [];
    for (const doc of sources) {
      for (const target of linkTargets(doc)) {
        const problem = problemWith(doc, target);
        if (problem) broken.push(`${doc.where}: (${target}) ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path cited as code exists', () => {
    const missing: string[] = [];
    for (const doc of sources) {
      for (const span of codeSpans(doc)) {
        if (!/^[\w.-]+(\/[\w.@-]+)*\/?$/.test(span) || !span.includes('/')) continue;
        if (!TRACKED_ROOTS.has(span.split('/')[0]!)) continue;
        if (PENDING_FILES.has(span)) continue;
        if (!exists(join(ROOT, span))) missing.push(`${doc.where}: \`${span}\``);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the pending list names only files this branch links to and does not have', () => {
    const linked = new Set(
      sources.flatMap((doc) =>
        linkTargets(doc)
          .filter((t) => !hasScheme(t) && !t.includes('#'))
          .map((t) =>
            relative(ROOT, normalize(join(ROOT, dirname(doc.path), t)))
              .split('\\')
              .join('/'),
          ),
      ),
    );
    for (const pending of PENDING_FILES) expect(linked, pending).toContain(pending);
  });
});

/** Where the project's own text lives: everything a user or CI gets, less dependencies and build output. */
function projectFiles(): string[] {
  const skip = /^(node_modules|dist|reports|pacts|coverage|\.git)\//;
  const top = ['README.md', 'openapi.yaml', 'package.json', 'Dockerfile', 'docker-compose.yml'];
  const dirs = ['docs', 'mock-server', 'contracts', 'scripts', 'docker', 'generated', '.ci'];
  return [...top, ...dirs.filter((d) => exists(join(ROOT, d))).flatMap((d) => filesUnder(d))].filter(
    (p) => !skip.test(p) && !/\.(png|jpe?g|gif|ico)$/.test(p),
  );
}

describe("the workplace's private folders", () => {
  it('are cited nowhere in the README, the docs, the specs, the simulator, the contracts or the scripts', () => {
    const privateFolder = /shared\/(api|design|hooks)\//;
    const files = projectFiles();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'openapi.yaml']));
    const citing = files.filter((p) => privateFolder.test(readFileSync(join(ROOT, p), 'utf8')));
    expect(citing).toEqual([]);
  });
});
