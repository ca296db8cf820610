/**
 * The fair-share benchmark (`npm run bench -- --only=fair-share`): what a hostile tenant's attacks
 * (scripts/bench/hostile-tenant.ts) cost a victim tenant and the default world on one shared
 * simulator process. test/fairness/hostile-tenant.test.ts checks what everyone is answered; this
 * measures how fast, and is never asserted by a test.
 *
 * One simulator, as a shared one runs: a control token (so that callers without it have their share
 * of tenant creation), node --max-old-space-size=256 (a 128 MiB budget, 16 MiB a tenant, so that the
 * floods reach the shares within seconds), the rate limit off (it would stop the floods before the
 * journal and the budget) and the benchmark's other flags (targets.ts simulatorArgs). Three clients:
 *
 * - the victim, a tenant, and the default world: each a client's flow over PARTY_CONNECTIONS
 *   connections (autocannon, in this process), a generate (`X-Mock-Polls: 1`) then its status poll
 *   (SUCCESS), both at once; each world reset before each run, so every run starts alike;
 * - a health check, GET /__mock/health one at a time, HEALTH_GAP_MS apart: its p95;
 * - the hostile, from 127.0.0.2: each attack's state made first (followers held, its rules, keys and
 *   tasks to the limits, its tenants to its creation rate, then filled), then kept up by a process of
 *   its own (hostile-load.ts) over HOSTILE_CONNECTIONS connections, as many as each of the others has,
 *   as fast as it is answered.
 *
 * Each attack is measured three times in a row, so that a slow phase of the machine hits all three:
 * before it, with its state made and nothing more sent (what holding it costs the others), and while
 * it is kept up. Two references are not attacks: `none` (what measuring twice moves) and `neighbour`
 * (an ordinary tenant's generates over as many connections: what a third client takes anyway, since
 * the simulator serves connections first come, first served).
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { DEFAULT_MAX_WAITS } from '../../mock-server/src/http/admin/journal-feed.js';
import {
  Caller,
  accountFlood,
  createTenant,
  fillTenants,
  flood,
  holdWaits,
  journalFloodRequest,
  kindOf,
  openStreams,
  ruleFlood,
  taskFlood,
  tenantFlood,
  type AttackContext,
  type AttackName,
  type Followers,
  type HostileTenant,
} from './hostile-tenant.js';
import { watchCpu } from './machine-load.js';
import { promptSource } from './prompts.js';
import { BENCH_KEYS, ROOT, startSimulator, type Target } from './targets.js';
import { clientFlow, type LoadOptions } from './workloads.js';

/** Connections of the victim's client, of the default world's, and the hostile's. */
export const PARTY_CONNECTIONS = 8;
export const HOSTILE_CONNECTIONS = 8;
/** Between two health checks: a monitor's pace, not a load. */
const HEALTH_GAP_MS = 10;
export const HEAP_MB = 256;
const OPERATOR = { 'x-mock-token': 'fair-share-operator' };

/** What one client did over a measured period. */
export interface PartyRun {
  /** 2xx responses per second (a flow is two): a refusal is no throughput. */
  rps: number;
  non2xx: number;
  errors: number;
}

export interface FairShareRun {
  victim: PartyRun;
  home: PartyRun;
  /** Health checks answered during the measured period, and their p95 latency (ms). */
  healthChecks: number;
  healthP95: number;
  healthMax: number;
  /** Cores the simulator used, this process (the others' clients), and the hostile's process. */
  simCores?: number;
  clientCores: number;
  hostileCores?: number;
  /** CPU cores used by other processes than the benchmark's, the hostile's and the simulator. */
  otherCpu?: number;
  /** What the hostile was answered while the others were measured. */
  hostile: Record<string, number>;
}

export interface FairShareAttack {
  name: string;
  /** No attack (`none`, `neighbour`): a reference the targets do not judge. */
  reference: boolean;
  /** What the hostile does, in a sentence. */
  what: string;
  /** What making its state answered (held, refused...), for the report. */
  setup: string;
  before: FairShareRun;
  /** With the attack's state made and nothing more sent: what the state alone costs the others. */
  state?: FairShareRun;
  during: FairShareRun;
}

/** An attack: its state made, then kept up (hostile-load.ts) while the others are measured. */
interface Attack {
  name: AttackName | 'none';
  what: string;
  reference?: true;
  /** Makes the attack's state; returns what it was answered, who the hostile is now, and how to undo it. */
  start(h: Hostile): Promise<{ setup: string; context?: AttackContext; stop(): Promise<void> }>;
}

interface Hostile {
  caller: Caller;
  tenant: HostileTenant;
  /** The tenants of its tenant flood, once it has made them. */
  flooded?: HostileTenant[];
}

