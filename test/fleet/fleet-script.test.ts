/**
 * `npm run fleet`: redis-server, replicas and HAProxy in front, one banner, a replica that dies
 * started again, and SIGINT (Ctrl-C) stopping every process it started. Run here as its script
 * (tsx scripts/fleet.ts) on a free port; HAProxy and redis-server come from the OS packages.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning, portIsFree, waitFor } from '../support/process-tools.js';
import { ROOT } from '../support/spec-walk.js';

const KEY = { Authorization: 'Bearer sk-dreamcore-dev', 'Content-Type': 'application/json' };
const BODY = JSON.stringify({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function eventually(check: () => Promise<boolean> | boolean, boundMs: number, what: string) {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm run fleet', () => {
  it('serves through HAProxy, survives a replica dying, and stops everything on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'fleet.ts'),
        '--replicas',
        '2',
        '--port',
        '0',
        '--',
        '--clock=virtual',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Every process the fleet started, for the clean-up when the test fails before Ctrl-C.
    const started = () => [
      ...[...(/Pids: +(.*)/.exec(out)?.[1]?.matchAll(/\w+ (\d+)/g) ?? [])].map((m) => Number(m[1])),
      ...[...out.matchAll(/started again \(pid (\d+)\)/g)].map((m) => Number(m[1])),
    ];
    try {
      await eventually(() => /Ctrl-C stops all of it/.test(out), 60_000, `the fleet's banner:\n${out}`);
      const url = /DreamCore fleet listening on (http:\/\/\S+)/.exec(out)![1]!;
      const pids = Object.fromEntries(
        [.../Pids: +(.*)/.exec(out)![1]!.matchAll(/(\w+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
      ) as Record<string, number>;
      expect(Object.keys(pids).sort()).toEqual(['haproxy', 'redis', 'replica1', 'replica2']);

      // Through the load balancer, round robin over two replicas sharing one Redis: one simulator.
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${url}/api/generate`, { method: 'POST', headers: KEY, body: BODY });
        expect(res.status).toBe(200);
        ids.push(((await res.json()) as { data: { task_id: string } }).data.task_id);
      }
      const account = (await (await fetch(`${url}/__mock/accounts/sk-dreamcore-dev`)).json()) as {
        data: { balance: number };
      };
      expect(account.data.balance).toBe(1000 - 6 * 12);

      // A replica killed while it holds accepted (charged) generates: HAProxy must not send those
      // requests again to the other replica, which would charge each twice for the one task id the
      // client may see. Four held generates over both replicas, then replica1 dies.
      const HELD = 4;
      const held = Array.from({ length: HELD }, () =>
        fetch(`${url}/api/generate`, {
          method: 'POST',
          headers: { ...KEY, 'X-Mock-Delay-Ms': '3000', Connection: 'close' },
          body: BODY,
        }),
      );
      const balance = async () =>
        (
          (await (await fetch(`${url}/__mock/accounts/sk-dreamcore-dev`)).json()) as {
            data: { balance: number };
          }
        ).data.balance;
      const before = 1000 - 6 * 12;
      await eventually(
        async () => (await balance()) === before - HELD * 12,
        10_000,
        'the held generates charged',
      );
      process.kill(pids.replica1!, 'SIGKILL');
      // Those in flight on replica1 get no answer: HAProxy's 502, or the connection closed, as when a
      // server dies. Those on replica2 are answered. None is accepted a second time.
      const outcomes = await Promise.all(held.map((r) => r.then((res) => res.status).catch(() => 'closed')));
      const unanswered = outcomes.filter((o) => o !== 200);
      expect(unanswered.length, `outcomes ${outcomes.join(', ')}`).toBeGreaterThan(0); // replica1 held some
      expect(unanswered.every((o) => o === 502 || o === 'closed')).toBe(true);
      expect(await balance()).toBe(before - HELD * 12);

      // The load balancer keeps serving through the other replica; the fleet starts replica1 again.
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${url}/api/status?task_id=${ids[i % ids.length]}`, { headers: KEY });
        expect(res.status).toBe(200);
      }
      await eventually(
        () => /replica1 exited \(SIGKILL\); starting it again/.test(out),
        10_000,
        'the restart',
      );
      await eventually(
        () => (out.match(/\[replica1\] +DreamCore simulator listening on/g) ?? []).length === 2,
        30_000,
        'replica1 started again',
      );
      const again = await fetch(`${url}/api/status?task_id=${ids[0]}`, { headers: KEY });
      expect(again.status).toBe(200);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await eventually(() => Object.values(pids).every((pid) => !alive(pid)), 15_000, 'every process gone');
      await eventually(
        async () => {
          try {
            await fetch(url, { signal: AbortSignal.timeout(500) });
            return false;
          } catch {
            return true;
          }
        },
        15_000,
        'the port closed',
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // the fleet stops what it started
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        child.kill('SIGKILL');
      }
      for (const pid of started()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 120_000);
});

/** Every process below `root` right now (children, grandchildren...), from /proc. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/**
 * A CI script runs `npm run fleet -- ... &`, its tests, then `kill $!`: the signal goes to npm only.
 * Whatever happens to npm (or to the fleet script itself), every process the fleet started must go,
 * and the load balancer's port must be free again, or the next run on that port fails.
 */
