/**
 * The "hostile neighbour" case (issue 11, item 5): an unrelated key's throughput with 100,000 tasks
 * of other keys that fell due while nobody polled them, against an empty simulator. Before the fix
 * every generate and account read walked all of them: 0.5 ms per generate with none, 17 ms with
 * 20,000, 130 ms with 133,000. The target: within 10 % of the empty simulator.
 *
 * One simulator process; rounds alternate empty and crowded, each after a reset, so both see the
 * same process, heap and machine. The neighbours' tasks are made through the API with a 1 ms
 * duration, then the virtual clock moves an hour: all due, none settled.
 */
import autocannon from 'autocannon';
import { promptSource } from './prompts.js';
import { startSimulator, type Target } from './targets.js';
import { call, runLoad, type LoadOptions, type LoadResult } from './workloads.js';

export const NEIGHBOUR_KEYS = ['sk-neighbour-0', 'sk-neighbour-1', 'sk-neighbour-2', 'sk-neighbour-3'];

/** Makes `count` tasks of the neighbour keys with autocannon (fast), then lets them all fall due. */
async function abandonTasks(target: Target, count: number): Promise<void> {
  const prompts = promptSource(3);
  const result = await autocannon({
    url: target.url,
    connections: 32,
    amount: count,
    timeout: 30,
    requests: Array.from({ length: 64 }, (_, i) => ({
      method: 'POST' as const,
      path: '/api/generate',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${NEIGHBOUR_KEYS[i % NEIGHBOUR_KEYS.length]}`,
        'x-mock-duration-ms': '1',
      },
      body: JSON.stringify(prompts.body()),
    })),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`neighbour tasks: ${result.non2xx} non-2xx, ${result.errors} errors`);
  await call(target, '/__mock/clock/advance', { ms: 3_600_000 });
}

export interface NeighbourRun {
  tasks: number;
  empty: LoadResult[];
  crowded: LoadResult[];
}

export async function measureHostileNeighbour(
  load: LoadOptions,
  rounds: number,
  tasks: number,
  log: (line: string) => void,
): Promise<NeighbourRun> {
  const target = await startSimulator(
    [],
    [`--key=${NEIGHBOUR_KEYS.map((k) => `${k}=1000000000000`).join(',')}`],
  );
  const run: NeighbourRun = { tasks, empty: [], crowded: [] };
  try {
    await runLoad('generate', target, load); // warm-up: the first run of a process is the JIT's
    for (let round = 1; round <= rounds; round++) {
      const empty = await runLoad('generate', target, load);
      run.empty.push(empty);
      log(`  hostile neighbour round ${round}: empty ${Math.round(empty.rps)} req/s`);
      const started = performance.now();
      const crowded = await runLoad('generate', target, load, (t) => abandonTasks(t, tasks));
      run.crowded.push(crowded);
      log(
        `  hostile neighbour round ${round}: with ${tasks} due tasks of other keys ${Math.round(crowded.rps)} req/s ` +
          `(set-up and run ${Math.round((performance.now() - started) / 1000)} s)`,
      );
    }
  } finally {
    await target.stop();
  }
  return run;
}
