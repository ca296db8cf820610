/**
 * `npm run build` for tests that start the compiled simulator, once at a time across the test
 * processes that run in parallel: two builds writing dist/ together could hand a starting process a
 * half-written file. A lock directory (atomic mkdir) serialises them; one older than the longest
 * build is a leftover of a killed run and is taken over.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ROOT } from './spec-walk.js';

const LOCK = join(
  tmpdir(),
  `dreamcore-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);
const STALE_MS = 5 * 60_000;

async function acquire(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      // Waiting for another process's build (a real event), not for the simulator.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function buildProject(): Promise<void> {
  await acquire();
  try {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