describe('npm run fleet stopped by its pid', () => {
  const started: number[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of started.splice(0)) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  /** Starts the fleet (one replica) with `command`, waits for its banner; every process it started. */
  async function startFleet(command: string, args: string[]) {
    const child = spawn(command, [...args, '--replicas', '1', '--port', '0', '--', '--request-log=off'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    started.push(child.pid!);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const banner = () => {
      if (child.exitCode !== null) throw new Error(`the fleet exited with ${child.exitCode}`);
      return /Ctrl-C stops all of it/.test(out);
    };
    await waitFor(banner, "the fleet's banner", 120_000).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${out}`);
    });
    const port = Number(/DreamCore fleet listening on http:\/\/[^:]+:(\d+)/.exec(out)![1]);
    const tree = descendants(child.pid!);
    started.push(...tree);
    const pids = [.../Pids: +(.*)/.exec(out)![1]!.matchAll(/(\w+) (\d+)/g)].map((m) => Number(m[2]));
    expect(tree).toEqual(expect.arrayContaining(pids)); // the banner's processes are in the tree
    expect(await portIsFree(port)).toBe(false);
    return { child, port, tree, output: () => out };
  }

  async function expectAllGone(fleet: Awaited<ReturnType<typeof startFleet>>, what: string) {
    const { child, port, tree } = fleet;
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, `${what}: exit`, 30_000);
    await waitFor(() => tree.every((pid) => !isRunning(pid)), `${what}: every process gone`, 30_000).catch(
      (error: Error) => {
        throw new Error(
          `${error.message}; still running: ${tree.filter(isRunning).join(', ')}\n${fleet.output()}`,
        );
      },
    );
    expect(await portIsFree(port)).toBe(true);
  }

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    '%s to npm stops every process of the fleet, and its port is free again',
    async (signal) => {
      const fleet = await startFleet('npm', ['run', 'fleet', '--']);
      fleet.child.kill(signal);
      await expectAllGone(fleet, `${signal} to npm`);
    },
    240_000,
  );

  it('stops every process after the reader of its output has gone (EPIPE), as a closed CI log does', async () => {
    const fleet = await startFleet(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'fleet.ts')]);
    fleet.child.stdout!.destroy();
    fleet.child.stderr!.destroy();
    fleet.child.kill('SIGTERM'); // the replicas' shutdown lines are then written to a broken pipe
    await expectAllGone(fleet, 'SIGTERM with its output gone');
  }, 240_000);

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s to the fleet script itself stops every process it started',
    async (signal) => {
      const fleet = await startFleet(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'fleet.ts'),
      ]);
      fleet.child.kill(signal);
      await expectAllGone(fleet, `${signal} to the fleet script`);
      expect(fleet.child.exitCode).toBe(0);
    },
    240_000,
  );
});

describe('npm run fleet -- --help', () => {
  it('prints the usage without building first (the fleet builds once it has read its options)', () => {
    const out = execFileSync('npm', ['run', '-s', 'fleet', '--', '--help'], { cwd: ROOT }).toString();
    expect(out).toContain('Usage: npm run fleet -- [options] [simulator options...]');
    expect(out).toContain('--replicas <n>');
    expect(out).not.toMatch(/^wrote /m); // what `npm run build` prints
  });
});
