/**
 * CPU profile of the compiled simulator under one workload of the benchmark, or of its start-up:
 * `node --cpu-prof --cpu-prof-dir=DIR dist/mock-server/src/main.js <bench flags>` while autocannon
 * (in this process) drives it, then SIGTERM (the profile is written on exit) and a summary of it.
 *
 *   npx tsx scripts/bench/profile-sim.ts --workload=generate|status|mixed|startup
 *     [--target=simulator|bare-express] [--duration=10] [--connections=50] [--dir=/tmp/prof] [--top=25]
 *     [--args="<more simulator flags>"]
 *
 * Only the measured period (after the warm-up) is summarised, so start-up does not dilute the
 * figures. `--target=bare-express` profiles the bare app under the same load, for comparison.
 * Run `npm run -s build` first (run-bench.ts does).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarize, type CpuProfile } from './cpuprofile-summary.js';
import {
  MAIN_JS,
  ROOT,
  freePort,
  probe,
  simulatorArgs,
  startBareExpress,
  startSimulator,
  type Target,
} from './targets.js';
import { WORKLOADS, runLoad, type WorkloadName } from './workloads.js';

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const workload = flag('workload', 'generate');
const dir = flag('dir', '/tmp/prof');
const durationS = Number(flag('duration', '10'));
const connections = Number(flag('connections', '50'));
const top = Number(flag('top', '25'));
const targetName = flag('target', 'simulator');
/** `--args="--report=off --journal-size=0"`: more flags for the simulator (a variant to profile). */
const extraArgs = flag('args', '').split(' ').filter(Boolean);
if (targetName !== 'simulator' && targetName !== 'bare-express')
  throw new Error('--target: simulator or bare-express');
if (workload !== 'startup' && !(WORKLOADS as readonly string[]).includes(workload)) {
  throw new Error(`--workload takes startup or one of ${WORKLOADS.join(', ')}`);
}
mkdirSync(dir, { recursive: true });
const before = new Set(readdirSync(dir));
const profArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
let window: { fromMs: number; toMs: number; requests?: number } | undefined;

if (workload === 'startup') {
  // Spawn to the first 200 from the health check, then stop: the profile covers the start-up only.
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...profArgs, MAIN_JS, ...simulatorArgs(port)], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (;;) {
    const status = await probe(`http://127.0.0.1:${port}/__mock/health`, 500).catch(() => 0);
    if (status === 200) break;
    if (performance.now() - started > 30_000) throw new Error('no health 200 within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  process.stderr.write(`health 200 after ${(performance.now() - started).toFixed(0)} ms (with --cpu-prof)\n`);
  child.kill('SIGTERM');
  await exited;
} else {
  const target: Target =
    targetName === 'simulator' ? await startSimulator(profArgs, extraArgs) : await startBareExpress(profArgs);
  try {
    const r = await runLoad(workload as WorkloadName, target, { connections, durationS, warmupS: 1 });
    window = {
      fromMs: r.window.start - target.spawnedAt,
      toMs: r.window.end - target.spawnedAt,
      requests: r.responses,
    };
    process.stderr.write(
      `${target.name} ${workload}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
        `non-2xx ${r.non2xx}, errors ${r.errors} (under the profiler)\n`,
    );
  } finally {
    await target.stop();
  }
}

const fresh = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
if (!fresh[0]) throw new Error(`no new .cpuprofile in ${dir}`);
process.stderr.write(`profile: ${fresh[0]}\n\n`);
process.stdout.write(summarize(JSON.parse(readFileSync(fresh[0], 'utf8')) as CpuProfile, { top, ...window }));
