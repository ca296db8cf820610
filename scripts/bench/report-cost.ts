/**
 * What the verdict costs on the request path (issue 21): the same simulator with `--report on` (the
 * default: every public request observed and folded into its world's verdict) and `--report off`,
 * under the status and generate workloads, CPU per request and requests/s. Two processes, started
 * once; rounds alternate them, so a slow phase of the machine hits both.
 */
import { startSimulator, type Target } from './targets.js';
import { runLoad, type LoadOptions, type LoadResult, type WorkloadName } from './workloads.js';

export interface ReportCostRun {
  workload: WorkloadName;
  on: LoadResult[];
  off: LoadResult[];
}

export async function measureReportCost(
  load: LoadOptions,
  rounds: number,
  log: (line: string) => void,
): Promise<ReportCostRun[]> {
  const on: Target = await startSimulator([], ['--report=on']);
  const off: Target = await startSimulator([], ['--report=off']);
  const runs: ReportCostRun[] = [];
  try {
    for (const workload of ['status', 'generate'] as const) {
      const run: ReportCostRun = { workload, on: [], off: [] };
      for (let round = 1; round <= rounds; round++) {
        for (const [which, target] of [
          ['on', on],
          ['off', off],
        ] as const) {
          const r = await runLoad(workload, target, load);
          run[which].push(r);
          log(
            `  report ${which.padEnd(3)} ${workload.padEnd(8)} round ${round}: ${Math.round(r.rps)} req/s, ` +
              `${Math.round(r.cpuUsPerRequest ?? NaN)} us of CPU per request`,
          );
        }
      }
      runs.push(run);
    }
  } finally {
    await Promise.all([on.stop(), off.stop()]);
  }
  return runs;
}