const followersText = (f: Followers, asked: number, what: string) =>
  `${asked} ${what}: ${f.held()} held, ${f.refused.total} refused (${Object.keys(f.refused.toJSON()).join(', ')})`;

/** 100 long-polls and 500 streams with q=, the suite's figures. */
const WAITS = 100;
const STREAMS = 500;
/** Journal flood requests made before the others are measured (the journal at its bound). */
const JOURNAL_PREFILL = 1_000;

async function holdFollowers(h: Hostile) {
  const waits = holdWaits(h.caller, h.tenant.token, WAITS);
  await waits.refusedAtLeast(WAITS - DEFAULT_MAX_WAITS);
  const streams = await openStreams(h.caller, h.tenant.token, STREAMS);
  return {
    setup: `${followersText(waits, WAITS, 'waits')}; ${followersText(streams, STREAMS, 'streams')}`,
    close: () => [waits, streams].forEach((f) => f.close()),
  };
}

const ATTACKS: Attack[] = [
  {
    name: 'none',
    what: 'nothing: what measuring twice in a row moves',
    reference: true,
    start: async () => ({ setup: '-', stop: async () => {} }),
  },
  {
    name: 'neighbour',
    what: 'no attack: an ordinary tenant’s generates over as many connections, what a third client takes anyway',
    reference: true,
    start: async (h) => ({
      setup: '-',
      context: { tenant: h.tenant },
      stop: () => resetWorld(h.caller, { 'x-mock-token': h.tenant.token }),
    }),
  },
  {
    name: 'long-polls',
    what: `${WAITS} GET /__mock/journal/wait?q=… held on its tenant; refused ones asked again at once`,
    async start(h) {
      const waits = holdWaits(h.caller, h.tenant.token, WAITS);
      await waits.refusedAtLeast(WAITS - DEFAULT_MAX_WAITS);
      return {
        setup: followersText(waits, WAITS, 'waits'),
        context: { tenant: h.tenant },
        stop: async () => waits.close(),
      };
    },
  },
  {
    name: 'streams',
    what: `${STREAMS} GET /__mock/journal/stream?q=… opened on its tenant; refused ones opened again at once`,
    async start(h) {
      const streams = await openStreams(h.caller, h.tenant.token, STREAMS);
      return {
        setup: followersText(streams, STREAMS, 'streams'),
        context: { tenant: h.tenant },
        stop: async () => streams.close(),
      };
    },
  },
  {
    name: 'journal flood',
    what:
      'POST /api/generate with 60 KB bodies and 16 large headers (400, journaled at 8 KiB), ' +
      `under its ${WAITS} waits and ${STREAMS} streams held`,
    async start(h) {
      const held = await holdFollowers(h);
      const prefill = await flood(JOURNAL_PREFILL, HOSTILE_CONNECTIONS, () =>
        journalFloodRequest(h.caller, h.tenant.keys[0]!),
      );
      return {
        setup: `${held.setup}; ${JOURNAL_PREFILL} requests first: ${JSON.stringify(prefill.toJSON())}`,
        context: { tenant: h.tenant },
        stop: async () => {
          held.close();
          await resetWorld(h.caller, { 'x-mock-token': h.tenant.token });
        },
      };
    },
  },
  {
    name: 'rule + account flood',
    what:
      'fault rules to --max-rules, keys to --tenant-max-keys, and a second tenant’s tasks to its share; ' +
      'then one more of each, again and again',
    async start(h) {
      const rules = await ruleFlood(h.caller, h.tenant.token);
      const accounts = await accountFlood(h.caller, h.tenant);
      const second = await createTenant(h.caller);
      const tasks = await taskFlood(h.caller, second.keys[0]!);
      return {
        setup:
          `${rules.added} rules then ${kindOf(rules.refusal)}; ${accounts.created} keys then ${kindOf(accounts.refusal)}; ` +
          `tasks: ${JSON.stringify(tasks.toJSON())}`,
        context: { tenant: h.tenant, second },
        stop: async () => {
          await resetWorld(h.caller, { 'x-mock-token': h.tenant.token });
          await h.caller.send('DELETE', `/__mock/tenants/${second.id}`, {
            headers: { 'x-mock-token': second.token },
          });
        },
      };
    },
  },
  {
    name: 'tenant flood',
    what: 'POST /__mock/tenants with 20 keys each, from one address, until refused; then again and again',
    async start(h) {
      const tenants = await tenantFlood(h.caller);
      h.flooded = tenants.created;
      return {
        setup: `${tenants.created.length} tenants then ${kindOf(tenants.refusal)}`,
        context: { tenant: h.tenant },
        stop: async () => {},
      };
    },
  },
  {
    name: 'tenants filled',
    what:
      'the tenants of its tenant flood filled with tasks to their shares, one after another, until its ' +
      'address’s share of the budget (--caller-memory-share) or the whole budget is full; then one more task, again and again',
    async start(h) {
      // Its tenant flood's tenants; made now when that attack was not run (--attacks).
      const { filled, tally } = await fillTenants(
        h.caller,
        h.flooded ?? (await tenantFlood(h.caller)).created,
      );
      return {
        setup: `${filled.length} tenants filled: ${JSON.stringify(tally.toJSON())}`,
        context: { tenant: filled.at(-1)! },
        stop: async () => {},
      };
    },
  },
];

