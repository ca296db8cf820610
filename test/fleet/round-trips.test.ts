/**
 * Round trips to Redis per public request, counted by Redis itself: a generate is two world scripts
 * (its admission, its acceptance) and its journal append; a status poll one script (its admission,
 * which polls the task) and its journal append. No other script and no plain command, with rate
 * limiting, a fault rule and chaos all on, so that every step of an admission runs.
 *
 * The request is sent once first: the first request of a key looks its world up in the directory and
 * a script may be loaded on NOSCRIPT (both once per process), and the world is touched (for idle
 * sweeping) at most once a second of system time, which stands still here.
 *
 * What Redis ran is read two ways: `INFO commandstats` (how many EVALSHA and EVAL, and their CPU,
 * printed for the record: never asserted, as speed goals are not timed assertions), and MONITOR,
 * which tells a client's command from one a script ran (`[0 lua]`), and names each script by its SHA.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { DIRECTORY_SCRIPTS, WORLD_SCRIPTS } from '../../mock-server/src/store/redis/lua.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const SCRIPT_NAMES = new Map(
  Object.entries({ ...WORLD_SCRIPTS, ...DIRECTORY_SCRIPTS }).map(([name, script]) => [script.sha, name]),
);

/** What this test sends itself through redis-cli (MONITOR does not show CONFIG). */
const TEST_COMMANDS = new Set(['echo', 'info']);

/** The client commands MONITOR reports (commands scripts ran left out), until a marker is echoed. */
class Monitor {
  private buffer = '';
  private lines: string[] = [];
  private waiting?: { marker: string; resolve: (lines: string[]) => void };

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
      }
      const w = this.waiting;
      const at = w ? this.lines.findIndex((l) => l.includes(`"${w.marker}"`)) : -1;
      if (w && at >= 0) {
        const seen = this.lines.slice(0, at);
        this.lines = this.lines.slice(at + 1);
        this.waiting = undefined;
        w.resolve(seen);
      }
    });
  }

  static async open(port: number): Promise<Monitor> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const monitor = new Monitor(socket);
    socket.write('MONITOR\r\n');
    return monitor;
  }

  /** What clients sent since the last call: each as its command, an EVALSHA as its script's name. */
  async since(redis: RedisServer, name: string): Promise<string[]> {
    const marker = `round-trips-test-marker-${name}`; // never an argument a script is sent
    const seen = new Promise<string[]>((resolve) => (this.waiting = { marker, resolve }));
    await redis.cli('ECHO', marker);
    return (await seen)
      .filter((line) => line.startsWith('+') && line !== '+OK' && !/^\+\S+ \[\d+ lua\]/.test(line))
      .map((line) => {
        const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
        const command = words[0]!.toLowerCase();
        return command === 'evalsha' ? (SCRIPT_NAMES.get(words[1]!) ?? `evalsha ${words[1]}`) : command;
      })
      .filter((command) => !TEST_COMMANDS.has(command));
  }

  close(): void {
    this.socket.destroy();
  }
}

interface CommandStat {
  calls: number;
  usec: number;
}

/** `INFO commandstats`: calls and CPU (usec, the commands a script ran included), by command. */
async function commandStats(redis: RedisServer): Promise<Map<string, CommandStat>> {
  const stats = new Map<string, CommandStat>();
  for (const m of (await redis.cli('INFO', 'commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+),/gm,
  ))
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

/** The scripts clients ran (EVALSHA and EVAL calls) and the CPU they took, from INFO commandstats. */
function scriptCalls(stats: Map<string, CommandStat>): CommandStat {
  const none = { calls: 0, usec: 0 };
  const [evalsha, evals] = [stats.get('evalsha') ?? none, stats.get('eval') ?? none];
  return { calls: evalsha.calls + evals.calls, usec: evalsha.usec + evals.usec };
}

let redis: RedisServer;
let monitor: Monitor;
let sim: TestSimulator;
const SYSTEM_NOW = Date.UTC(2030, 0, 1);

beforeAll(async () => {
  redis = await startRedis();
  monitor = await Monitor.open(redis.port);
  sim = await testSimulator(
    [
      '--store=redis',
      `--redis-url=${redis.url}`,
      '--redis-prefix=rt',
      '--rate-limit=generate=1000/60s,status=1000/10s',
      '--chaos=500=0.000001',
    ],
    { systemNow: () => SYSTEM_NOW },
  );
  // A rule in force that matches another key: the admission looks at it, and it lets requests by.
  await sim.http
    .post('/__mock/faults')
    .send({ match: { apiKey: 'sk-someone-else-00000001' }, action: { status: 500 } })
    .expect(201);
}, 30_000);

afterAll(async () => {
  monitor?.close();
  await sim?.backend.close();
  await redis?.stop({ cleanup: true });
});

describe('round trips to Redis per public request', () => {
  it('a generate is one admission and one acceptance, a status poll one admission; each with its journal append', async () => {
    const generate = () => sim.http.post('/api/generate').set(sim.auth(DEV_KEY)).send(SAMPLE_REQUEST);
    const poll = (id: string) => sim.http.get('/api/status').query({ task_id: id }).set(sim.auth(DEV_KEY));

    // Warm up: the key's world from the directory, the scripts loaded, the world touched.
    const warm = await generate().expect(200);
    await poll(warm.body.data.task_id as string).expect(200);
    await monitor.since(redis, 'warm');

    await redis.cli('CONFIG', 'RESETSTAT');
    const created = await generate().expect(200);
    const generateSent = await monitor.since(redis, 'generate');
    const generateStats = scriptCalls(await commandStats(redis));

    await redis.cli('CONFIG', 'RESETSTAT');
    await poll(created.body.data.task_id as string).expect(200);
    const pollSent = await monitor.since(redis, 'poll');
    const pollStats = scriptCalls(await commandStats(redis));

    console.log(
      `round trips to Redis: generate ${generateStats.calls} script calls (${generateSent.join(', ')}), ` +
        `${generateStats.usec} usec of Redis CPU; status poll ${pollStats.calls} (${pollSent.join(', ')}), ` +
        `${pollStats.usec} usec`,
    );
    expect(generateSent).toEqual(['admit', 'accept', 'appendJournal']);
    expect(generateStats.calls).toBe(3);
    expect(pollSent).toEqual(['admit', 'appendJournal']);
    expect(pollStats.calls).toBe(2);
  });
});
