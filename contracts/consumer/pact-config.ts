/**
 * Where the consumer tests write the pact and under which names, shared with the pact-to-spec check
 * and the provider verification so that all three read the same file.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSUMER = 'dreamcore-reference-client';
export const PROVIDER = 'dreamcore-api';

/** The project root, found from this file (contracts/consumer/ is two levels down). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `pacts/` at the project root: generated, git-ignored, rewritten by every consumer run.
 * `DREAMCORE_PACT_DIR` puts it elsewhere: the live runner builds a missing pact into the directory it
 * was asked to read, and its tests do so in a temporary directory, leaving the project's own alone.
 */
export const PACT_DIR = process.env.DREAMCORE_PACT_DIR
  ? resolve(process.env.DREAMCORE_PACT_DIR)
  : join(PROJECT_ROOT, 'pacts');

/** Pact names the file `<consumer>-<provider>.json`. */
export const PACT_FILE_NAME = `${CONSUMER}-${PROVIDER}.json`;
export const PACT_FILE = join(PACT_DIR, PACT_FILE_NAME);

/** What writes the pact: the consumer tests, as `npm run test:contracts` runs them first. */
export const CONSUMER_TEST_COMMAND = 'npx vitest run --project contracts contracts/consumer';

export const OPENAPI_FILE = join(PROJECT_ROOT, 'openapi.yaml');
