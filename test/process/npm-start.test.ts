/**
 * The simulator as users run it: compiled by `npm run build` (what `npm start` runs first when dist/
 * is stale), started with `node dist/mock-server/src/main.js` or with `npm start` itself, driven over
 * real HTTP, stopped with signals.
 *
 * Every test that runs the compiled simulator lives in this file, on purpose: `npm start` may rebuild
 * dist/ (its prestart, when dist/ is stale), and a rebuild while another file's test starts a process
 * from dist/ could hand that process a half-written module. Tests in one file run one after another.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import { buildProject } from '../support/build.js';
import { MAIN_JS, spawnSimulator, type SimulatorProcess } from '../support/spawn-simulator.js';
import { isRunning, logLines, portIsFree, waitFor } from '../support/process-tools.js';

// Once for the whole file, before any of its tests starts a process from dist/ (under the build
// lock other files' builds take too).
beforeAll(buildProject, 120_000);

const AUTH = { Authorization: 'Bearer sk-dreamcore-dev', 'Content-Type': 'application/json' };

describe('the simulator process', () => {
  let sim: SimulatorProcess;

  beforeAll(async () => {
    sim = await spawnSimulator(['--latency=instant', '--seed=process-test', '--log-level=warn']);
  }, 60_000);

  afterAll(async () => {
    await sim?.stop('SIGKILL');
  });

  it('prints a banner with the URL, the dev key, the seed and a curl example', () => {
    expect(sim.output()).toContain('Dev key:   sk-dreamcore-dev (1000 credits)');
    expect(sim.output()).toContain('Seed:      process-test');
    expect(sim.output()).toContain(`curl -s ${sim.url}/api/generate`);
  });

  it('runs a whole task lifecycle over HTTP', async () => {
    const created = await fetch(`${sim.url}/api/generate`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({
        prompt: 'Cinematic photo of an obsidian smartwatch',
        aspectRatio: '9:16',
        quality: 'basic',
      }),
    });
    expect(created.status).toBe(200);
    const { data } = (await created.json()) as { data: { task_id: string } };
    const status = await fetch(`${sim.url}/api/status?task_id=${data.task_id}`, { headers: AUTH });
    const record = (
      (await status.json()) as { data: { status: string; response: string[]; consumed_credits: number } }
    ).data;
    expect(record.status).toBe('SUCCESS');
    expect(record.consumed_credits).toBe(12);
    const image = await fetch(record.response[0]!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    const bytes = new Uint8Array(await image.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]); // JPEG SOI marker
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const other = await spawnSimulator(['--log-level=info']);
    expect(await other.stop('SIGTERM')).toBe(0);
    expect(other.output()).toContain('shutting down');
  });

  it('validates requests with the validators `npm run build` compiled, not by loading Ajv at start', async () => {
    const other = await spawnSimulator(['--log-level=info']);
    await other.stop('SIGTERM');
    const ready = other
      .output()
      .split('\n')
      .map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg?: string }) : {}))
      .find((entry) => entry.msg === 'ready');
    expect(ready).toMatchObject({ requestValidators: 'prebuilt' });
  });
});

describe('bad configuration', () => {
  it('exits 2 with a clear message', () => {
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, ['dist/mock-server/src/main.js', '--latency=glacial'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    } catch (err) {
      failure = err as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr.toString()).toMatch(/glacial.*Allowed choices are realistic, fast, instant/s);
  });

  it('lists every option with --help', () => {
    const help = execFileSync(process.execPath, ['dist/mock-server/src/main.js', '--help'], {
      cwd: ROOT,
    }).toString();
    for (const option of [
      '--port',
      '--host',
      '--seed',
      '--clock',
      '--latency',
      '--key',
      '--log-level',
      '--rate-limit',
    ]) {
      expect(help).toContain(option);
    }
    expect(help).toMatch(/env:\s+DREAMCORE_LATENCY/);
  });
});

describe('the command', () => {
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [MAIN_JS, ...args], { cwd: ROOT }).toString();

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run('--version')).toBe(`${version}\n`);
  });

  it('--help lists the commands; `cassette --help` is the cassette command', () => {
    expect(run('--help')).toMatch(/Commands:\n {2}serve \[options\][\s\S]*\n {2}cassette <command>/);
    expect(run('serve', '--help')).toContain('Commands:');
    expect(run('cassette', '--help')).toContain('Usage: dreamcore-simulator cassette');
  });
});

describe('npm start -- --help and --version', () => {
  /** What tells that a build ran: each `npm run build` writes the spec cache anew. */
  const builtAt = () => statSync(join(ROOT, 'dist', 'spec-cache.json')).mtimeMs;
  const npmStart = (...args: string[]) =>
    execFileSync('npm', ['start', '-s', '--', ...args], { cwd: ROOT, stdio: 'pipe' }).toString();

  it('print without building again while dist/ is up to date', () => {
    npmStart('--version'); // builds if dist/ was not built by npm start (the stamp it checks)
    const before = builtAt();
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(npmStart('--version')).toBe(`${version}\n`);
    expect(npmStart('--help')).toContain('--latency <profile>');
    expect(builtAt()).toBe(before);
  }, 120_000);
});

