/**
 * A redis-server of a test's own: on a free port of 127.0.0.1 (never the machine's shared 6379), in
 * a temporary directory, without persistence unless the test is about durability (append-only
 * file), stopped by its process id.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  pid: number;
  /** Stops it (SIGTERM, SIGKILL after 5 s); the directory stays for a restart unless `cleanup`. */
  stop(options?: { signal?: NodeJS.Signals; cleanup?: boolean }): Promise<void>;
  /** Freezes it (SIGSTOP): its sockets stay open and nothing it is sent is answered until `resume`. */
  pause(): void;
  resume(): void;
  /** One command through redis-cli (CONFIG SET, FLUSHALL, ...): its reply as redis-cli prints it. */
  cli(...args: string[]): Promise<string>;
  /** Starts a new redis-server on the same port and directory (its append-only file, if any). */
  restart(): Promise<RedisServer>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ping(port: number): Promise<boolean> {
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

async function launch(port: number, dir: string, appendOnly: boolean): Promise<RedisServer> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    ...(appendOnly ? ['--appendfsync', 'always'] : []),
    '--protected-mode',
    'yes',
    '--logfile',
    '',
    '--loglevel',
    'warning',
  ];
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: child.pid!,
    stop: async ({ signal = 'SIGTERM', cleanup = false } = {}) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT'); // a paused server would hold the signal until resumed
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (cleanup) await rm(dir, { recursive: true, force: true });
    },
    restart: () => launch(port, dir, appendOnly),
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    cli: (...args) =>
      new Promise((resolve, reject) =>
        execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }, (err, stdout) =>
          err ? reject(err) : resolve(stdout.trim()),
        ),
      ),
  };
  return server;
}

export async function startRedis({
  appendOnly = false,
}: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dreamcore-redis-'));
  return launch(await freePort(), dir, appendOnly);
}
