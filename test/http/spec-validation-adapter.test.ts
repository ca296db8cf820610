/**
 * The validator adapter memoizes express-openapi-validator's route matchers (upstream PR #1217 is
 * still open). If the validator stops reading path-to-regexp from the module we patch, the
 * memoization silently does nothing: this test says so.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validatorPathToRegexp } from '../../mock-server/src/http/middleware/spec-validation.js';
import { testSimulator } from '../support/harness.js';

describe('the validator adapter', () => {
  it('memoizes the route matchers the validator compiles per request', async () => {
    await testSimulator(); // builds the app, which installs the memoization
    const { pathToRegexp } = validatorPathToRegexp();
    expect(pathToRegexp.memoized).toBe(true);
    const a = pathToRegexp('/api/status', { sensitive: true, strict: true });
    expect(pathToRegexp('/api/status', { sensitive: true, strict: true })).toBe(a);
    expect(pathToRegexp('/api/status', { sensitive: false, strict: true })).not.toBe(a);
  });

  it('still finds the validator reading pathToRegexp from that module at call time', () => {
    const require = createRequire(import.meta.url);
    const source = readFileSync(
      createRequire(require.resolve('express-openapi-validator')).resolve(
        'express-openapi-validator/dist/middlewares/openapi.metadata.js',
      ),
      'utf8',
    );
    expect(source).toMatch(/require\("path-to-regexp"\)/);
    expect(source).toMatch(/\(0, path_to_regexp_1\.pathToRegexp\)\(/);
  });
});
