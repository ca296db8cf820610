/**
 * `npm run bench`: the simulator against Prism (same openapi.yaml) and a bare Express 5 app, under
 * three workloads, plus start-up time, memory per retained task and 4K image serving. Writes
 * docs/benchmarks.md (overwritten) and prints it.
 *
 *   npx tsx scripts/bench/run-bench.ts [--duration=5] [--warmup=1] [--connections=50] [--rounds=3]
 *     [--rate=1000] [--cpu-rate=4000] [--memory-tasks=1000000] [--ready-runs=5] [--prism-log=warn|info]
 *     [--neighbour-tasks=100000] [--only=ready,embedded,memory,load,paced,images,neighbour,store,report,fair-share]
 *     [--out=docs/benchmarks.md|-] [--attacks=none,neighbour,long-polls,...]
 *
 * `--only` runs some sections (by default every one); the report then has only those, and is printed
 * rather than written over docs/benchmarks.md unless --out says where. `--attacks` runs some of the
 * fair-share section's attacks (scripts/bench/fair-share.ts), to look at one.
 *
 * Every target is its own process on 127.0.0.1; autocannon runs in this process. Targets alternate
 * within each workload (simulator, Prism, bare Express, then again), and each figure is the round
 * with the most requests per second. Every run is bounded (warm-up + duration).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as prettier from 'prettier';
import { measureImages, type ImageTiming } from './images.js';
import { measureEmbeddedStart, type EmbeddedStart } from './embedded-start.js';
import { measureHostileNeighbour, type NeighbourRun } from './hostile-neighbour.js';
import {
  HEAP_MB as FAIR_SHARE_HEAP_MB,
  HOSTILE_CONNECTIONS,
  PARTY_CONNECTIONS,
  measureFairShare,
  type FairShareAttack,
} from './fair-share.js';
import {
  STORE_TARGETS,
  measureRedisMemory,
  measureStores,
  type RedisMemory,
  type StoreRun,
  type StoreTarget,
} from './store-bench.js';
import { runPaced } from './paced.js';
import { measureReportCost, type ReportCostRun } from './report-cost.js';
import {
  ROOT,
  measureSimulatorReady,
  startBareExpress,
  startPrism,
  startSimulator,
  type PrismLog,
  type Target,
  type TargetName,
} from './targets.js';
import { WORKLOADS, runLoad, type LoadOptions, type LoadResult, type WorkloadName } from './workloads.js';

// ---------------------------------------------------------------------------------------------
// Options

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}
function intFlag(name: string, fallback: number, min = 0): number {
  const value = Number(flag(name, String(fallback)));
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`--${name} takes a whole number >= ${min}`);
  return value;
}

const LOAD: LoadOptions = {
  durationS: intFlag('duration', 5, 1),
  warmupS: intFlag('warmup', 1, 0),
  connections: intFlag('connections', 50, 1),
};
const ROUNDS = intFlag('rounds', 3, 1);
/** Offered rate of the extra fixed-rate latency runs (0: skip them). */
const RATE = intFlag('rate', 1000, 0);
/**
 * Offered rate of the runs that compare CPU per request at the same rate (0: skip them): below the
 * simulator's ceiling on a 2-core VM, so that both targets answer every request.
 */
const CPU_RATE = intFlag('cpu-rate', 4000, 0);
const MEMORY_TASKS = intFlag('memory-tasks', 1_000_000, 0);
const READY_RUNS = intFlag('ready-runs', 5, 1);
const PRISM_LOG = flag('prism-log', 'warn') as PrismLog;
if (PRISM_LOG !== 'warn' && PRISM_LOG !== 'info') throw new Error('--prism-log takes warn or info');
const NEIGHBOUR_TASKS = intFlag('neighbour-tasks', 100_000, 1);
/** Some of the fair-share section's attacks (fair-share.ts checks the names); all by default. */
const FAIR_SHARE_ATTACKS = flag('attacks', '').split(',').filter(Boolean);
const SECTION_NAMES = [
  'ready',
  'embedded',
  'memory',
  'load',
  'paced',
  'images',
  'neighbour',
  'store',
  'report',
  'fair-share',
] as const;
type Section = (typeof SECTION_NAMES)[number];
const ONLY = flag('only', '');
const SECTIONS = new Set<Section>(ONLY ? (ONLY.split(',') as Section[]) : SECTION_NAMES);
for (const s of SECTIONS)
  if (!SECTION_NAMES.includes(s))
    throw new Error(`--only takes some of ${SECTION_NAMES.join(',')}; got ${s}`);
const OUT = flag('out', ONLY ? '-' : 'docs/benchmarks.md');

const COMMAND =
  process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
    : `npx tsx scripts/bench/run-bench.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Helpers

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const ms = (n: number) => fmt(n, n < 10 ? 2 : 1);

interface Check {
  target: string;
  measured: string;
  pass: boolean;
}

/** Runs the memory probe in its own process; resolves with its JSON line. */
function measureMemory(tasks: number): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=8192',
        '--max-semi-space-size=64', // fewer scavenges while a million tasks pile up; no effect on what is retained
        '--import',
        'tsx',
        join('scripts', 'bench', 'memory-per-task.ts'),
        `--tasks=${tasks}`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`memory probe exited with ${code}:\n${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number | string>);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Run

