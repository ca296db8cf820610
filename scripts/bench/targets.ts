/**
 * The benchmark's targets, each its own process on 127.0.0.1 and a free port: the compiled
 * simulator, Prism mocking the same openapi.yaml, and a bare Express 5 app (the ceiling).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN_JS = join(ROOT, 'dist', 'mock-server', 'src', 'main.js');
const PRISM_JS = join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
const BARE_TS = join(ROOT, 'scripts', 'bench', 'bare-express.ts');

export type TargetName = 'simulator' | 'prism' | 'bare-express';

export interface Target {
  name: TargetName;
  url: string;
  child: ChildProcess;
  /** performance.now() of this process at spawn(). */
  spawnedAt: number;
  /** Milliseconds from spawn() to the target answering (banner or first HTTP answer). */
  startMs: number;
  output(): string;
  stop(): Promise<void>;
}

/** Funded keys: a task costs 12 to 18 credits, so 10^12 outlasts any run. */
export const BENCH_KEYS = ['sk-bench-key-0', 'sk-bench-key-1', 'sk-bench-key-2', 'sk-bench-key-3'] as const;
export const BENCH_BALANCE = 1_000_000_000_000;

/** The simulator's flags for load: no rate limit, no request log, no journal, virtual clock. */
export function simulatorArgs(port = 0): string[] {
  return [
    `--port=${port}`,
    '--host=127.0.0.1',
    '--rate-limit=off',
    '--request-log=off',
    '--log-level=warn',
    '--clock=virtual',
    '--latency=fast',
    '--seed=bench',
    `--key=${BENCH_KEYS.map((k) => `${k}=${BENCH_BALANCE}`).join(',')}`,
  ];
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One GET without keep-alive; resolves with the status code, rejects if nothing answers. */
export function probe(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns `node args`, keeping the last 64 KiB of its output (and draining its pipes). */
function launch(args: string[], env: NodeJS.ProcessEnv = {}) {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, spawnedAt, output: () => out, exited, stop };
}

/** Resolves with the first match of `pattern` in the child's stdout, or rejects on exit or timeout. */
function waitForLine(
  proc: ReturnType<typeof launch>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      proc.child.stdout!.off('data', onData);
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${proc.output()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        proc.child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    proc.child.stdout!.on('data', onData);
    void proc.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`process exited before ${pattern}:\n${proc.output()}`));
    });
  });
}

/** Polls `url` until it answers at all (any status) or `timeoutMs` passes. */
async function waitForHttp(url: string, timeoutMs: number, accept = (_status: number) => true) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (accept(await probe(url, 500))) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** The compiled simulator (`node dist/mock-server/src/main.js`), URL read from its banner. */
/** The Target record of a launched process, timed from its spawn. */
function targetOf(name: Target['name'], url: string, proc: ReturnType<typeof launch>): Target {
  return {
    name,
    url,
    child: proc.child,
    spawnedAt: proc.spawnedAt,
    startMs: performance.now() - proc.spawnedAt,
    output: proc.output,
    stop: proc.stop,
  };
}

export async function startSimulator(nodeArgs: string[] = [], extraArgs: string[] = []): Promise<Target> {
  const proc = launch([...nodeArgs, MAIN_JS, ...simulatorArgs(), ...extraArgs]);
  const m = await waitForLine(proc, /listening on (http:\/\/\S+)/, 30_000);
  return targetOf('simulator', m[1]!, proc);
}

/**
 * Time from spawn() to the simulator's health endpoint answering 200, polled every 5 ms on a port
 * chosen beforehand (so polling starts at spawn), and to its banner line. The process is stopped
 * afterwards.
 */
export async function measureSimulatorReady(): Promise<{ healthMs: number; bannerMs: number }> {
  const port = await freePort();
  const proc = launch([MAIN_JS, ...simulatorArgs(port)]);
  let bannerMs = NaN;
  const banner = waitForLine(proc, /listening on (http:\/\/\S+)/, 30_000).then(
    () => void (bannerMs = performance.now() - proc.spawnedAt),
    () => undefined, // the health poll reports the failure
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/__mock/health`, 30_000, (status) => status === 200);
    const healthMs = performance.now() - proc.spawnedAt;
    await banner;
    return { healthMs, bannerMs };
  } finally {
    await proc.stop();
  }
}

export type PrismLog = 'info' | 'warn';

/**
 * Prism 5 mocking openapi.yaml (`prism mock openapi.yaml -p PORT -h 127.0.0.1`), run with node
 * directly rather than through npx so the process we stop is Prism itself. `log` is Prism's
 * --verboseLevel: `info` (its default) logs every request; `warn` matches the simulator's
 * `--request-log=off --log-level=warn`.
 */
export async function startPrism(log: PrismLog = 'warn'): Promise<Target> {
  const port = await freePort();
  const proc = launch([PRISM_JS, 'mock', 'openapi.yaml', '-p', String(port), '-h', '127.0.0.1', '-v', log]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/api/status`, 60_000);
  return targetOf('prism', url, proc);
}

/** bare-express.ts, transpiled in memory by TypeScript and run by plain node (no loader). */
export async function startBareExpress(nodeArgs: string[] = []): Promise<Target> {
  const { outputText } = ts.transpileModule(readFileSync(BARE_TS, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: BARE_TS,
  });
  // --input-type=module -e resolves `express` from the working directory, the project root.
  const proc = launch([...nodeArgs, '--input-type=module', '-e', outputText], {
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const m = await waitForLine(proc, /listening on (http:\/\/\S+)/, 30_000);
  return targetOf('bare-express', m[1]!, proc);
}
