/** The README's test example is readme-example.test.ts, word for word but for its import paths. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

it('readme-example.test.ts is the README example', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from your tests'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const example = readFileSync(join(ROOT, 'test', 'embed', 'readme-example.test.ts'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('// The README') && !line.startsWith('// readme-example-sync'))
    .join('\n')
    .replace("from '../../mock-server/src/index.js';", "from 'dreamcore-simulator';")
    .replace("from '../../contracts/client/index.js';", "from 'dreamcore-simulator/client';");
  expect(example).toBe(block);
});
