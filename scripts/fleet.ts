/**
 * `npm run fleet -- --replicas 3`: a local fleet for people who want one. A redis-server (from PATH)
 * of its own, N simulator replicas on it (`--store redis`), and HAProxy in front (from the operating
 * system's packages), health-checking each replica on /__mock/health. One banner with the URL;
 * Ctrl-C (or SIGTERM, SIGHUP, or its parent's death) stops all of it, each process by its id.
 *
 *   npm run fleet -- [--replicas 3] [--port 4010] [--host 127.0.0.1] [--redis-url <url>]
 *                    [--persist] [-- <simulator options for every replica>]
 *
 * HAProxy rather than nginx: its open-source build checks a backend's health actively (nginx's only
 * notices a failed request), so a replica that is down or whose Redis is gone (health 503) leaves the
 * rotation within a second and comes back by itself.
 *
 * `npm run fleet` execs this script (`exec node --import tsx ...`), so npm's forwarded SIGTERM and
 * SIGINT reach it, not a shell that would die alone and leave the fleet running; it builds dist/
 * itself, after reading its options, so `--help` never waits for a build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { buildIfStale } from './build-if-stale.js';
import { projectRoot } from './lib/project-root.js';

const MAIN_JS = join(projectRoot(), 'dist', 'mock-server', 'src', 'main.js');
const PARENT_CHECK_MS = 1_000;

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d{1,3}$/.test(value) || n < 1 || n > 64) throw new InvalidArgumentError('expected 1 to 64');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65_535) throw new InvalidArgumentError('expected 0 to 65535');
  return n;
}

const command = new Command('npm run fleet --')
  .description('A local fleet: redis-server, N simulator replicas sharing it, HAProxy in front.')
  .option('--replicas <n>', 'simulator replicas', positive, 3)
  .option('--port <n>', 'the load balancer port (0: any free port)', port, 4010)
  .option('--host <addr>', 'the load balancer address', '127.0.0.1')
  .option('--redis-url <url>', 'use this Redis instead of starting one')
  .option('--persist', "keep Redis's data in an append-only file in the fleet's directory", false)
  .argument('[simulator options...]', 'options for every replica, after --')
  .allowUnknownOption(false);
command.parse(process.argv);
const options = command.opts<{
  replicas: number;
  port: number;
  host: string;
  redisUrl?: string;
  persist: boolean;
}>();
const replicaArgs = command.args;

function requireBinary(binary: string, install: string): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    process.stderr.write(`npm run fleet: ${binary} is not on PATH. Install it: ${install}\n`);
    process.exit(2);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

const children: Array<{ name: string; child: ChildProcess }> = [];
let stopping = false;

/**
 * Starts a process whose output lines are prefixed with its name. A replica that dies is started
 * again on its port a second later (HAProxy takes it out of the rotation meanwhile, and back once
 * its health answers); if Redis or HAProxy dies, the fleet stops.
 */
function start(name: string, file: string, args: string[]): ChildProcess {
  // Nothing new once the fleet stops: stop() only stops the processes it can see.
  if (stopping) throw new Error(`not starting ${name}: the fleet is stopping`);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `[${name}] ${line}\n`)
      .join('');
  child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  child.once('exit', (code, signal) => {
    if (stopping) return;
    if (name.startsWith('replica')) {
      process.stderr.write(`npm run fleet: ${name} exited (${signal ?? code}); starting it again\n`);
      const index = children.findIndex((c) => c.child === child);
      setTimeout(() => {
        if (stopping) return;
        const again = start(name, file, args);
        children.splice(children.indexOf(children.find((c) => c.child === again)!), 1);
        children[index] = { name, child: again };
        process.stderr.write(`npm run fleet: ${name} started again (pid ${again.pid})\n`);
      }, 1_000);
      return;
    }
    process.stderr.write(`npm run fleet: ${name} exited (${signal ?? code}); stopping the fleet\n`);
    void stop(1);
  });
  children.push({ name, child });
  return child;
}

let stopped: Promise<never> | undefined;

/** Stops every process the fleet started, once, however many signals and failures ask for it. */
function stop(code: number): Promise<never> {
  stopped ??= stopAll(code);
  return stopped;
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  // The load balancer first (no new requests), then the replicas (they drain), then Redis.
  for (const group of [
    ['haproxy'],
    children.map((c) => c.name).filter((n) => n.startsWith('replica')),
    ['redis'],
  ]) {
    await Promise.all(
      children
        .filter((c) => group.includes(c.name) && c.child.exitCode === null && c.child.signalCode === null)
        .map(
          (c) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
              c.child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              c.child.kill('SIGTERM');
            }),
        ),
    );
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

