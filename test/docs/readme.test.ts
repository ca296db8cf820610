/**
 * The README is a landing page a new user reads in five minutes, and every other page is reachable
 * from it; its quick start says what a new user trips on (the Node.js version, the programs
 * `npm test` needs) before they trip; the documentation speaks to readers outside the project.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import {
  codeBlocks,
  documentationFiles,
  exists,
  filesUnder,
  linkTargets,
  readDoc,
  readerText,
} from './markdown.js';

const README = 'README.md';
const readme = readDoc(README);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

/** Root-relative paths a document links to (files only, anchors and external links aside). */
function linkedFiles(path: string): string[] {
  return linkTargets(readDoc(path))
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => relative(ROOT, normalize(join(ROOT, dirname(path), decodeURI(t.split('#')[0]!)))))
    .map((p) => p.split('\\').join('/'));
}

describe('the README', () => {
  it('is short enough to read in five minutes (at most 1,200 words of prose)', () => {
    const prose = readerText({ ...readme, tokens: readme.tokens.filter((t) => t.type !== 'fence') });
    expect(prose.split(' ').length).toBeLessThanOrEqual(1200);
  });

  it('reaches every page and image under docs/, through links', () => {
    const reached = new Set<string>([README]);
    const queue = [README];
    while (queue.length > 0) {
      for (const file of linkedFiles(queue.shift()!)) {
        if (reached.has(file)) continue;
        reached.add(file);
        if (file.endsWith('.md') && exists(join(ROOT, file))) queue.push(file);
      }
    }
    const unreached = filesUnder('docs').filter((file) => !reached.has(file));
    expect(unreached).toEqual([]);
  });

  it('links to a guide for each kind of user, and to the index', () => {
    const linked = linkedFiles(README);
    for (const guide of ['client-teams', 'qa', 'ci-and-contracts']) {
      expect(linked).toContain(`docs/guides/${guide}.md`);
    }
    expect(linked).toContain('docs/README.md');
  });
});

describe('the quick start', () => {
  const start = readme.tokens.findIndex((t) => t.type === 'inline' && t.content === 'Quick start');
  const quickStart = readme.tokens.slice(start);
  const firstCommand = quickStart.findIndex((t) => t.type === 'fence');
  const before = readerText({ ...readme, tokens: quickStart.slice(0, firstCommand) });

  it('says which Node.js it needs, and how to get it, before the first command', () => {
    for (const range of pkg.engines.node.split('||')) {
      const floor = semver.minVersion(range.trim())!;
      const stated = floor.minor === 0 ? `${floor.major}` : `${floor.major}.${floor.minor}`;
      expect(before).toContain(stated);
    }
    expect(before).toMatch(/Node\.js 20/);
    expect(before).toContain('nvm install 24');
    expect(codeBlocks({ ...readme, tokens: quickStart }).at(0)?.content).toContain(
      'scripts/ci/with-node.sh 24 npm ci',
    );
  });

  it('names what npm test needs from the system, with the command that installs it, next to npm test', () => {
    const blocks = codeBlocks({ ...readme, tokens: quickStart });
    const test = blocks.findIndex((b) => /^npm test\b/m.test(b.content));
    expect(test).toBeGreaterThan(-1);
    expect(blocks[test + 1]?.content.trim()).toBe(
      'sudo apt-get update && sudo apt-get install -y redis-server haproxy chromium',
    );
    expect(readerText({ ...readme, tokens: quickStart })).toContain('npm run test:quick');
  });
});

describe('the documentation speaks to readers outside the project', () => {
  it("never names the team's own machines or notes the reader cannot see", () => {
    const internal = /development (VMs?|machines?)\b|design notes/i;
    const found = documentationFiles()
      .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }))
      .filter(({ text }) => internal.test(text))
      .map(({ path, text }) => `${path}: ${internal.exec(text)![0]}`);
    expect(found).toEqual([]);
  });
});
