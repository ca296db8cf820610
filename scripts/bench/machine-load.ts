/**
 * How much CPU processes other than ours used during a measurement (Linux /proc; undefined
 * elsewhere). A benchmark on a shared 2-core machine is only meaningful if this stays near zero.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

interface Snapshot {
  /** All CPUs' busy and total jiffies since boot. */
  busy: number;
  total: number;
  /** utime + stime of the watched processes, jiffies. */
  ours: number;
}

function processJiffies(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces); utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function snapshot(pids: readonly number[]): Snapshot | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total, ours: pids.reduce((sum, pid) => sum + processJiffies(pid), 0) };
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times (100 on every mainstream kernel build). */
const USER_HZ = 100;

/**
 * Watches from now (or from restart()). foreignCores: CPU cores used on average by every process but
 * `pids` since then (2 = both cores of a 2-core machine). targetCpuS: CPU seconds used by `target`.
 */
export function watchCpu(
  pids: readonly number[],
  target: number | readonly number[],
  side: readonly number[] = [],
) {
  const targets = typeof target === 'number' ? [target] : target;
  const all = [...pids, ...targets.filter((t) => !pids.includes(t)), ...side];
  const sum = (list: readonly number[]) => list.reduce((s, pid) => s + processJiffies(pid), 0);
  let start = snapshot(all);
  let targetStart = sum(targets);
  let sideStart = sum(side);
  return {
    restart() {
      start = snapshot(all);
      targetStart = sum(targets);
      sideStart = sum(side);
    },
    /**
     * foreignCores: every process but ours, the target's and the side ones (Redis, say);
     * targetCpuS: the target's processes; sideCpuS: the side processes'.
     */
    read(): { foreignCores?: number; targetCpuS?: number; sideCpuS?: number } {
      const end = snapshot(all);
      const targetEnd = sum(targets);
      if (!start || !end || end.total === start.total) return {};
      const foreign = end.busy - start.busy - (end.ours - start.ours);
      return {
        foreignCores: Math.max(0, (foreign / (end.total - start.total)) * cpus().length),
        targetCpuS: targetEnd > 0 ? (targetEnd - targetStart) / USER_HZ : undefined,
        ...(side.length > 0 ? { sideCpuS: (sum(side) - sideStart) / USER_HZ } : {}),
      };
    },
  };
}

/** The children of a process (Linux), e.g. the workers of a cluster primary. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
