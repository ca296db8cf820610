/**
 * startSimulator() to ready, in a warm process (issue 12: every test file of a client team may start
 * its own). Imports the built package entry (dist/), as a consumer does; the first start of the
 * process (module loading, spec cache, validators) is reported apart, then `runs` more are timed,
 * each followed by stop(). Ready means the handle is returned: listening, a health check answered.
 *
 *   npx tsx scripts/bench/embedded-start.ts [--runs=30]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type * as Entry from '../../mock-server/src/index.js';
import { ROOT } from './targets.js';

type EntryModule = typeof Entry;

export interface EmbeddedStart {
  firstMs: number;
  runsMs: number[];
}

export async function measureEmbeddedStart(runs: number): Promise<EmbeddedStart> {
  const entry = pathToFileURL(join(ROOT, 'dist', 'mock-server', 'src', 'index.js')).href;
  const t0 = performance.now();
  const { startSimulator } = (await import(entry)) as EntryModule;
  const once = async () => {
    const started = performance.now();
    const sim = await startSimulator({ clock: 'virtual' });
    const health = await fetch(`${sim.url}/__mock/health`);
    if (health.status !== 200) throw new Error(`health ${health.status}`);
    const ms = performance.now() - started;
    await sim.stop();
    return ms;
  };
  await once();
  const firstMs = performance.now() - t0;
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once());
  return { firstMs, runsMs };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const runs = Number(/^--runs=(\d+)$/.exec(process.argv[2] ?? '')?.[1] ?? 30);
  const { firstMs, runsMs } = await measureEmbeddedStart(runs);
  const sorted = [...runsMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  console.log(
    `first start (imports included) ${firstMs.toFixed(1)} ms; then ${runs} starts: median ${at(0.5).toFixed(1)} ms, ` +
      `p90 ${at(0.9).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`,
  );
}
