/**
 * Long-polls and live streams against a victim's throughput: what held journal waits
 * (GET /__mock/journal/wait) and idle journal streams (GET /__mock/journal/stream) cost everyone else.
 * Not part of `npm run bench`; a figure for people, run on a quiet machine, never asserted by a test.
 *
 *   npm run build
 *   npx tsx scripts/bench/journal-followers.ts [--main=dist/mock-server/src/main.js] [--store=memory|redis]
 *     [--redis-url=redis://127.0.0.1:6379] [--waits=100] [--streams=500] [--fill=1000]
 *     [--connections=20] [--duration=5] [--warmup=1] [--rounds=2]
 *
 * Three scenarios, each after a reset, on one simulator process (`--main`: the build to measure, so
 * the same script measures another tree's build, e.g. `--main=/path/to/main/dist/mock-server/src/main.js`):
 *
 * - `baseline`: nobody follows the journal;
 * - `waits`: a caller without a token creates a tenant, fills its journal with `--fill` requests and
 *   holds `--waits` waits there with a `q=` filter that matches nothing (each held again when it times
 *   out);
 * - `streams`: `--streams` streams open on the default world with a filter that matches nothing.
 *
 * The victim is the default world's client: autocannon generates with `--connections` connections,
 * and its requests per second are reported (the best round), with how many followers the simulator
 * accepted and refused (a build with the limits refuses beyond 64 per world, with 429).
 *
 * With `--store=redis` and no `--redis-url`, a redis-server of the script's own is started on a free
 * port (no persistence) and stopped by its pid at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, freePort, simulatorArgs, type Target } from './targets.js';
import { runLoad, type LoadOptions } from './workloads.js';

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}
function count(name: string, fallback: number): number {
  const value = Number(flag(name, String(fallback)));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} takes a whole number >= 0`);
  return value;
}

const MAIN = flag('main', join(ROOT, 'dist', 'mock-server', 'src', 'main.js'));
const STORE = flag('store', 'memory');
const WAITS = count('waits', 100);
const STREAMS = count('streams', 500);
const FILL = count('fill', 1_000);
const ROUNDS = Math.max(1, count('rounds', 2));
const LOAD: LoadOptions = {
  connections: Math.max(1, count('connections', 20)),
  durationS: Math.max(1, count('duration', 5)),
  warmupS: count('warmup', 1),
};

/** A redis-server of this script's own, stopped by its pid. */
async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      const { Socket } = await import('node:net');
      await new Promise<void>((resolve, reject) => {
        const s = new Socket();
        s.once('error', reject);
        s.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve();
        });
      });
      return { url, child };
    } catch {
      if (tries > 200) throw new Error('redis-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** The simulator build under test, as the benchmark's Target. */
async function startSimulator(extra: string[]): Promise<Target> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [MAIN, ...simulatorArgs(), '--journal-size=1000', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`the simulator exited:\n${out}`)));
  });
  return {
    name: 'simulator',
    url,
    child,
    spawnedAt,
    startMs: performance.now() - spawnedAt,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

interface Followers {
  accepted: number;
  refused: number;
  stop(): void;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A tenant made without a token, its journal filled, `n` waits held on it that match nothing. */
async function holdWaits(target: Target, n: number): Promise<Followers> {
  const { data } = (await post(`${target.url}/__mock/tenants`, { keys: [{ balance: 1_000_000_000 }] })) as {
    data: { token: string; keys: Array<{ apiKey: string }> };
  };
  const auth = { authorization: `Bearer ${data.keys[0]!.apiKey}` };
  for (let i = 0; i < FILL; i++)
    await post(
      `${target.url}/api/generate`,
      { prompt: `filler ${i}`, aspectRatio: '1:1', quality: 'basic' },
      auth,
    );
  const ctrl = new AbortController();
  const followers: Followers = { accepted: 0, refused: 0, stop: () => ctrl.abort() };
  const url = `${target.url}/__mock/journal/wait?q=no-such-text-anywhere&timeoutMs=60000`;
  // A held wait answers only when it times out: one not refused at once (429) is held.
  const hold = async (): Promise<void> => {
    for (let first = true; !ctrl.signal.aborted; first = false) {
      const res = await fetch(url, { headers: { 'x-mock-token': data.token }, signal: ctrl.signal });
      await res.arrayBuffer();
      if (res.status === 200) continue;
      if (first) {
        followers.refused++;
        followers.accepted--;
      }
      return; // refused (a build with the limits): not asked again
    }
  };
  followers.accepted = n;
  for (let i = 0; i < n; i++) void hold().catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // let every wait start
  return followers;
}

/** `n` streams on the default world whose filter matches nothing. */
async function openStreams(target: Target, n: number): Promise<Followers> {
  const ctrl = new AbortController();
  const followers: Followers = { accepted: 0, refused: 0, stop: () => ctrl.abort() };
  await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(`${target.url}/__mock/journal/stream?path=/nowhere`, { signal: ctrl.signal });
      if (res.status === 200) {
        followers.accepted++;
        void res.arrayBuffer().catch(() => undefined); // drained, so that a heartbeat never blocks it
      } else {
        followers.refused++;
        await res.arrayBuffer();
      }
    }),
  );
  return followers;
}

type Scenario = 'baseline' | 'waits' | 'streams';

async function main(): Promise<void> {
  const redis =
    STORE === 'redis' && !process.argv.some((a) => a.startsWith('--redis-url='))
      ? await startRedis()
      : undefined;
  const storeArgs =
    STORE === 'redis'
      ? [
          '--store=redis',
          `--redis-url=${redis?.url ?? flag('redis-url', '')}`,
          `--redis-prefix=jf${process.pid}`,
        ]
      : [];
  const target = await startSimulator(storeArgs);
  const best = new Map<Scenario, { rps: number; accepted: number; refused: number }>();
  try {
    console.log(
      `${MAIN} on the ${STORE} store; victim: ${LOAD.connections} connections, ${LOAD.durationS} s`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const scenario of ['baseline', 'waits', 'streams'] as const) {
        let followers: Followers | undefined;
        const result = await runLoad('generate', target, LOAD, async (t) => {
          if (scenario === 'waits') followers = await holdWaits(t, WAITS);
          if (scenario === 'streams') followers = await openStreams(t, STREAMS);
        });
        followers?.stop();
        const row = { rps: result.rps, accepted: followers?.accepted ?? 0, refused: followers?.refused ?? 0 };
        console.log(
          `round ${round} ${scenario.padEnd(8)} ${Math.round(row.rps)} req/s (followers accepted ${row.accepted}, refused ${row.refused}; ${result.non2xx} non-2xx, ${result.errors} errors)`,
        );
        if ((best.get(scenario)?.rps ?? -1) < row.rps) best.set(scenario, row);
        await new Promise((resolve) => setTimeout(resolve, 500)); // let the aborted followers close
      }
    }
  } finally {
    await target.stop();
    if (redis) {
      redis.child.kill('SIGTERM');
      await once(redis.child, 'exit');
    }
  }
  const base = best.get('baseline')!.rps;
  console.log('\n| scenario | followers (accepted / refused) | victim req/s | of baseline |');
  console.log('| --- | --- | --- | --- |');
  for (const [scenario, row] of best) {
    const asked =
      scenario === 'waits'
        ? `${WAITS} waits on a tenant with ${FILL} entries`
        : scenario === 'streams'
          ? `${STREAMS} streams on the default world`
          : 'none';
    console.log(
      `| ${scenario} | ${asked} (${row.accepted} / ${row.refused}) | ${Math.round(row.rps)} | ${Math.round((row.rps / base) * 100)} % |`,
    );
  }
}

await main();
