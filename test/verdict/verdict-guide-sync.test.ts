/**
 * The client teams' guide's two clients ("Is my client ready?", "Two clients through the same bad
 * day") are clients.test.ts's, word for word: the test runs what the guide shows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

it("the guide's naive and careful clients are clients.test.ts's", () => {
  const guide = readFileSync(join(ROOT, 'docs', 'guides', 'client-teams.md'), 'utf8');
  const heading = '\n### Two clients through the same bad day\n';
  expect(guide).toContain(heading);
  const block = /```ts\n([\s\S]*?)```/.exec(guide.slice(guide.indexOf(heading)))?.[1];
  const test = readFileSync(join(ROOT, 'test', 'verdict', 'clients.test.ts'), 'utf8');
  const begin = test.indexOf('\n', test.indexOf("// The client teams' guide shows what follows")) + 1;
  const shown = test.slice(begin, test.indexOf('// guide: end'));
  expect(shown.length).toBeGreaterThan(500);
  expect(block).toBe(shown);
});
