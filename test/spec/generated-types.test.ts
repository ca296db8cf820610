/** Generated files must match what the specs produce today: nobody edits them by hand. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles } from '../../scripts/generate-types.js';
import { ROOT } from '../support/spec-walk.js';

describe('generated files', () => {
  it('are up to date with their OpenAPI sources (run `npm run generate` if this fails)', async () => {
    const files = await renderGeneratedFiles(ROOT);
    expect(files.size).toBeGreaterThanOrEqual(2);
    for (const [path, expected] of files) {
      const committed = await readFile(join(ROOT, path), 'utf8');
      expect(committed, `${path} has drifted from its source`).toBe(expected);
      expect(committed.startsWith('/**\n * GENERATED FILE: DO NOT EDIT.')).toBe(true);
    }
  });
});
