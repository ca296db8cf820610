import { defineConfig } from 'vitest/config';

/**
 * Three kinds of tests:
 * - `unit`: the spec, the domain, the HTTP layer and the properties; run in parallel threads.
 * - `browser`: the console and the docs page in the system's Chromium (test/browser), one file at a
 *   time in forks: each file starts a browser, and two at once would only slow both on 2 cores.
 * - `contracts`: Pact loads a native library, so these run in forks, one file at a time; the package
 *   scripts run consumer, pact-to-spec and provider steps in that order (see `test:contracts`).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'contracts/client/**/*.test.ts'],
          globalSetup: ['test/support/build-once.ts'],
          exclude: ['test/browser/**'],
          pool: 'threads',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'contracts',
          include: ['contracts/{consumer,pact-spec,provider,live}/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
