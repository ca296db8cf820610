/**
 * Vitest global set-up of the unit project: `npm run build` once, before any test file runs, so the
 * tests that start the compiled simulator or pack the package find dist/ complete and never build it
 * concurrently with one another.
 */
import { execFileSync } from 'node:child_process';
import { ROOT } from './spec-walk.js';

export default function setup(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'pipe' });
}
