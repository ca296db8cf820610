/**
 * The memory budget's estimates are honest: in a process of its own (with --expose-gc, so a full GC
 * can be asked for), scripts/bench/memory-costs.ts makes things of each kind through the real HTTP
 * path and compares the heap they take (and their Buffers' external memory) with what the budget
 * charged for them. Each kind's real cost is held within a factor of 2 of its charge.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

const run = promisify(execFile);

describe('what the budget charges against what the heap holds', () => {
  it('is within a factor of 2 for journal entries, rules, accounts, tasks and tenants', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'bench', 'memory-costs.ts'),
        '--n=1000',
        '--json',
      ],
      { cwd: ROOT, maxBuffer: 1024 * 1024 },
    );
    const { results } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      results: Record<string, { measured: number; charged: number; ratio: number }>;
    };
    expect(Object.keys(results)).toHaveLength(9);
    for (const [kind, { ratio, measured, charged }] of Object.entries(results)) {
      expect(ratio, `${kind}: measured ${measured} B, charged ${charged} B`).toBeGreaterThan(0.5);
      expect(ratio, `${kind}: measured ${measured} B, charged ${charged} B`).toBeLessThan(2);
    }
  }, 180_000);
});
