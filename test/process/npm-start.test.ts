/**
 * The simulator as users run it: compiled by `npm run build` (what `npm start` runs first), started
 * with `node dist/mock-server/src/main.js`, driven over real HTTP, stopped with SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';
import { buildProject } from '../support/build.js';
import { spawnSimulator, type SimulatorProcess } from '../support/spawn-simulator.js';

const AUTH = { Authorization: 'Bearer sk-dreamcore-dev', 'Content-Type': 'application/json' };

describe('the simulator process', () => {
  let sim: SimulatorProcess;

  beforeAll(async () => {
    await buildProject();
    sim = await spawnSimulator(['--latency=instant', '--seed=process-test', '--log-level=warn']);
  }, 120_000);

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
