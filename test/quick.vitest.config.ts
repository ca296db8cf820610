/**
 * `npm run test:quick`: the unit project without the test files that start a program from the
 * operating system (redis-server, HAProxy; the browser tests, which drive Chromium, are a project of
 * their own), so a fresh clone can check itself with nothing installed but Node.js. `npm test` runs
 * everything, through vitest.config.ts. A test (test/docs/frictions.test.ts) finds the files that
 * start such a program and holds this list to them.
 */
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import base from '../vitest.config.js';

/** Test files that start redis-server or HAProxy (vitest globs, relative to the project root). */
export const NEEDS_SYSTEM_PROGRAMS = [
  'test/fleet/**',
  'test/store/redis-store.test.ts',
  'test/verdict/stores.test.ts',
  'test/process/docker-compose.test.ts',
  'test/process/start-cost.test.ts',
  'test/tenants/creation-shares.test.ts',
];

type Project = { test: { name: string; exclude?: string[] } };

const projects = (base.test?.projects ?? []) as Project[];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    projects: projects.map((project) =>
      project.test.name === 'unit'
        ? {
            ...project,
            test: { ...project.test, exclude: [...(project.test.exclude ?? []), ...NEEDS_SYSTEM_PROGRAMS] },
          }
        : project,
    ) as NonNullable<ViteUserConfig['test']>['projects'],
  },
});
