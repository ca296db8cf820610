/**
 * Latency below saturation: requests started at a steady rate (open loop, evenly spaced, not in
 * bursts) over a keep-alive pool of at most N connections, from this process. autocannon's own
 * rate option sends each connection's quota for the second back to back at the start of every
 * second, which queues like saturation; this does not.
 *
 * Uses the same request lists as the autocannon workloads: a list with per-request setup (the mixed
 * flow) is run as one flow per start, in order, with its context; other lists are cycled one request
 * per start.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type autocannon from 'autocannon';
import { watchCpu } from './machine-load.js';
import type { Target } from './targets.js';
import { prepare, type LoadResult, type WorkloadName } from './workloads.js';

export interface PacedOptions {
  /** Requests per second offered. */
  rate: number;
  connections: number;
  durationS: number;
  warmupS: number;
}

function send(
  agent: Agent,
  base: URL,
  req: autocannon.Request,
  wantBody: boolean,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: req.method ?? 'GET',
        path: req.path ?? '/',
        headers: {
          ...(req.headers as Record<string, string>),
          ...(req.body !== undefined ? { 'content-length': Buffer.byteLength(req.body) } : {}),
        },
      },
      (res) => {
        let body = '';
        if (wantBody) res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        else res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

export async function runPaced(
  workload: WorkloadName,
  target: Target,
  options: PacedOptions,
): Promise<LoadResult> {
  const { requests } = await prepare(workload, target);
  const isFlow = requests.some((r) => typeof r.setupRequest === 'function');
  const perStart = isFlow ? requests.length : 1;
  const base = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });

  let measuring = false;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let responses = 0;
  let completedFlows = 0;
  let next = 0;

  const record = (status: number, ms: number) => {
    if (!measuring) return;
    responses++;
    if (status < 200 || status > 299) non2xx++;
    else latencies.push(ms);
  };

  const start = async () => {
    try {
      if (!isFlow) {
        const req = requests[next++ % requests.length]!;
        const res = await send(agent, base, req, false);
        record(res.status, res.ms);
        return;
      }
      const context: Record<string, unknown> = {};
      for (let i = 0; i < requests.length; i++) {
        let req: autocannon.Request | undefined = { ...requests[i]! };
        if (typeof req.setupRequest === 'function') req = req.setupRequest(req, context);
        if (!req) return;
        const onResponse = requests[i]!.onResponse;
        const res = await send(agent, base, req, typeof onResponse === 'function');
        record(res.status, res.ms);
        if (typeof onResponse === 'function') onResponse(res.status, res.body, context, {});
      }
      if (measuring) completedFlows++;
    } catch {
      if (measuring) errors++;
    }
  };

  const pids = [process.pid, target.child.pid ?? -1];
  const cpu = watchCpu(pids, target.child.pid ?? -1);
  const startsPerMs = options.rate / perStart / 1000;
  const inFlight = new Set<Promise<void>>();
  const run = async (seconds: number) => {
    const t0 = performance.now();
    let started = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - t0;
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor(elapsed * startsPerMs);
        for (; started < due; started++) {
          const p = start();
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      }, 1);
    });
  };

  await run(options.warmupS);
  measuring = true;
  const flowsBefore = completedFlows;
  cpu.restart();
  const windowStart = performance.now();
  await run(options.durationS);
  const windowEnd = performance.now();
  const { foreignCores, targetCpuS } = cpu.read();
  measuring = false;
  await Promise.allSettled([...inFlight]);
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    target: target.name,
    workload,
    rate: options.rate,
    rps: responses / seconds,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: sorted[sorted.length - 1] ?? NaN,
    responses,
    non2xx,
    errors,
    timeouts: 0,
    ...(isFlow ? { completedFlows: completedFlows - flowsBefore } : {}),
    ...(foreignCores !== undefined ? { otherCpu: foreignCores } : {}),
    ...(targetCpuS !== undefined && responses > 0 ? { cpuUsPerRequest: (targetCpuS * 1e6) / responses } : {}),
    window: { start: windowStart, end: windowEnd },
  };
}