/** The attack kept up by a process of its own (hostile-load.ts) until `stop`; what it was answered. */
async function keepUp(url: string, attack: AttackName, context: AttackContext) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join('scripts', 'bench', 'hostile-load.ts'),
      JSON.stringify({ url, attack, context, connections: HOSTILE_CONNECTIONS }),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      if (!out.startsWith('ready\n')) return;
      child.stdout.off('data', ready);
      resolve();
    };
    child.stdout.on('data', ready);
    void exited.then((code) => reject(new Error(`hostile-load exited with ${code}`)));
  });
  return {
    pid: child.pid ?? -1,
    async stop(): Promise<Record<string, number>> {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`hostile-load exited with ${code}`);
      return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    },
  };
}

async function resetWorld(caller: Caller, headers: Record<string, string>): Promise<void> {
  // As a client should: a 503 right after a load (this address past its share of a busy process,
  // http/fair-share.ts) is asked again after its Retry-After.
  for (let attempt = 1; ; attempt++) {
    const res = await caller.send('POST', '/__mock/reset', { headers });
    if (res.status === 200) return;
    if (res.status !== 503 || attempt === 10) throw new Error(`reset: ${res.status} ${res.body.message}`);
    await new Promise((resolve) => setTimeout(resolve, Number(res.headers['retry-after'] ?? 1) * 1000));
  }
}

/** A client's flow over its keys: a generate that succeeds on its first poll, then that poll. */
function flow(keys: readonly string[], seed: number): autocannon.Request[] {
  const prompts = promptSource(seed);
  return clientFlow(
    keys,
    Array.from({ length: 64 }, () => JSON.stringify(prompts.body())),
    1,
  );
}

