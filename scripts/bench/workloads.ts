/**
 * The three load workloads, driven by autocannon from the calling process, and the run that
 * measures one of them against one target.
 *
 * - generate: POST /api/generate, every request a new task (keys funded with 10^12 credits).
 * - status:   GET /api/status?task_id=<id> over 1000 tasks created through the API beforehand; on the
 *             simulator the virtual clock is then advanced an hour, so every one of them is SUCCESS
 *             (the shape Prism's example and the bare app answer).
 * - mixed:    a client's flow: one generate, then status polls until done. The generate carries
 *             `X-Mock-Polls: 3`, so on the simulator a task is IN_PROGRESS on polls 1 and 2 and SUCCESS
 *             on the 3rd without moving the clock. Every target gets the same four requests per flow.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { childrenOf, watchCpu } from './machine-load.js';
import { promptSource } from './prompts.js';
import { BENCH_KEYS, type Target } from './targets.js';

export type WorkloadName = 'generate' | 'status' | 'mixed';
export const WORKLOADS: readonly WorkloadName[] = ['generate', 'status', 'mixed'];

export interface LoadOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  /** Processes whose CPU is reported apart (the Redis of a simulator on the Redis store). */
  sidePids?: readonly number[];
}

export interface LoadResult {
  target: Target['name'];
  workload: WorkloadName;
  /** The offered rate of a paced run (paced.ts); absent: as fast as answered. */
  rate?: number;
  /** Responses per second over the measured period (after warm-up). */
  rps: number;
  /** Latency percentiles of 2xx responses, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Mixed workload: flows whose 3rd poll said SUCCESS. */
  completedFlows?: number;
  /** CPU cores used by processes other than this one and the target during the measured period. */
  otherCpu?: number;
  /** The target's own CPU time per response, microseconds (from /proc; insensitive to other load). */
  cpuUsPerRequest?: number;
  /** The side processes' CPU time per response (LoadOptions.sidePids), microseconds. */
  sideCpuUsPerRequest?: number;
  /** performance.now() at the start and end of the measured period (after the warm-up). */
  window: { start: number; end: number };
}

const STATUS_TASKS = 1000;
const GENERATE_BODIES = 64;
const json = (value: unknown) => JSON.stringify(value);

function generateRequest(key: string, body: string, extra: Record<string, string> = {}): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/generate',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extra },
    body,
  };
}

