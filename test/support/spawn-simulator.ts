/**
 * Starts the simulator as a real process, the way `npm start` does (compiled, `node dist/...`),
 * on a free port, and reads the URL from its banner. Used by the process test and by the contract
 * tests that need a second simulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './spec-walk.js';

export interface SimulatorProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const MAIN_JS = join(ROOT, 'dist', 'mock-server', 'src', 'main.js');

/** `env` is added to `baseEnv` (this process's environment unless given). */
export async function spawnSimulator(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN_JS, '--port=0', ...args], {
    cwd: ROOT,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`simulator exited with ${code}:\n${out}`)));
  });
  return {
    url,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** An answer in the API's envelope, as `jsonCaller` reads it. */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: {
    code: number;
    message: string;
    data: Record<string, unknown> & { type?: string; retry_after_seconds?: number };
  };
}

/** A JSON request to `base` (a spawned simulator's URL), its body sent as JSON. */
export function jsonCaller(base: () => string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonAnswer> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as JsonAnswer['body'] };
  };
}
