/**
 * The Redis store against the memory store (issue 13): one replica on each, and `--workers 2` on
 * Redis, under the generate, status and mixed workloads. Requests per second and CPU microseconds per
 * request of the simulator (all its processes) and of redis-server (a process of this benchmark's
 * own, on a free port, without persistence). Targets: Redis keeps >= 60 % of the memory store's
 * throughput; two workers serve more than one.
 */
import { execFileSync } from 'node:child_process';
import { startRedis } from '../../test/support/redis-server.js';
import { promptSource } from './prompts.js';
import { BENCH_KEYS, startSimulator, type Target } from './targets.js';
import { call } from './workloads.js';
import { WORKLOADS, runLoad, type LoadOptions, type LoadResult, type WorkloadName } from './workloads.js';

export type StoreTarget = 'memory' | 'redis' | 'redis-2-workers';
export const STORE_TARGETS: readonly StoreTarget[] = ['memory', 'redis', 'redis-2-workers'];

export interface StoreRun {
  target: StoreTarget;
  result: LoadResult;
}

export async function measureStores(
  load: LoadOptions,
  rounds: number,
  log: (line: string) => void,
  workloads: readonly WorkloadName[] = WORKLOADS,
): Promise<StoreRun[]> {
  const redis = await startRedis();
  const targets = new Map<StoreTarget, Target>();
  const runs: StoreRun[] = [];
  try {
    targets.set('memory', await startSimulator());
    targets.set(
      'redis',
      await startSimulator([], ['--store=redis', `--redis-url=${redis.url}`, '--redis-prefix=bench1']),
    );
    targets.set(
      'redis-2-workers',
      await startSimulator(
        [],
        ['--store=redis', `--redis-url=${redis.url}`, '--redis-prefix=bench2', '--workers=2'],
      ),
    );
    for (const workload of workloads) {
      for (let round = 1; round <= rounds; round++) {
        for (const [name, target] of targets) {
          const result = await runLoad(workload, target, {
            ...load,
            sidePids: name === 'memory' ? [] : [redis.pid],
          });
          runs.push({ target: name, result });
          log(
            `  store ${workload.padEnd(8)} round ${round} ${name.padEnd(16)} ${Math.round(result.rps)} req/s, ` +
              `simulator ${Math.round(result.cpuUsPerRequest ?? NaN)} us/req, redis ${Math.round(result.sideCpuUsPerRequest ?? 0)} us/req, ` +
              `non-2xx ${result.non2xx}, other ${result.otherCpu?.toFixed(2) ?? '?'} cores`,
          );
        }
      }
    }
  } finally {
    await Promise.all([...targets.values()].map((t) => t.stop()));
    await redis.stop({ cleanup: true });
  }
  return runs;
}

export interface RedisMemory {
  tasks: number;
  /** used_memory after the tasks, less before, per task (bytes). */
  bytesPerTask: number;
  usedBefore: number;
  usedAfter: number;
}

/**
 * Redis memory per retained task: `tasks` generates through the API of a simulator on a fresh
 * redis-server (8 at a time, realistic prompts; each still in progress, as a task is for most of the
 * time it is kept), INFO memory's used_memory before and after. The baseline is taken after 1,101
 * tasks, so the journal is already at its default bound (1,000 requests) and counts as a constant.
 */
export async function measureRedisMemory(tasks: number): Promise<RedisMemory> {
  const redis = await startRedis();
  let target: Target | undefined;
  try {
    target = await startSimulator([], ['--store=redis', `--redis-url=${redis.url}`]);
    const used = () => {
      const info = execFileSync('redis-cli', ['-p', String(redis.port), 'INFO', 'memory'], {
        encoding: 'utf8',
      });
      return Number(/used_memory:(\d+)/.exec(info)![1]);
    };
    const prompts = promptSource(3);
    // One task first, so the journal, the counters and the world's keys exist before the baseline.
    await call(target, '/api/generate', prompts.body(), BENCH_KEYS[0]);
    for (let i = 0; i < 1100; i++) await call(target, '/api/generate', prompts.body(), BENCH_KEYS[i % 4]);
    const usedBefore = used();
    let next = 0;
    const worker = async () => {
      while (next++ < tasks) await call(target!, '/api/generate', prompts.body(), BENCH_KEYS[next % 4]);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const usedAfter = used();
    return { tasks, usedBefore, usedAfter, bytesPerTask: (usedAfter - usedBefore) / tasks };
  } finally {
    await target?.stop();
    await redis.stop({ cleanup: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const duration = Number(/--duration=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 5);
  const rounds = Number(/--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 2);
  const memoryTasks = Number(/--memory-tasks=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 0);
  if (memoryTasks > 0) console.log(JSON.stringify(await measureRedisMemory(memoryTasks)));
  const runs = await measureStores({ durationS: duration, warmupS: 1, connections: 50 }, rounds, (l) =>
    process.stderr.write(`${l}\n`),
  );
  for (const w of rounds > 0 ? WORKLOADS : []) {
    const best = (t: StoreTarget) =>
      runs
        .filter((r) => r.target === t && r.result.workload === w)
        .sort((a, b) => b.result.rps - a.result.rps)[0]!.result;
    const [m, r, r2] = STORE_TARGETS.map(best);
    console.log(
      `${w}: memory ${Math.round(m!.rps)}, redis ${Math.round(r!.rps)} (${Math.round((100 * r!.rps) / m!.rps)} %), ` +
        `redis 2 workers ${Math.round(r2!.rps)} (${(r2!.rps / r!.rps).toFixed(2)}x one)`,
    );
  }
}