/** Waits until `url` answers 200 (a process just started), at most `ms`. */
async function ready(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForLine(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms`)), ms);
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

requireBinary('haproxy', 'apt-get install -y haproxy   (Debian/Ubuntu; brew install haproxy on macOS)');
if (!options.redisUrl)
  requireBinary('redis-server', 'apt-get install -y redis-server   (brew install redis)');

/**
 * Under `npm run fleet`, an npm that is SIGKILLed forwards nothing: once the parent that started us
 * is gone (the kernel gives us another), stop. Only as an npm script, like the simulator (main.ts): a
 * fleet a shell deliberately starts in the background outlives that shell.
 *
 * LIMITATION: SIGKILL to this script itself (not to npm) stops only the replicas (each watches its
 * parent too); redis-server and HAProxy cannot be told to die with their parent from Node.
 */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_MS);
  timer.unref();
}

const built = buildIfStale();
if (built !== 0) {
  process.stderr.write(`npm run fleet: the build failed (exit code ${built})\n`);
  process.exit(built);
}

const dir = mkdtempSync(join(tmpdir(), 'dreamcore-fleet-'));
// Output nobody reads any more (a CI job's pipe closed) must not end the fleet halfway through
// stopping it, with Redis or HAProxy left behind.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
if (process.env.npm_lifecycle_event) watchParent(() => void stop(0));

try {
  let redisUrl = options.redisUrl;
  if (!redisUrl) {
    const redisPort = await freePort();
    start('redis', 'redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      options.persist ? 'yes' : 'no',
      '--loglevel',
      'warning',
    ]);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
  }
  // One seed for the fleet (the first replica's would be kept anyway; this one is shown).
  const seed = replicaArgs.find((a) => a.startsWith('--seed='))?.slice(7) ?? randomBytes(6).toString('hex');
  const ports: number[] = [];
  for (let i = 1; i <= options.replicas; i++) {
    const replicaPort = await freePort();
    ports.push(replicaPort);
    const child = start(`replica${i}`, process.execPath, [
      '--enable-source-maps',
      MAIN_JS,
      '--store=redis',
      `--redis-url=${redisUrl}`,
      `--port=${replicaPort}`,
      '--host=127.0.0.1',
      `--seed=${seed}`,
      '--request-log=off',
      ...replicaArgs.filter((a) => !a.startsWith('--seed=')),
    ]);
    await waitForLine(child, /listening on http/, 30_000);
  }
  const lbPort = options.port === 0 ? await freePort() : options.port;
  const config = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 65s',
    '  timeout server 65s',
    '  option http-keep-alive',
    'frontend dreamcore',
    `  bind ${options.host}:${lbPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    // A replica whose Redis is gone answers 503 here and leaves the rotation; it comes back by itself.
    '  option httpchk GET /__mock/health',
    '  http-check expect status 200',
    // A request is sent again to another replica only when it never reached one (conn-failure, the
    // default): one that did may have been charged, and sent again it would be charged twice.
    '  retry-on conn-failure',
    '  option redispatch',
    ...ports.map((p, i) => `  server replica${i + 1} 127.0.0.1:${p} check inter 1s fall 2 rise 1`),
    '',
  ].join('\n');
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, config);
  start('haproxy', 'haproxy', ['-f', cfg, '-db']);
  const url = `http://${options.host}:${lbPort}`;
  await ready(`${url}/__mock/health`, 30_000);
  process.stdout.write(
    [
      '',
      `  DreamCore fleet listening on ${url}`,
      '',
      `  Replicas:  ${options.replicas} (${ports.map((p) => `127.0.0.1:${p}`).join(', ')}), store redis at ${redisUrl}`,
      `  Seed:      ${seed}`,
      `  Pids:      ${children.map((c) => `${c.name} ${c.child.pid}`).join(', ')}`,
      '  Ctrl-C stops all of it.',
      '',
    ].join('\n') + '\n',
  );
} catch (err) {
  process.stderr.write(`npm run fleet: ${err instanceof Error ? err.message : String(err)}\n`);
  await stop(1);
}