const startedAt = new Date();
const t0 = performance.now();

log('building (npm run -s build)');
execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });

/** The simulator's revision: HEAD, and whether mock-server/ differs from it (others may be editing). */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const head = git('log', '-1', '--format=%h %s');
    const dirty = git('status', '--porcelain', '--', 'mock-server', 'generated', 'openapi.yaml');
    return `${head}${dirty ? ` + uncommitted changes in ${dirty.split('\n').length} file(s) under mock-server/, generated/ or openapi.yaml` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}
const REVISION = revision();

const cpuList = cpus();
const machine = [
  `CPU: ${cpuList.length} x ${cpuList[0]?.model.trim() ?? 'unknown'}${cpuList[0]?.speed ? ` @ ${cpuList[0].speed} MHz` : ''}`,
  `Memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB total, ${fmt(freemem() / 2 ** 30, 1)} GiB free at start`,
  `OS: ${platform()} ${release()} ${arch()}`,
  `Node.js: ${process.version}; load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
];

// 1. Start-up, on a quiet machine.
const ready: Array<{ healthMs: number; bannerMs: number }> = [];
if (SECTIONS.has('ready')) {
  log(`start-up: ${READY_RUNS} spawns of the simulator`);
  for (let i = 0; i < READY_RUNS; i++) ready.push(await measureSimulatorReady());
}
const readyMedian = median(ready.map((r) => r.healthMs));

// 1b. startSimulator() in this (warm) process, as a test file of a client team would call it.
let embedded: EmbeddedStart | undefined;
if (SECTIONS.has('embedded')) {
  log('start-up: startSimulator() in a warm process, 30 times');
  embedded = await measureEmbeddedStart(30);
}

// 2. Memory per retained task, in its own process, before any load runs.
let memory: Record<string, number | string> | undefined;
if (MEMORY_TASKS > 0 && SECTIONS.has('memory')) {
  log(`memory: ${fmt(MEMORY_TASKS)} tasks through Simulator.generate (child process)`);
  memory = await measureMemory(MEMORY_TASKS);
}

// 3. The targets.
log('starting targets');
const targets: Target[] = [];
const stopAll = async () => {
  await Promise.all(targets.map((t) => t.stop()));
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
let images: ImageTiming[] = [];
const runs: LoadResult[] = [];
const fixedRate: LoadResult[] = [];
/** The simulator and bare Express at one steady rate, status and generate: CPU per request compared. */
const sameRate: LoadResult[] = [];
let neighbour: NeighbourRun | undefined;
let reportCost: ReportCostRun[] = [];
let fairShare: FairShareAttack[] = [];
let storeRuns: StoreRun[] = [];
let redisMemory: RedisMemory | undefined;
/** Why the store section did not run, when it did not (no redis-server on this machine). */
let storeSkipped: string | undefined;
const needsTargets = SECTIONS.has('images') || SECTIONS.has('load') || SECTIONS.has('paced');
try {
  if (needsTargets) {
    targets.push(await startSimulator(), await startPrism(PRISM_LOG), await startBareExpress());
    for (const t of targets) log(`  ${t.name} at ${t.url} (answered ${fmt(t.startMs)} ms after spawn)`);
  }

  // 4. 4K images, on the simulator before it has rendered anything.
  if (SECTIONS.has('images')) {
    log('4K images');
    images = await measureImages(targets[0]!);
  }

  // 5. Load, alternating targets.
  const show = (label: string, r: LoadResult) =>
    log(
      `  ${label} ${r.target.padEnd(12)} ${fmt(r.rps).padStart(7)} req/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)} ms  ` +
        `cpu ${fmt(r.cpuUsPerRequest ?? NaN)} us/req  non-2xx ${r.non2xx}  errors ${r.errors}  ` +
        `other processes ${r.otherCpu?.toFixed(2) ?? '?'} cores`,
    );
  for (const workload of SECTIONS.has('load') ? WORKLOADS : []) {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) {
        const r = await runLoad(workload, target, LOAD);
        runs.push(r);
        show(`${workload.padEnd(8)} round ${round}`, r);
      }
    }
  }
  // 6. Latency at a steady offered rate, below saturation (simulator and the bare ceiling).
  if (RATE > 0 && SECTIONS.has('paced')) {
    for (const workload of WORKLOADS) {
      for (const target of [targets[0]!, targets[2]!]) {
        const r = await runPaced(workload, target, { ...LOAD, rate: RATE });
        fixedRate.push(r);
        show(`${workload.padEnd(8)} @${RATE}/s`, r);
      }
    }
  }
  // 6b. CPU per request at one steady rate: closed-loop, bare Express answers several times the
  // simulator's requests, and a socket write costs less per request the more of them there are (the
  // kernel wakes the reader less often), so part of the closed-loop ratio is the rate, not our code.
  if (CPU_RATE > 0 && SECTIONS.has('paced')) {
    for (const workload of ['status', 'generate'] as const) {
      for (const target of [targets[0]!, targets[2]!]) {
        const r = await runPaced(workload, target, { ...LOAD, rate: CPU_RATE });
        sameRate.push(r);
        show(`${workload.padEnd(8)} @${CPU_RATE}/s`, r);
      }
    }
  }
  await stopAll();
  targets.length = 0;

  // 7. The hostile neighbour: an unrelated key among other keys' abandoned due tasks.
  if (SECTIONS.has('neighbour')) {
    log(`hostile neighbour: generate with ${fmt(NEIGHBOUR_TASKS)} due tasks of other keys, ${ROUNDS} rounds`);
    neighbour = await measureHostileNeighbour(LOAD, ROUNDS, NEIGHBOUR_TASKS, log);
  }

  // 7b. What the verdict costs on the request path: --report on against --report off.
  if (SECTIONS.has('report')) {
    log(`report: --report on against off, status and generate, ${ROUNDS} rounds`);
    reportCost = await measureReportCost(LOAD, ROUNDS, log);
  }

  // 7c. A hostile tenant's attacks against a victim tenant and the default world (issue: fair share).
  if (SECTIONS.has('fair-share')) {
    log(
      'fair share: a victim tenant and the default world before and during each attack of a hostile tenant',
    );
    fairShare = await measureFairShare(LOAD, log, FAIR_SHARE_ATTACKS);
  }

  // 8. The Redis store against the memory store, and two workers against one (issue 13).
  if (SECTIONS.has('store')) {
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      storeSkipped = 'redis-server is not installed (apt-get install -y redis-server)';
      log(`store: skipped: ${storeSkipped}`);
    } else {
      log(`store: memory, redis, redis with --workers=2; ${ROUNDS} rounds of each workload`);
      storeRuns = await measureStores(LOAD, ROUNDS, log);
      log('store: Redis memory per retained task (20,000 tasks through the API)');
      redisMemory = await measureRedisMemory(20_000);
    }
  }
} finally {
  await stopAll();
}