describe('npm start in the background, stopped the way a CI script stops it', () => {
  it('started directly, not by npm, the simulator does not tie its life to its parent', async () => {
    // `nohup node dist/... &` from a shell that then exits must keep it running.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
    const sim = await spawnSimulator(['--log-level=info'], {}, env);
    await sim.stop('SIGTERM');
    expect(logLines(sim.output()).find((line) => line.msg === 'ready')).toMatchObject({
      stopsWithParent: false,
    });
  });

  // A CI script runs `npm start -- --port=... &`, its tests, then `kill $!`: the signal goes to npm
  // only. npm runs the script through `sh -c`; whatever happens to npm, the simulator must go too,
  // or the next start on that port fails with EADDRINUSE.
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    '%s to npm stops the simulator, and its port is free again',
    async (signal) => {
      const npm = spawn(
        'npm',
        ['start', '--', '--port=0', '--log-level=info', '--request-log=off', '--shutdown-grace-ms=2000'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      started.push(npm.pid!);
      let out = '';
      npm.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      npm.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const ready = () => logLines(out).find((line) => line.msg === 'ready');
      await waitFor(() => ready() !== undefined, `the simulator to be ready:\n${out}`, 90_000);
      const { pid, port } = ready() as { pid: number; port: number };
      started.push(pid);
      expect(pid).not.toBe(npm.pid); // the simulator is npm's child (or grandchild), not npm
      expect(ready()).toMatchObject({ stopsWithParent: true });
      expect(await portIsFree(port)).toBe(false);

      npm.kill(signal);
      await waitFor(() => npm.exitCode !== null || npm.signalCode !== null, `npm to exit on ${signal}`);
      await waitFor(() => !isRunning(pid), `the simulator (pid ${pid}) to exit after ${signal} to npm`);
      expect(await portIsFree(port)).toBe(true);
    },
    150_000,
  );
});

describe('shutdown is bounded whatever happens to the output', () => {
  // `node ... | head -3`, a log shipper that crashed or stalled: the logger must neither block the
  // process nor keep it alive at exit. Bound: the grace period plus a second; waited for with a
  // generous margin, since only the exit itself is asserted, not its speed.
  const GRACE_MS = 2_000;
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  async function startWithPipedStdout(): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const child = spawn(
      process.execPath,
      [MAIN_JS, '--port=0', '--log-level=info', `--shutdown-grace-ms=${GRACE_MS}`],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const onData = (chunk: Buffer) => (out += chunk.toString());
    child.stdout!.on('data', onData);
    await waitFor(() => /listening on http:\/\/\S+/.test(out), `the banner:\n${out}${err}`, 60_000);
    child.stdout!.off('data', onData);
    return { child, url: /listening on (http:\/\/\S+)/.exec(out)![1]!, stderr: () => err };
  }

  async function requests(url: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${url}/__mock/health`).then((res) => res.arrayBuffer())),
      );
    }
  }

  const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

  it('exits on SIGTERM after the reader of stdout has gone (EPIPE)', async () => {
    const { child, stderr } = await startWithPipedStdout();
    child.stdout!.destroy(); // `head -3` has read its lines and exited
    // No traffic in between: the first write to meet the broken pipe is the shutdown's own log line.
    child.kill('SIGTERM');
    await waitFor(() => exited(child), `exit after SIGTERM; stderr:\n${stderr()}`, GRACE_MS + 10_000);
    expect(child.exitCode).toBe(0);
  });

  it('exits on SIGTERM while the reader of stdout never reads (the pipe is full)', async () => {
    const { child, url, stderr } = await startWithPipedStdout();
    child.stdout!.pause(); // a stalled log shipper: the pipe (64 KiB) fills with request log lines
    await requests(url, 1_500); // about 250 bytes of log each: several times what the pipe holds
    child.kill('SIGTERM');
    await waitFor(() => exited(child), `exit after SIGTERM; stderr:\n${stderr()}`, GRACE_MS + 10_000);
    expect(child.exitCode).toBe(0);
  });

  it('gives a reader that was only slow every line later, in order, the shutdown last', async () => {
    const { child, url, stderr } = await startWithPipedStdout();
    child.stdout!.pause(); // the pipe fills; the lines beyond it wait in the process
    await requests(url, 1_500);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdout!.resume();
    const health = () => logLines(out).filter((line) => line.msg === 'request completed');
    await waitFor(() => health().length === 1_500, `1500 request lines; stderr:\n${stderr()}`);
    child.kill('SIGTERM');
    await waitFor(() => exited(child), `exit after SIGTERM; stderr:\n${stderr()}`, GRACE_MS + 10_000);
    const lines = logLines(out);
    expect(lines.length).toBe(health().length + 2); // nothing else, nothing dropped
    expect(lines.slice(-2).map((line) => String(line.msg).split(':')[0])).toEqual([
      'shutting down',
      'stopped',
    ]);
    const times = lines.map((line) => Number(line.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('the drain after SIGTERM', () => {
  it('a keep-alive client holding a slow request gets its answer with Connection: close, and the process exits', async () => {
    const sim = await spawnSimulator([
      '--log-level=info',
      '--request-log=off',
      '--latency=instant',
      '--shutdown-grace-ms=30000',
    ]);
    const agent = new Agent({ keepAlive: true });
    try {
      const slow = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          `${sim.url}/api/generate`,
          { method: 'POST', agent, headers: { ...AUTH, 'X-Mock-Delay-Ms': '2000' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
          },
        );
        req.on('error', reject); // an ECONNRESET fails the test here
        req.end(JSON.stringify({ prompt: 'A slow one', aspectRatio: '1:1', quality: 'basic' }));
      });
      // The task exists once the request has been processed; its answer is then held for 2 s.
      await waitFor(async () => {
        const res = await fetch(`${sim.url}/__mock/tasks`, { headers: { Connection: 'close' } });
        return ((await res.json()) as { data: { tasks: unknown[] } }).data.tasks.length === 1;
      }, 'the slow request to be in flight');
      sim.child.kill('SIGTERM');
      expect(await slow).toEqual({ status: 200, connection: 'close' });
      expect(await sim.stop()).toBe(0);
      // It exited because the last connection closed, not because the grace period ran out.
      expect(logLines(sim.output()).map((line) => line.msg)).toContain('stopped');
    } finally {
      agent.destroy();
      await sim.stop('SIGKILL');
    }
  }, 60_000);
});

describe('the shutdown log tells its story in order', () => {
  // Whatever tails the log for its last line (a CI step, a supervisor) must read `stopped`, after
  // `shutting down`. The exit-time flush once overtook the write still in flight, in about 3 of 8
  // shutdowns: many real shutdowns, each checked.
  const SHUTDOWNS = 20;
  const AT_ONCE = 4;

  async function shutdownMessages(): Promise<string[]> {
    const sim = await spawnSimulator(['--log-level=info', '--request-log=off']);
    expect(await sim.stop('SIGTERM')).toBe(0);
    return logLines(sim.output()).map((line) => String(line.msg));
  }

  it(`writes "shutting down" before "stopped", and "stopped" last, in each of ${SHUTDOWNS} shutdowns`, async () => {
    const stories: string[][] = [];
    for (let i = 0; i < SHUTDOWNS; i += AT_ONCE) {
      stories.push(...(await Promise.all(Array.from({ length: AT_ONCE }, shutdownMessages))));
    }
    const tails = stories.map((messages) => messages.slice(-2).map((msg) => msg.split(':')[0]));
    expect(tails).toEqual(Array.from({ length: SHUTDOWNS }, () => ['shutting down', 'stopped']));
  }, 180_000);
});