/** POSTs JSON to the target; throws unless 200. */
export async function call(target: Target, path: string, body?: unknown, key?: string): Promise<unknown> {
  const res = await fetch(`${target.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: body === undefined ? undefined : json(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${target.name} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Back to an empty simulator (tasks, balances, clock), so every round starts from the same state. */
async function resetIfSimulator(target: Target): Promise<void> {
  if (target.name === 'simulator') await call(target, '/__mock/reset');
}

/** Creates `count` tasks through the API (8 at a time); returns [taskId, key] pairs. */
async function createTasks(target: Target, count: number): Promise<Array<[string, string]>> {
  const prompts = promptSource(2);
  const out: Array<[string, string]> = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const key = BENCH_KEYS[next++ % BENCH_KEYS.length]!;
      const res = (await call(target, '/api/generate', prompts.body(), key)) as { data: { task_id: string } };
      out.push([res.data.task_id, key]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** The workload's request list for this target, after any state it needs is set up. */
export async function prepare(
  workload: WorkloadName,
  target: Target,
  /** State to create after the reset, before the workload's own (the hostile neighbour's tasks). */
  setup?: (target: Target) => Promise<void>,
): Promise<{ requests: autocannon.Request[]; flows?: { completed: number } }> {
  await resetIfSimulator(target);
  await setup?.(target);
  const prompts = promptSource(1);
  switch (workload) {
    case 'generate':
      return {
        requests: Array.from({ length: GENERATE_BODIES }, (_, i) =>
          generateRequest(BENCH_KEYS[i % BENCH_KEYS.length]!, json(prompts.body())),
        ),
      };
    case 'status': {
      const tasks = await createTasks(target, STATUS_TASKS);
      if (target.name === 'simulator') await call(target, '/__mock/clock/advance', { ms: 3_600_000 });
      return {
        requests: tasks.map(([id, key]) => ({
          method: 'GET',
          path: `/api/status?task_id=${id}`,
          headers: { authorization: `Bearer ${key}` },
        })),
      };
    }
    case 'mixed': {
      const flows = { completed: 0 };
      const bodies = Array.from({ length: GENERATE_BODIES }, () => json(prompts.body()));
      return { flows, requests: clientFlow(BENCH_KEYS, bodies, 3, () => flows.completed++) };
    }
  }
}

/**
 * A client's flow, over and over: a generate (its task done on its `polls`-th poll, X-Mock-Polls), then
 * that many status polls; `onSuccess` once the last poll reads SUCCESS. A generate that is not 200
 * starts the flow again. The mixed workload's, and the fair-share benchmark's clients'.
 */
export function clientFlow(
  keys: readonly string[],
  bodies: readonly string[],
  polls: number,
  onSuccess?: () => void,
): autocannon.Request[] {
  type Ctx = { key?: string; taskId?: string };
  let flow = 0;
  const poll = (last: boolean): autocannon.Request => ({
    method: 'GET',
    setupRequest: (req, context) => {
      const ctx = context as Ctx;
      if (!ctx.taskId) return undefined as unknown as autocannon.Request; // restart the flow
      return {
        ...req,
        path: `/api/status?task_id=${ctx.taskId}`,
        headers: { authorization: `Bearer ${ctx.key}` },
      };
    },
    ...(last && onSuccess
      ? {
          onResponse: (status: number, body: string) => {
            if (status === 200 && body.includes('"status":"SUCCESS"')) onSuccess();
          },
        }
      : {}),
  });
  return [
    {
      method: 'POST',
      path: '/api/generate',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        const n = flow++;
        ctx.key = keys[n % keys.length]!;
        // Spread over autocannon's request: it carries the hostname and port the Host header is
        // built from (without them autocannon sends `Host: undefined:undefined`, refused with 403).
        return {
          ...req,
          ...generateRequest(ctx.key, bodies[n % bodies.length]!, { 'x-mock-polls': String(polls) }),
        };
      },
      onResponse: (status, body, context) => {
        (context as Ctx).taskId =
          status === 200 ? (JSON.parse(body) as { data: { task_id: string } }).data.task_id : undefined;
      },
    },
    ...Array.from({ length: polls }, (_, i) => poll(i === polls - 1)),
  ];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * One bounded autocannon run (warm-up, then the measured period) from this process. Latencies are
 * taken from each response's own timing (autocannon's histogram rounds to whole milliseconds).
 */
export async function runLoad(
  workload: WorkloadName,
  target: Target,
  options: LoadOptions,
  setup?: (target: Target) => Promise<void>,
): Promise<LoadResult> {
  const { requests, flows } = await prepare(workload, target, setup);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let non2xx = 0;
  const instance = autocannon({
    url: target.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationS,
    timeout: 10,
    requests,
    ...({ warmup: { connections: options.connections, duration: options.warmupS } } as object),
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>; // the tracker is also the promise
  // Registered after the warm-up's tracker was created: only the measured period is seen here.
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode < 200 || statusCode > 299) {
      non2xx++;
      return;
    }
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  });
  let flowsAtStart = 0;
  let start = NaN;
  const pid = target.child.pid ?? -1;
  // A cluster primary serves nothing: its workers are the target (--workers).
  const workers = childrenOf(pid);
  const targetPids = [pid, ...workers];
  const machine = watchCpu([process.pid], targetPids, options.sidePids ?? []);
  instance.on('start', () => {
    start = performance.now();
    machine.restart();
    if (flows) flowsAtStart = flows.completed; // flows completed during warm-up do not count
  });
  const result = await instance;
  const end = performance.now();
  const { foreignCores: otherCpu, targetCpuS, sideCpuS } = machine.read();
  const sorted = latencies.subarray(0, count).sort();
  return {
    target: target.name,
    workload,
    rps: result.requests.total / result.duration,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[count - 1] ?? NaN,
    responses: result.requests.total,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(flows ? { completedFlows: flows.completed - flowsAtStart } : {}),
    ...(otherCpu !== undefined ? { otherCpu } : {}),
    ...(targetCpuS !== undefined && result.requests.total > 0
      ? { cpuUsPerRequest: (targetCpuS * 1e6) / result.requests.total }
      : {}),
    ...(sideCpuS !== undefined && result.requests.total > 0
      ? { sideCpuUsPerRequest: (sideCpuS * 1e6) / result.requests.total }
      : {}),
    window: { start, end },
  };
}
