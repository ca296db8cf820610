/**
 * Proxy, record and replay as users run them: compiled (`npm run build`), three processes on
 * loopback: a simulator as the "live" API, the proxy in front of it recording a cassette, and, once
 * the live API is gone, a replay of that cassette. The flags are checked as the CLI parses them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCassette } from '../../mock-server/src/cassette/cassette.js';
import { buildProject } from '../support/build.js';
import { MAIN_JS, spawnSimulator, type SimulatorProcess } from '../support/spawn-simulator.js';
import { ROOT } from '../support/spec-walk.js';
import { BODY, LIVE_KEY, call, visible } from './support.js';

const started: SimulatorProcess[] = [];
let dir: string;

beforeAll(async () => {
  await buildProject();
  dir = mkdtempSync(join(tmpdir(), 'dreamcore-proxy-process-'));
}, 180_000);

afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function spawn(args: string[]): Promise<SimulatorProcess> {
  const p = await spawnSimulator(['--log-level=warn', ...args]);
  started.push(p);
  return p;
}

/** A generate and its polls, as the client sees them; `advance` moves whichever clock answers. */
async function lifecycle(url: string, key: string, advance: () => Promise<void>) {
  const seen = [];
  const created = await call(url, 'POST', '/api/generate', { key, body: BODY });
  seen.push(visible(created));
  const id = created.json.data.task_id as string;
  seen.push(visible(await call(url, 'GET', `/api/status?task_id=${id}`, { key })));
  await advance();
  const done = await call(url, 'GET', `/api/status?task_id=${id}`, { key });
  seen.push({
    ...visible(done),
    body: { ...done.json, data: { ...done.json.data, response: done.json.data.response.length } },
  });
  return seen;
}

describe('the proxy and the replay as processes', () => {
  it('records a session to a complete cassette (even when stopped), and replays it with the live API gone', async () => {
    const cassette = join(dir, 'session.cassette.json');
    const live = await spawn([
      '--clock=virtual',
      '--dev-key=off',
      `--key=${LIVE_KEY}=1000`,
      '--seed=live',
      '--exact-replay=on',
    ]);
    const proxy = await spawn([`--proxy=${live.url}`, `--record=${cassette}`, '--proxy-max-credits=100']);
    expect(proxy.output()).toContain(
      `Proxy:     ${live.url} (recording to ${cassette}, at most 100 credits)`,
    );
    expect(proxy.output()).toContain('Rate limit: off');
    const recorded = await lifecycle(proxy.url, LIVE_KEY, async () => {
      const advanced = await fetch(`${live.url}/__mock/clock/advance`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ms: 60_000 }),
      });
      expect(advanced.status).toBe(200);
    });
    expect(recorded[2]).toMatchObject({ status: 200, body: { data: { status: 'SUCCESS', response: 1 } } });
    expect(await proxy.stop('SIGTERM')).toBe(0);
    expect(await live.stop('SIGTERM')).toBe(0);

    const written = await readCassette(cassette);
    expect(written.exchanges.map((e) => e.response?.status)).toEqual([200, 200, 200]);
    expect(JSON.stringify(written)).not.toContain(LIVE_KEY);

    const replay = await spawn([`--replay=${cassette}`, '--clock=virtual', '--replay-timing=polls']);
    expect(replay.output()).toContain(`Replay:    ${cassette} (timing polls; no network)`);
    const replayed = await lifecycle(replay.url, 'sk-another-key-of-ci-0000', async () => undefined);
    expect(replayed).toEqual(recorded);
  });

  it('refuses contradictory or incomplete flags with exit 2, naming the option', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [MAIN_JS, '--port=0', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const noProxy = run(['--record=/tmp/x.json']);
    expect(noProxy.status).toBe(2);
    expect(noProxy.stderr).toContain(
      "--record <file>' records what the live API answers: it needs --proxy <url>",
    );
    const both = run(['--proxy=http://127.0.0.1:9', '--replay=/tmp/x.json']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--replay <file>.* cannot be used with option '--proxy <url>'/);
    const badUrl = run(['--proxy=ftp://example.org']);
    expect(badUrl.status).toBe(2);
    expect(badUrl.stderr).toContain('--proxy');
    const missing = run([`--replay=${join(dir, 'nowhere.json')}`]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--replay: cannot read the cassette');
  });
});