// ---------------------------------------------------------------------------------------------
// Evaluate

const NAMES: readonly TargetName[] = ['simulator', 'prism', 'bare-express'];
const best = (workload: WorkloadName, target: TargetName): LoadResult =>
  runs.filter((r) => r.workload === workload && r.target === target).sort((a, b) => b.rps - a.rps)[0]!;

/**
 * The simulator's requests/s over the other target's in each round: the two ran seconds apart, so a
 * slow phase of the VM (it has them: every target's CPU per request rises together) hits both. Shown
 * beside the best-round ratio, which decides PASS/MISS.
 */
const pairedRatios = (workload: WorkloadName, other: TargetName): number[] => {
  const of = (target: TargetName) => runs.filter((r) => r.workload === workload && r.target === target);
  const others = of(other);
  return of('simulator').map((s, i) => s.rps / others[i]!.rps);
};
const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
const times = (x: number) => `${x.toFixed(2)}x`;
const paired = (ratios: number[], show: (x: number) => string) =>
  ROUNDS > 1 ? ` (rounds paired: ${ratios.map(show).join(', ')}; median ${show(median(ratios))})` : '';

const checks: Check[] = [];
/** A run that had refusals or socket errors measured something else: it cannot pass a target. */
const cleanRun = (r: LoadResult) => r.non2xx === 0 && r.errors === 0;
for (const workload of SECTIONS.has('load') ? (['generate', 'status'] as const) : []) {
  const ratio = best(workload, 'simulator').rps / best(workload, 'prism').rps;
  checks.push({
    target: `${workload}: >= 3x Prism's throughput`,
    measured: `${times(ratio)}${paired(pairedRatios(workload, 'prism'), times)}`,
    pass: ratio >= 3 && cleanRun(best(workload, 'simulator')),
  });
}
const LOADED = SECTIONS.has('load') ? WORKLOADS : [];
for (const workload of LOADED) {
  const ratio = best(workload, 'simulator').rps / best(workload, 'bare-express').rps;
  checks.push({
    target: `${workload}: >= 70% of bare Express's throughput`,
    measured: `${percent(ratio)}${paired(pairedRatios(workload, 'bare-express'), percent)}`,
    pass: ratio >= 0.7 && cleanRun(best(workload, 'simulator')),
  });
}
/**
 * CPU per request against bare Express's (issue 20: at most 2x, on status and on generate, with the
 * journal, the metrics and the verdict on): each target's median over the rounds, as the CPU a request
 * costs moves less with the machine's phases than throughput does.
 */
const cpuOf = (workload: WorkloadName, target: TargetName) =>
  median(
    runs.filter((r) => r.workload === workload && r.target === target).map((r) => r.cpuUsPerRequest ?? NaN),
  );
