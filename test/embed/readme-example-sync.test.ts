/**
 * The client teams' guide's test example (docs/guides/client-teams.md, "Use it from your tests", moved
 * there from the README) is readme-example.test.ts, word for word but for its import paths.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

it("readme-example.test.ts is the client teams' guide's example", () => {
  const guide = readFileSync(join(ROOT, 'docs', 'guides', 'client-teams.md'), 'utf8');
  expect(guide).toContain('\n## Use it from your tests\n');
  const section = guide.slice(guide.indexOf('\n## Use it from your tests\n'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const example = readFileSync(join(ROOT, 'test', 'embed', 'readme-example.test.ts'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('// The client teams') && !line.startsWith('// readme-example-sync'))
    .join('\n')
    .replace("from '../../mock-server/src/index.js';", "from 'dreamcore-simulator';")
    .replace("from '../../contracts/client/index.js';", "from 'dreamcore-simulator/client';");
  expect(example).toBe(block);
});
