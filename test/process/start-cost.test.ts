/**
 * What a start loads. The Redis client is most of a start-up's time (about 200 of 600 ms under
 * --cpu-prof), so a simulator on the memory store, the default and what `npm start` runs, must not
 * load it; one on --store redis does. Checked on the compiled simulator, through a resolve hook.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import { startRedis } from '../support/redis-server.js';

const MAIN_JS = join(ROOT, 'dist', 'mock-server', 'src', 'main.js');
const HOOK = join(ROOT, 'test', 'support', 'loaded-modules-hook.mjs');

/** Starts the simulator with `args`, waits for its banner, stops it; the package names it loaded. */
async function packagesLoaded(args: string[]): Promise<Set<string>> {
  const child = spawn(
    process.execPath,
    ['--import', HOOK, MAIN_JS, '--port=0', '--log-level=warn', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (/listening on http/.test(out)) child.kill('SIGTERM');
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, `${out}\n${err}`).toBe(0);
  const line = /loaded-modules: (.*)/.exec(err)?.[1];
  expect(line, err).toBeDefined();
  const urls = JSON.parse(line!) as string[];
  return new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m ? [m[1]!] : [];
    }),
  );
}

describe('what a start loads', () => {
  it('on the memory store: not the Redis client', async () => {
    const loaded = await packagesLoaded([]);
    expect(loaded.has('express')).toBe(true); // the hook saw the start
    expect([...loaded].filter((p) => p === 'redis' || p.startsWith('@redis/'))).toEqual([]);
  }, 60_000);

  it('on --store redis: the Redis client', async () => {
    const redis = await startRedis();
    try {
      const loaded = await packagesLoaded(['--store=redis', `--redis-url=${redis.url}`]);
      expect(loaded.has('redis')).toBe(true);
    } finally {
      await redis.stop({ cleanup: true });
    }
  }, 60_000);
});