for (const workload of SECTIONS.has('load') ? (['status', 'generate'] as const) : []) {
  const ratio = cpuOf(workload, 'simulator') / cpuOf(workload, 'bare-express');
  checks.push({
    target: `${workload}: CPU per request <= 2x bare Express's (journal, metrics and verdict on)`,
    measured: `${times(ratio)} (${fmt(cpuOf(workload, 'simulator'))} against ${fmt(cpuOf(workload, 'bare-express'))} us, medians)`,
    pass: ratio <= 2,
  });
}
for (const workload of ['status', 'generate'] as const) {
  const at = (target: TargetName) => sameRate.find((r) => r.workload === workload && r.target === target);
  const [sim, bare] = [at('simulator'), at('bare-express')];
  if (!sim || !bare) continue;
  const ratio = (sim.cpuUsPerRequest ?? NaN) / (bare.cpuUsPerRequest ?? NaN);
  checks.push({
    target: `(extra) ${workload}: CPU per request <= 2x bare Express's at the same steady ${fmt(CPU_RATE)} req/s`,
    measured: `${times(ratio)} (${fmt(sim.cpuUsPerRequest ?? NaN)} against ${fmt(bare.cpuUsPerRequest ?? NaN)} us; answered ${fmt(sim.rps)} and ${fmt(bare.rps)} req/s)`,
    pass: ratio <= 2 && cleanRun(sim) && sim.rps >= 0.95 * CPU_RATE,
  });
}
for (const workload of LOADED) {
  const r = best(workload, 'simulator');
  checks.push({
    target: `${workload}: p99 < 10 ms at ${LOAD.connections} connections`,
    measured: `${ms(r.p99)} ms`,
    pass: r.p99 < 10 && r.non2xx === 0 && r.errors === 0,
  });
}
for (const r of fixedRate.filter((x) => x.target === 'simulator')) {
  checks.push({
    target: `(extra) ${r.workload}: p99 < 10 ms at a steady ${fmt(RATE)} req/s, <= ${LOAD.connections} connections`,
    measured: `${ms(r.p99)} ms`,
    pass: r.p99 < 10 && r.non2xx === 0 && r.errors === 0,
  });
}
if (ready.length > 0)
  checks.push({
    target: 'ready (health 200) within 500 ms of spawn',
    measured: `median ${fmt(readyMedian)} ms`,
    pass: readyMedian < 500,
  });
if (embedded) {
  checks.push({
    target: 'startSimulator() ready in a warm process: median < 100 ms',
    measured: `median ${ms(median(embedded.runsMs))} ms (max ${ms(Math.max(...embedded.runsMs))} ms; the process's first ${fmt(embedded.firstMs)} ms, imports included)`,
    pass: median(embedded.runsMs) < 100,
  });
}
const neighbourRatio = (n: NeighbourRun) =>
  Math.max(...n.crowded.map((r) => r.rps)) / Math.max(...n.empty.map((r) => r.rps));
if (neighbour) {
  const paired = neighbour.crowded.map((c, i) => c.rps / neighbour!.empty[i]!.rps);
  checks.push({
    target: `hostile neighbour: generate with ${fmt(neighbour.tasks)} due tasks of other keys within 10% of an empty simulator`,
    measured: `${percent(neighbourRatio(neighbour))} (rounds paired: ${paired.map(percent).join(', ')})`,
    pass: neighbourRatio(neighbour) >= 0.9,
  });
}
/** A fair-share run's throughput against its "before": the victim's and the default world's. */
const kept = (a: FairShareAttack, party: 'victim' | 'home') => a.during[party].rps / a.before[party].rps;
const cleanParty = (r: FairShareAttack['during']['victim']) => r.non2xx === 0 && r.errors === 0;
for (const a of fairShare.filter((x) => !x.reference)) {
  checks.push({
    target: `fair share, ${a.name}: the victim tenant and the default world keep >= 50% of their throughput`,
    measured: `victim ${percent(kept(a, 'victim'))}, default world ${percent(kept(a, 'home'))}`,
    pass:
      kept(a, 'victim') >= 0.5 &&
      kept(a, 'home') >= 0.5 &&
      cleanParty(a.during.victim) &&
      cleanParty(a.during.home),
  });
  checks.push({
    target: `fair share, ${a.name}: health answers within 100 ms at p95`,
    measured: `${ms(a.during.healthP95)} ms (${ms(a.before.healthP95)} ms before)`,
    pass: a.during.healthP95 <= 100,
  });
}
const bestStore = (workload: WorkloadName, target: StoreTarget): LoadResult | undefined =>
  storeRuns
    .filter((r) => r.result.workload === workload && r.target === target)
    .map((r) => r.result)
    .sort((a, b) => b.rps - a.rps)[0];
if (storeSkipped)
  checks.push({
    target: 'Redis store: >= 60% of the memory store, two workers above one',
    measured: `not run: ${storeSkipped}`,
    pass: false,
  });
