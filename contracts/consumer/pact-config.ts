/**
 * Where the consumer tests write the pact and under which names, shared with the pact-to-spec check
 * and the provider verification so that all three read the same file.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSUMER = 'dreamcore-reference-client';
export const PROVIDER = 'dreamcore-api';

/** The project root, found from this file (contracts/consumer/ is two levels down). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `pacts/` at the project root: generated, git-ignored, rewritten by every consumer run. */
export const PACT_DIR = join(PROJECT_ROOT, 'pacts');

/** Pact names the file `<consumer>-<provider>.json`. */
export const PACT_FILE = join(PACT_DIR, `${CONSUMER}-${PROVIDER}.json`);

export const OPENAPI_FILE = join(PROJECT_ROOT, 'openapi.yaml');