/** Health checks one at a time until `stop`, from 127.0.0.1; latencies of those in [from, to]. */
function watchHealth(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: Array<[at: number, ms: number]> = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request(`${url}/__mock/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`health: ${res.statusCode}`)),
          );
        });
        req.on('error', reject);
        req.end();
      });
      samples.push([started, performance.now() - started]);
      await new Promise((resolve) => setTimeout(resolve, HEALTH_GAP_MS));
    }
  })();
  return {
    async stop(from: number, to: number) {
      running = false;
      await done;
      agent.destroy();
      const within = samples
        .filter(([at]) => at >= from && at <= to)
        .map(([, ms]) => ms)
        .sort((a, b) => a - b);
      const p95 = within[Math.min(within.length - 1, Math.ceil(0.95 * within.length) - 1)] ?? NaN;
      return { checks: within.length, p95, max: within.at(-1) ?? NaN };
    },
  };
}

interface Parties {
  target: Target;
  /** The victim's and the default world's control calls, from 127.0.0.1. */
  local: Caller;
  victim: { keys: string[]; token: string };
}

/** One measured period: the victim and the default world at once, health watched, the attack kept up. */
async function measure(
  p: Parties,
  load: LoadOptions,
  attack?: { name: AttackName; context: AttackContext },
): Promise<FairShareRun> {
  const { target, victim } = p;
  await resetWorld(p.local, { 'x-mock-token': victim.token });
  await resetWorld(p.local, { ...OPERATOR, 'x-mock-tenant': 'default' });
  const hostile = attack ? await keepUp(target.url, attack.name, attack.context) : undefined;
  const health = watchHealth(target.url);
  const cpu = watchCpu([process.pid], target.child.pid ?? -1, hostile ? [hostile.pid] : []);
  let from = Infinity;
  let clientCpu = process.cpuUsage();
  const run = (keys: readonly string[], seed: number) => {
    const statuses = { non2xx: 0 };
    const instance = autocannon({
      url: target.url,
      connections: PARTY_CONNECTIONS,
      duration: load.durationS,
      timeout: 10,
      requests: flow(keys, seed),
      ...({ warmup: { connections: PARTY_CONNECTIONS, duration: load.warmupS } } as object),
    }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
    instance.on('start', () => {
      from = Math.min(from, performance.now());
      cpu.restart();
      clientCpu = process.cpuUsage();
    });
    instance.on('response', (_client, status) => {
      if (status < 200 || status > 299) statuses.non2xx++;
    });
    return Promise.resolve(instance).then((r): PartyRun => ({
      rps: (r.requests.total - statuses.non2xx) / r.duration,
      non2xx: statuses.non2xx,
      errors: r.errors + r.timeouts,
    }));
  };
  const [victimRun, homeRun] = await Promise.all([run(victim.keys, 11), run(BENCH_KEYS, 12)]);
  const to = performance.now();
  const { foreignCores, targetCpuS, sideCpuS } = cpu.read();
  const seconds = (to - from) / 1000;
  const { user, system } = process.cpuUsage(clientCpu);
  const checks = await health.stop(from, to);
  return {
    victim: victimRun,
    home: homeRun,
    healthChecks: checks.checks,
    healthP95: checks.p95,
    healthMax: checks.max,
    ...(targetCpuS !== undefined ? { simCores: targetCpuS / seconds } : {}),
    clientCores: (user + system) / 1e6 / seconds,
    ...(sideCpuS !== undefined ? { hostileCores: sideCpuS / seconds } : {}),
    ...(foreignCores !== undefined ? { otherCpu: foreignCores } : {}),
    hostile: (await hostile?.stop()) ?? {},
  };
}

export async function measureFairShare(
  load: LoadOptions,
  log: (line: string) => void,
  /** Some attacks only (their names), to look at one; none named: every one. */
  only: readonly string[] = [],
): Promise<FairShareAttack[]> {
  const unknown = only.filter((name) => !ATTACKS.some((a) => a.name === name));
  if (unknown.length > 0)
    throw new Error(
      `--attacks takes some of ${ATTACKS.map((a) => a.name).join(',')}; got ${unknown.join(',')}`,
    );
  const target = await startSimulator(
    [`--max-old-space-size=${HEAP_MB}`],
    [`--control-token=${OPERATOR['x-mock-token']}`],
  );
  const caller = new Caller(target.url, undefined, HOSTILE_CONNECTIONS);
  const local = new Caller(target.url, '127.0.0.1', 1);
  try {
    const made = await local.send('POST', '/__mock/tenants', {
      body: { keys: BENCH_KEYS.map(() => ({ balance: 1_000_000_000 })) },
    });
    const data = made.body.data as { token: string; keys: Array<{ apiKey: string }> };
    const parties: Parties = {
      target,
      local,
      victim: { token: data.token, keys: data.keys.map((k) => k.apiKey) },
    };
    const hostile: Hostile = { caller, tenant: await createTenant(caller) };
    await measure(parties, load); // warm-up: the process's first run is the JIT's
    const attacks: FairShareAttack[] = [];
    for (const attack of ATTACKS.filter((a) => only.length === 0 || only.includes(a.name))) {
      const before = await measure(parties, load);
      const made = await attack.start(hostile);
      const kept =
        attack.name !== 'none' && made.context ? { name: attack.name, context: made.context } : undefined;
      const state = kept ? await measure(parties, load) : undefined;
      const during = await measure(parties, load, kept);
      await made.stop();
      attacks.push({
        name: attack.name,
        reference: attack.reference ?? false,
        what: attack.what,
        setup: made.setup,
        before,
        ...(state ? { state } : {}),
        during,
      });
      const pct = (b: PartyRun, ...then: Array<PartyRun | undefined>) =>
        `${[b, ...then.filter((r) => r !== undefined)].map((r) => Math.round(r.rps)).join(' -> ')} req/s`;
      log(
        `  fair share ${attack.name.padEnd(20)} victim ${pct(before.victim, state?.victim, during.victim)}, default world ` +
          `${pct(before.home, state?.home, during.home)}, health p95 ${before.healthP95.toFixed(1)} -> ${during.healthP95.toFixed(1)} ms; ` +
          `cores: simulator ${during.simCores?.toFixed(2)}, clients ${during.clientCores.toFixed(2)} (before ${before.clientCores.toFixed(2)}), hostile ${during.hostileCores?.toFixed(2)}, others ${during.otherCpu?.toFixed(2)}; ` +
          `hostile answered ${JSON.stringify(during.hostile)}; set-up: ${made.setup}`,
      );
    }
    if (target.child.exitCode !== null) throw new Error(`the simulator exited:\n${target.output()}`);
    return attacks;
  } finally {
    caller.close();
    local.close();
    await target.stop();
  }
}