for (const workload of storeRuns.length > 0 ? WORKLOADS : []) {
  const [memoryRun, redisRun, workersRun] = STORE_TARGETS.map((t) => bestStore(workload, t)!);
  const ratio = redisRun!.rps / memoryRun!.rps;
  // Issue 20: at least 85% on generate (one script to admit, one to accept, one to journal).
  const floor = workload === 'generate' ? 0.85 : 0.6;
  checks.push({
    target: `${workload}: the Redis store >= ${percent(floor)} of the memory store's throughput`,
    measured: percent(ratio),
    pass: ratio >= floor && cleanRun(redisRun!) && cleanRun(memoryRun!),
  });
  const gain = workersRun!.rps / redisRun!.rps;
  checks.push({
    target: `${workload}: --workers=2 serves more than one worker (Redis store)`,
    measured: times(gain),
    pass: gain > 1 && cleanRun(workersRun!),
  });
}
if (memory) {
  const perTask = Number(memory.bytesPerTask);
  checks.push({
    target: `< 1 KiB per retained task with ${fmt(MEMORY_TASKS)} tasks`,
    measured: `${fmt(perTask)} B`,
    pass: perTask < 1024,
  });
}
for (const img of images) {
  const worstFirst = Math.max(...img.first);
  const worstCached = Math.max(...img.cached);
  checks.push({
    target: `${img.size} image: first fetch < 300 ms (every one, incl. the process's first)`,
    measured: `max ${ms(worstFirst)} ms`,
    pass: worstFirst < 300,
  });
  checks.push({
    target: `${img.size} image: cached fetch < 50 ms`,
    measured: `max ${ms(worstCached)} ms`,
    pass: worstCached < 50,
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const lines: string[] = [];
lines.push('# Benchmarks');
lines.push('');
lines.push(
  'Generated by `scripts/bench/run-bench.ts` (`npm run bench`); this file is overwritten by every run. ' +
    'Figures are for people: they vary with the machine and its load, and no test asserts them. ' +
    'What was profiled and fixed, with figures before and after: [performance-history.md](performance-history.md).',
);
lines.push('');
lines.push(`- Date: ${startedAt.toISOString()}`);
lines.push(`- Command: \`${COMMAND}\``);
lines.push(`- Simulator revision: ${REVISION}`);
for (const m of machine) lines.push(`- ${m}`);
lines.push(
  `- Load: autocannon ${LOAD.connections} connections, pipelining 1, ${LOAD.warmupS} s warm-up then ${LOAD.durationS} s, ` +
    `${ROUNDS} rounds alternating the targets; the best round (requests/s) of each is shown. Total wall time ${fmt((performance.now() - t0) / 1000)} s.`,
);
lines.push('');
lines.push('## Targets');
lines.push('');
lines.push(row(['target', 'measured', 'result']));
lines.push(row(['---', '---', '---']));
for (const c of checks) lines.push(row([c.target, c.measured, c.pass ? 'PASS' : '**MISS**']));
lines.push('');
if (SECTIONS.has('load')) {
  lines.push('## Throughput and latency');
  lines.push('');
  lines.push(
    row([
      'workload',
      'simulator req/s',
      'Prism req/s',
      'bare Express req/s',
      'sim / Prism',
      'sim / bare',
      'sim p50 ms',
      'sim p99 ms',
      'CPU us/req sim, Prism, bare',
    ]),
  );
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const w of WORKLOADS) {
    const [s, p, b] = NAMES.map((n) => best(w, n));
    lines.push(
      row([
        w,
        fmt(s!.rps),
        fmt(p!.rps),
        fmt(b!.rps),
        `${(s!.rps / p!.rps).toFixed(2)}x`,
        `${((s!.rps / b!.rps) * 100).toFixed(0)}%`,
        ms(s!.p50),
        ms(s!.p99),
        [s, p, b].map((r) => fmt(r!.cpuUsPerRequest ?? NaN)).join(', '),
      ]),
    );
  }
  lines.push('');
  lines.push('Every target and workload (best round; latencies of 2xx responses, ms):');
  lines.push('');
  lines.push(
    row([
      'workload',
      'target',
      'req/s',
      'p50',
      'p90',
      'p99',
      'max',
      'responses',
      'non-2xx',
      'errors',
      'CPU us/req',
      'other CPU',
      'req/s of each round (other CPU)',
    ]),
  );
  lines.push(
    row([
      '---',
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
    ]),
  );
  for (const w of WORKLOADS) {
    for (const n of NAMES) {
      const r = best(w, n);
      const cores = (x: LoadResult) => x.otherCpu?.toFixed(2) ?? '?';
      const all = runs
        .filter((x) => x.workload === w && x.target === n)
        .map((x) => `${fmt(x.rps)} (${cores(x)})`);
      const flows = r.completedFlows !== undefined ? ` (${fmt(r.completedFlows)} flows done)` : '';
      lines.push(
        row([
          w,
          n,
          fmt(r.rps),
          ms(r.p50),
          ms(r.p90),
          ms(r.p99),
          ms(r.max),
          `${fmt(r.responses)}${flows}`,
          r.non2xx,
          r.errors + r.timeouts,
          fmt(r.cpuUsPerRequest ?? NaN),
          cores(r),
          all.join(', '),
        ]),
      );
    }
  }
  lines.push('');
  lines.push(
    '"CPU us/req": CPU time (user + system, from /proc) the target process itself spent per response ' +
      'during the measured period; unlike requests/s it hardly depends on what else runs on the machine.',
  );
  lines.push('');
  lines.push(
    '"other CPU": cores used on average by processes other than autocannon (this process) and the target ' +
      'during the measured period, from /proc/stat; near 0 means the figures are clean, above about 0.2 ' +
      'means another program competed for the 2 cores and the run understates every target.',
  );
  const busiest = Math.max(...[...runs, ...fixedRate].map((r) => r.otherCpu ?? 0));
  if (busiest > 0.2) {
    lines.push('');
    lines.push(
      `**Warning**: other processes used up to ${busiest.toFixed(2)} cores during some runs; compare ratios ` +
        'between targets of the same round rather than absolute figures, and re-run on a quiet machine.',
    );
  }
  lines.push('');
  lines.push('### About the p99 target at 50 connections');
  lines.push('');
  const bareBest = Math.max(...WORKLOADS.map((w) => best(w, 'bare-express').rps));
  const bestSimRps = Math.max(...WORKLOADS.map((w) => best(w, 'simulator').rps));
  lines.push(
    `With ${LOAD.connections} connections each waiting for its answer before sending again (closed loop), ` +
      `Little's law gives mean latency = connections / throughput, so a p99 under 10 ms needs more than ` +
      `${fmt(LOAD.connections / 0.01)} requests/s. The bare Express ceiling on this machine, with autocannon ` +
      `sharing its ${cpuList.length} cores, is ${fmt(bareBest)} requests/s (mean latency >= ` +
      `${ms((LOAD.connections / bareBest) * 1000)} ms)` +
      (bareBest < LOAD.connections / 0.01
        ? ', so no Express server can meet that target here at saturation. '
        : `; the simulator's best, ${fmt(bestSimRps)} requests/s, gives at least ${ms((LOAD.connections / bestSimRps) * 1000)} ms. `) +
      (RATE > 0
        ? `The runs below offer a steady ${fmt(RATE)} requests/s instead (open loop, evenly spaced, over at most ` +
          `${LOAD.connections} keep-alive connections; \`scripts/bench/paced.ts\`), which measures the latency a client ` +
          "sees when the server is not saturated. (autocannon's own rate option sends each connection's quota in a " +
          'burst at the start of every second, which queues like saturation.)'
        : ''),
  );
  if (fixedRate.length + sameRate.length > 0) {
    lines.push('');
    lines.push(
      row([
        'workload',
        'target',
        'offered req/s',
        'answered req/s',
        'p50',
        'p90',
        'p99',
        'max',
        'CPU us/req',
        'non-2xx',
        'other CPU',
      ]),
    );
    lines.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const r of [...fixedRate, ...sameRate]) {
      lines.push(
        row([
          r.workload,
          r.target,
          fmt(r.rate ?? NaN),
          fmt(r.rps),
          ms(r.p50),
          ms(r.p90),
          ms(r.p99),
          ms(r.max),
          fmt(r.cpuUsPerRequest ?? NaN),
          r.non2xx + r.errors,
          r.otherCpu?.toFixed(2) ?? '?',
        ]),
      );
    }
  }
}
lines.push('');
lines.push('## Start-up, memory, images');
lines.push('');
if (ready.length > 0)
  lines.push(
    `- Ready: spawn to the first 200 from \`/__mock/health\` (polled every 5 ms), ${READY_RUNS} runs: ` +
      `median **${fmt(readyMedian)} ms** (${ready.map((r) => fmt(r.healthMs)).join(', ')}); ` +
      `banner line printed after ${ready.map((r) => fmt(r.bannerMs)).join(', ')} ms.`,
  );
if (memory) {
  lines.push(
    `- Memory: ${fmt(Number(memory.tasks))} tasks accepted through \`Simulator.generate\` and settled ` +
      `(${memory.lastStatus}), prompts of ${fmt(Number(memory.promptLength))} characters on average: heapUsed ` +
      `${fmt(Number(memory.heapBefore) / 2 ** 20)} MiB -> ${fmt(Number(memory.heapAfter) / 2 ** 20)} MiB after a full GC, ` +
      `**${fmt(Number(memory.bytesPerTask))} bytes per task** (${fmt(Number(memory.bytesPerTaskBeforeHeapDrain))} before the ` +
      `pending heap let go of settled entries); RSS ${fmt(Number(memory.rss) / 2 ** 20)} MiB; accepting took ` +
      `${fmt(Number(memory.acceptedMs) / 1000, 1)} s (${fmt(Number(memory.tasks) / (Number(memory.acceptedMs) / 1000))} tasks/s, ` +
      `prompt generation included), settling ${fmt(Number(memory.settleMs) / 1000, 1)} s.`,
  );
}
for (const img of images) {
  lines.push(
    `- ${img.size} JPEG (${fmt(img.bytes / 1024)} KiB) over HTTP: first fetch ${img.first.map(ms).join(', ')} ms; ` +
      `cached fetch ${img.cached.map(ms).join(', ')} ms.`,
  );
}
if (neighbour) {
  lines.push('');
  lines.push('## The hostile neighbour');
  lines.push('');
  lines.push(
    `One key's generate throughput (autocannon, ${LOAD.connections} connections, the four bench keys) with ` +
      `${fmt(neighbour.tasks)} tasks of four other keys that fell due an hour ago and were never polled, against ` +
      'the same simulator process just reset (rounds alternate). Before issue 11 item 5 every generate and ' +
      "account read walked every owner's due tasks: 0.5 ms per generate with none, 17 ms with 20,000, 130 ms " +
      'with 133,000 (about 6,500 req/s down to 750). Each owner now has its own heap of deadlines.',
  );
  lines.push('');
  lines.push(row(['round', 'empty req/s', 'crowded req/s', 'crowded / empty', 'CPU us/req empty, crowded']));
  lines.push(row(['---', '---:', '---:', '---:', '---:']));
  neighbour.empty.forEach((e, i) => {
    const c = neighbour!.crowded[i]!;
    lines.push(
      row([
        i + 1,
        fmt(e.rps),
        fmt(c.rps),
        percent(c.rps / e.rps),
        `${fmt(e.cpuUsPerRequest ?? NaN)}, ${fmt(c.cpuUsPerRequest ?? NaN)}`,
      ]),
    );
  });
}
if (reportCost.length > 0) {
  lines.push('');
  lines.push('## What the verdict costs');
  lines.push('');
  lines.push(
    `The same simulator with \`--report on\` (the default: every public request observed and folded into its ` +
      `world's verdict, GET /__mock/report) and \`--report off\`, autocannon at ${LOAD.connections} connections, ` +
      `${ROUNDS} rounds alternating the two processes; medians.`,
  );
  lines.push('');
  lines.push(
    row(['workload', 'on: req/s', 'off: req/s', 'on: CPU us/req', 'off: CPU us/req', 'verdict: us/req']),
  );
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:']));
  for (const run of reportCost) {
    const cpu = (rs: LoadResult[]) => median(rs.map((r) => r.cpuUsPerRequest ?? NaN));
    const rps = (rs: LoadResult[]) => median(rs.map((r) => r.rps));
    lines.push(
      row([
        run.workload,
        fmt(rps(run.on)),
        fmt(rps(run.off)),
        fmt(cpu(run.on)),
        fmt(cpu(run.off)),
        fmt(cpu(run.on) - cpu(run.off)),
      ]),
    );
  }
}
if (fairShare.length > 0) {
  lines.push('');
  lines.push('## Fair share');
  lines.push('');
  lines.push(
    `A victim tenant and the default world on one simulator process (\`node --max-old-space-size=${FAIR_SHARE_HEAP_MB}\`: ` +
      'a memory budget of half that, an eighth of it a tenant; a control token, so that callers without it have ' +
      'their share of tenant creation; the rate limit off) with a hostile tenant attacking it from another ' +
      `address (\`scripts/bench/fair-share.ts\`, the attacks of \`scripts/bench/hostile-tenant.ts\`, which ` +
      '`test/fairness/hostile-tenant.test.ts` holds to the documented answers). The victim and the default world ' +
      `each run a client's flow at once, a generate then its status poll, over ${PARTY_CONNECTIONS} connections ` +
      `(autocannon, ${LOAD.warmupS} s warm-up then ${LOAD.durationS} s), with a health check every ` +
      `10 ms; each attack's state is made first, then the hostile keeps it up over ${HOSTILE_CONNECTIONS} ` +
      'connections of a process of its own, as fast as it is answered. Each attack is measured three times in a ' +
      'row: before it, with its state made and nothing more sent ("state": what holding it costs the others), and ' +
      'while it is kept up ("during", which the targets judge). Two references are not attacks: `none` shows what ' +
      'measuring twice in a row moves, `neighbour` what an ordinary third client with as many connections takes ' +
      'anyway. The simulator runs with its time share as configured (on by default: each party, a tenant or the ' +
      'tenants of one address or the default world, has an equal share of a busy process; ' +
      '`DREAMCORE_FAIR_SHARE_BUSY=off` measures without it). Throughput counts 2xx answers only.',
  );
  lines.push('');
  lines.push(
    row([
      'attack',
      'victim req/s: before, state, during',
      'victim kept: state, during',
      'default world req/s: before, state, during',
      'default world kept: state, during',
      'health p95 ms: before, state, during',
      'the hostile was answered, during',
      'cores during: simulator, hostile, other',
    ]),
  );
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---', '---:']));
  for (const a of fairShare) {
    const runs = [a.before, a.state, a.during].filter((r) => r !== undefined);
    const keptOf = (party: 'victim' | 'home') =>
      [a.state, a.during]
        .filter((r) => r !== undefined)
        .map((r) => percent(r[party].rps / a.before[party].rps))
        .join(', ');
    const answered = Object.entries(a.during.hostile)
      .map(([kind, n]) => `${fmt(n)} x ${kind}`)
      .join(', ');
    lines.push(
      row([
        a.name,
        runs.map((r) => fmt(r.victim.rps)).join(', '),
        keptOf('victim'),
        runs.map((r) => fmt(r.home.rps)).join(', '),
        keptOf('home'),
        runs.map((r) => ms(r.healthP95)).join(', '),
        answered || '-',
        [a.during.simCores, a.during.hostileCores, a.during.otherCpu]
          .map((c) => c?.toFixed(2) ?? '-')
          .join(', '),
      ]),
    );
  }
  lines.push('');
  lines.push('The attacks, and what making their state was answered:');
  lines.push('');
  for (const a of fairShare)
    lines.push(`- **${a.name}**: ${a.what}.${a.setup === '-' ? '' : ` Set-up: ${a.setup}.`}`);
}
if (storeRuns.length > 0) {
  lines.push('');
  lines.push('## The Redis store');
  lines.push('');
  lines.push(
    'The same workloads against one simulator on the memory store, one on the Redis store, and one on ' +
      'the Redis store with `--workers=2` (the cluster primary and its two workers counted as the ' +
      "simulator), all on one redis-server of the benchmark's own (free port, no persistence). " +
      '"CPU us/req" is per response, from /proc: the simulator\'s processes, then redis-server\'s.',
  );
  lines.push('');
  lines.push(
    row([
      'workload',
      'store',
      'req/s',
      'p50',
      'p99',
      'CPU us/req sim, redis',
      'non-2xx',
      'other CPU',
      'req/s of each round',
    ]),
  );
  lines.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const w of WORKLOADS) {
    for (const t of STORE_TARGETS) {
      const r = bestStore(w, t)!;
      const all = storeRuns
        .filter((x) => x.result.workload === w && x.target === t)
        .map((x) => fmt(x.result.rps));
      lines.push(
        row([
          w,
          t,
          fmt(r.rps),
          ms(r.p50),
          ms(r.p99),
          `${fmt(r.cpuUsPerRequest ?? NaN)}, ${t === 'memory' ? '-' : fmt(r.sideCpuUsPerRequest ?? NaN)}`,
          r.non2xx + r.errors,
          r.otherCpu?.toFixed(2) ?? '?',
          all.join(', '),
        ]),
      );
    }
  }
  if (redisMemory) {
    lines.push('');
    lines.push(
      `Redis memory: ${fmt(redisMemory.tasks)} tasks generated through the API of a simulator on a fresh redis-server ` +
        `(after 1,101 first, so the journal is at its bound): used_memory ${fmt(redisMemory.usedBefore / 2 ** 20, 1)} MiB -> ` +
        `${fmt(redisMemory.usedAfter / 2 ** 20, 1)} MiB, **${fmt(redisMemory.bytesPerTask)} bytes per retained task** ` +
        '(its record, its places in the order, open and due sets, and its ledger entry).',
    );
  }
}
lines.push('');
lines.push('## Method');
lines.push('');
lines.push(
  [
    `- **Simulator**: \`node dist/mock-server/src/main.js --port=0 --rate-limit=off --request-log=off --log-level=warn --clock=virtual --latency=fast --seed=bench --key=<4 keys with 10^12 credits>\`; URL read from its banner. The journal keeps its default (1,000 requests), as QA runs it; the rate limit is off because every workload is one client far above it, and the request log is off as Prism's is (\`-v warn\`).`,
    `- **Prism** ${'`'}prism mock openapi.yaml -p PORT -h 127.0.0.1 -v ${PRISM_LOG}${'`'} (its binary run by node, not through npx). Prism validates each request and answers the spec's examples; \`-v ${PRISM_LOG}\` ${PRISM_LOG === 'warn' ? "turns off its per-request log lines, as the simulator's are" : 'is its default: one log line per request'}.`,
    '- **Bare Express** (`scripts/bench/bare-express.ts`, transpiled and run by plain node): Express 5 with `express.json()`, the same response bodies, no validation, no authentication, no state: the ceiling for an Express server on this machine.',
    '- **generate**: POST /api/generate with 64 realistic prompts (seeded faker) over 4 keys; every request creates a task (12 to 18 credits each). The simulator is reset (`POST /__mock/reset`) before each run.',
    '- **status**: GET /api/status over 1000 tasks created through the API just before (each polled with the key that created it). On the simulator the virtual clock is then advanced one hour, so all are SUCCESS, the shape Prism and the bare app answer; the first poll of each settles it.',
    "- **mixed**: a client's flow, repeated by each connection: POST /api/generate with `X-Mock-Polls: 3`, then three GET /api/status of the new task. On the simulator the task is IN_PROGRESS on polls 1 and 2 and SUCCESS on the 3rd, without moving the clock (so the flow is deterministic and needs no control call). Prism and bare Express get the same four requests (they ignore the header). Requests/s counts all four.",
    "- **Latency** is measured per response (autocannon's `response` event, sub-millisecond), 2xx only; a run with any non-2xx or socket error fails the p99 check.",
    '- **Memory**: `scripts/bench/memory-per-task.ts` in its own `node --expose-gc` process (tsx): a MemoryStore and Simulator built directly, each request parsed from JSON and its owner derived from the key as the HTTP path does, then every task settled (virtual clock advanced), three full GCs, and (heapUsed after - heapUsed before) / tasks.',
    '- **Images**: tasks with `quality: high` at 1:1 (4096x4096) and 16:9 (5504x3040) that succeed on their first poll; each image URL fetched twice with `fetch`, timing the complete download. The first fetch of the run is the first render of a freshly started simulator.',
  ].join('\n'),
);
lines.push('');

const config = (await prettier.resolveConfig(join(ROOT, 'docs', 'benchmarks.md'))) ?? {};
const markdown = await prettier.format(lines.join('\n'), { ...config, parser: 'markdown' });
if (OUT !== '-') writeFileSync(join(ROOT, OUT), markdown);
process.stdout.write(markdown);
log(`done in ${fmt((performance.now() - t0) / 1000)} s${OUT !== '-' ? `; wrote ${OUT}` : ''}`);
process.exit(0);
