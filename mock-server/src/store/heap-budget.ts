/**
 * The memory budget's default, from the V8 heap this process runs with (memory-budget.ts uses it, and
 * the options table shows it as the default of --memory-budget-mb). A leaf: the options table and the
 * budget both read it without reading each other.
 */
import { getHeapStatistics } from 'node:v8';

const MiB = 1024 * 1024;
/** The young generation V8 counts in heap_size_limit: 3 semi-spaces, at most 64 MiB each on Node 24. */
const DEFAULT_SEMI_SPACE_MB = 64;

/** The value (MiB) of a V8 flag given to this process: NODE_OPTIONS, then its arguments (which win). */
function heapFlagMb(name: string, argv: readonly string[], nodeOptions: string): number | undefined {
  const args = [...nodeOptions.split(/\s+/).filter(Boolean), ...argv];
  let value: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split('=', 2) as [string, string | undefined];
    if (flag.replace(/_/g, '-') !== `--${name}`) continue;
    const raw = inline ?? args[i + 1];
    if (raw !== undefined && /^[0-9]+$/.test(raw)) value = Number(raw);
  }
  return value;
}

/**
 * The default budget: half the V8 heap's old generation, where retained state lives. V8's
 * `heap_size_limit` also counts the young generation (3 semi-spaces: 192 MiB on Node 24 whatever the
 * old generation), so with `--max-old-space-size=96` it reports 288 MiB: half of that would be more
 * than the old generation itself. The old generation is `--max-old-space-size` when it is given, else
 * the limit less the young generation (`--max-semi-space-size`, or the largest default, 64 MiB).
 */
export function defaultBudgetBytes(
  heapLimit = getHeapStatistics().heap_size_limit,
  argv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): number {
  const oldFlag = heapFlagMb('max-old-space-size', argv, nodeOptions);
  const semi = heapFlagMb('max-semi-space-size', argv, nodeOptions) ?? DEFAULT_SEMI_SPACE_MB;
  const old =
    oldFlag !== undefined
      ? Math.min(oldFlag * MiB, heapLimit)
      : Math.max(heapLimit - 3 * semi * MiB, heapLimit / 4);
  return Math.floor(old / 2);
}
