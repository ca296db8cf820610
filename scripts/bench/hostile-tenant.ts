/**
 * A hostile tenant's attacks on a shared simulator, from an address of its own (127.0.0.2: another
 * caller than 127.0.0.1, as the simulator tells callers apart by address): journal long-polls and
 * streams held open, a journal flood of large requests, rule, account and task floods, and a tenant
 * flood. Each attack reports what the hostile was answered, so that the fair-share suite
 * (test/fairness/hostile-tenant.test.ts) can hold the answers to the documented ones and the
 * fair-share benchmark (scripts/bench/fair-share.ts) can measure what the attacks cost everyone else.
 * Nothing here times anything or waits for the simulator: each attack ends when it is answered.
 */
import {
  Agent,
  request,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';

/** A loopback address other than 127.0.0.1: the hostile's, so its tenant creations are its own share. */
export const HOSTILE_ADDRESS = '127.0.0.2';
/** What the hostile's waits and streams look for (`q=`): text no request carries. */
export const NO_MATCH = 'no-such-text-in-any-request';

/** An answer in the API's envelope. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: {
    code: number;
    message: string;
    data: Record<string, unknown> & { type?: string; retry_after_seconds?: number };
  };
}

/** How an answer is told apart from others in a tally: its status and its `data.type`. */
export const kindOf = (a: Answer): string => `${a.status} ${a.body.data?.type ?? ''}`.trim();

/** Answers counted by kind (`kindOf`), with the first answer of each kind kept to look at. */
export class Tally {
  readonly counts = new Map<string, number>();
  readonly first = new Map<string, Answer>();
  add(a: Answer): void {
    const kind = kindOf(a);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (!this.first.has(kind)) this.first.set(kind, a);
  }
  get total(): number {
    return [...this.counts.values()].reduce((s, n) => s + n, 0);
  }
  /** The counts as a plain object, for an equality assertion or a log line. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** Everything the hostile sends goes from its own address, over its own keep-alive connections. */
export class Caller {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(
    url: string,
    readonly address = HOSTILE_ADDRESS,
    connections = 16,
  ) {
    this.base = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, localAddress: address });
  }

  send(
    method: string,
    path: string,
    /** `body` is sent as JSON; `json`, JSON already serialised (a flood's body, made once). */
    options: { body?: unknown; json?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const payload = options.json ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          agent: this.agent,
          method,
          path,
          headers: {
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
        },
        (res) => readAnswer(res).then(resolve, reject),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request on a connection of its own (a follower held open), not one of the agent's. */
  open(path: string, headers: Record<string, string>): ClientRequest {
    return request({
      host: this.base.hostname,
      port: this.base.port,
      agent: false,
      localAddress: this.address,
      path,
      headers,
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readAnswer(res: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('error', reject);
    res.on('end', () => {
      try {
        resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as Answer['body'] });
      } catch {
        reject(new Error(`${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
      }
    });
  });
}

export interface HostileTenant {
  id: string;
  token: string;
  keys: string[];
}

/** A tenant made by `caller` without a token, as anyone reaching /__mock may. */
export async function createTenant(
  caller: Caller,
  keys = 1,
  balance = 1_000_000_000,
): Promise<HostileTenant> {
  const res = await caller.send('POST', '/__mock/tenants', {
    body: { keys: Array.from({ length: keys }, () => ({ balance })) },
  });
  if (res.status !== 201) throw new Error(`tenant: ${res.status} ${res.body.message}`);
  const data = res.body.data as { tenant: { id: string }; token: string; keys: Array<{ apiKey: string }> };
  return { id: data.tenant.id, token: data.token, keys: data.keys.map((k) => k.apiKey) };
}

/** Followers held open (waits or streams), and the ones refused at once. */
export interface Followers {
  /** Held: answered nothing yet (a wait), or 200 and streaming (a stream). */
  held(): number;
  refused: Tally;
  /** Resolves once `n` of them have been refused. */
  refusedAtLeast(n: number): Promise<void>;
  /** Closes every connection. */
  close(): void;
}

/** Follower answers, and who waits for a number of refusals. */
function followers(): Followers & { refuse(a: Answer): void; requests: ClientRequest[]; open: number } {
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const state = {
    requests: [] as ClientRequest[],
    open: 0,
    refused: new Tally(),
    held: () => state.open,
    refuse(a: Answer) {
      state.refused.add(a);
      for (const w of [...waiters])
        if (state.refused.total >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
    refusedAtLeast: (n: number) =>
      state.refused.total >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () => {
      for (const req of state.requests) req.destroy();
    },
  };
  return state;
}

/**
 * `n` long-polls (GET /__mock/journal/wait) with a `q=` filter that matches nothing, each on a
 * connection of its own, held until closed (a minute at most, the longest a wait lasts). A wait is
 * held while it has not answered; the simulator answers at once only the ones it refuses.
 */
export function holdWaits(caller: Caller, token: string, n: number): Followers {
  const state = followers();
  for (let i = 0; i < n; i++) {
    const req = caller.open(HELD_WAIT_PATH, { 'x-mock-token': token });
    state.open++;
    req.on('response', (res) => {
      state.open--;
      void readAnswer(res).then((a) => (a.status === 200 ? undefined : state.refuse(a)));
    });
    req.on('error', () => undefined); // closed on purpose
    req.end();
    state.requests.push(req);
  }
  return state;
}

/**
 * `n` journal streams (GET /__mock/journal/stream) with a `q=` filter that matches nothing, each on a
 * connection of its own; resolves once every one is answered: streaming (200, its heartbeats read and
 * dropped) or refused.
 */
export async function openStreams(caller: Caller, token: string, n: number): Promise<Followers> {
  const state = followers();
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = caller.open(STREAM_PATH, { 'x-mock-token': token, accept: 'text/event-stream' });
          state.requests.push(req);
          req.on('response', (res) => {
            if (res.statusCode === 200) {
              state.open++;
              res.on('close', () => state.open--);
              res.resume();
              resolve();
            } else
              readAnswer(res).then((a) => {
                state.refuse(a);
                resolve();
              }, reject);
          });
          req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
          req.end();
        }),
    ),
  );
  return state;
}

/** Up to `concurrency` requests at once, `count` in all; every answer tallied. */
export async function flood(count: number, concurrency: number, send: (i: number) => Promise<Answer>) {
  const tally = new Tally();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) tally.add(await send(next++));
    }),
  );
  return tally;
}

const FLOOD_BODY = JSON.stringify({ prompt: 'x'.repeat(60_000), aspectRatio: '1:1', quality: 'basic' });
const FLOOD_HEADERS = Object.fromEntries(
  Array.from({ length: 16 }, (_, i) => [`x-mock-note-${i}`, 'h'.repeat(256)]),
);

/**
 * A request the journal keeps at its largest (an 8 KiB body, 16 X-Mock headers of 256 characters),
 * sent with a body of 60,000 characters (under the default --body-limit of 64 KiB): refused as
 * invalid (the prompt's 1,500 characters at most), and journaled all the same.
 */
export function journalFloodRequest(caller: Caller, key: string): Promise<Answer> {
  return caller.send('POST', '/api/generate', {
    json: FLOOD_BODY,
    headers: { authorization: `Bearer ${key}`, ...FLOOD_HEADERS },
  });
}

/** A fault rule with its longest message (2,000 characters), in the hostile's world only. */
const fatRule = (i: number) => ({
  match: { path: '/api/status' },
  action: { status: 500, message: `${i} ${'m'.repeat(1990)}` },
});

/** Rules of a scenario: as many fat rules as fit a 64 KiB body. */
const RULES_PER_SCENARIO = 25;

/** Until refused (or `bound` posts): scenarios of fat rules. Returns the rules added and the refusal. */
export async function ruleFlood(caller: Caller, token: string, bound = 1_000) {
  let added = 0;
  for (let post = 0; post < bound; post++) {
    const res = await caller.send('POST', '/__mock/scenario', {
      body: {
        format: 'dreamcore-scenario',
        version: 1,
        rules: Array.from({ length: RULES_PER_SCENARIO }, (_, i) => fatRule(added + i)),
      },
      headers: { 'x-mock-token': token },
    });
    if (res.status !== 201) return { added, refusal: res };
    added += RULES_PER_SCENARIO;
  }
  throw new Error(`rule flood: ${added} rules and no refusal`);
}

/** One rule more: what the flood's refusal is, asked again. */
export const oneRule = (caller: Caller, token: string) =>
  caller.send('POST', '/__mock/faults', { body: fatRule(0), headers: { 'x-mock-token': token } });

/** A new key in the tenant's namespace, `sk-<tenant id>-flood-<i>`. */
export const oneAccount = (caller: Caller, tenant: HostileTenant, i: number) =>
  caller.send('PUT', `/__mock/accounts/sk-${tenant.id}-flood-${i}`, {
    body: { balance: 1 },
    headers: { 'x-mock-token': tenant.token },
  });

/** Until refused (or `bound` keys): new keys in the tenant's namespace. */
export async function accountFlood(caller: Caller, tenant: HostileTenant, bound = 100_000) {
  for (let i = 0; i < bound; i++) {
    const res = await oneAccount(caller, tenant, i);
    if (res.status !== 200) return { created: i, refusal: res };
  }
  throw new Error(`account flood: ${bound} keys and no refusal`);
}

/** A generate that makes a task as large as one can be: a 1,500-character prompt and two image URLs. */
export const fatGenerate = (caller: Caller, key: string, i: number) =>
  caller.send('POST', '/api/generate', {
    body: {
      prompt: `${i} ${'p'.repeat(1490)}`,
      aspectRatio: '1:1',
      quality: 'basic',
      imageUrls: ['https://example.com/a.png', 'https://example.com/b.png'],
    },
    headers: { authorization: `Bearer ${key}` },
  });

/**
 * Tasks until the tenant's share is full, `concurrency` at a time: returns the tally (200s, then the
 * refusals) once one is refused and those in flight are answered, or after `bound` generates.
 */
export async function taskFlood(caller: Caller, key: string, concurrency = 8, bound = 100_000) {
  const tally = new Tally();
  let next = 0;
  let refused = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!refused && next < bound) {
        const res = await fatGenerate(caller, key, next++);
        tally.add(res);
        if (res.status !== 200) refused = true;
      }
    }),
  );
  return tally;
}

/** One tenant more, with as many keys as a caller may ask (--tenant-max-keys, 20 by default). */
export const oneTenant = (caller: Caller, keys = 20) =>
  caller.send('POST', '/__mock/tenants', {
    body: { keys: Array.from({ length: keys }, () => ({ balance: 1 })) },
  });

/** Until refused (or `bound` tenants): returns the ones made and the refusal. */
export async function tenantFlood(caller: Caller, bound = 1_000) {
  const created: HostileTenant[] = [];
  for (let i = 0; i < bound; i++) {
    const res = await oneTenant(caller);
    if (res.status !== 201) return { created, refusal: res };
    const data = res.body.data as { tenant: { id: string }; token: string; keys: Array<{ apiKey: string }> };
    created.push({ id: data.tenant.id, token: data.token, keys: data.keys.map((k) => k.apiKey) });
  }
  throw new Error(`tenant flood: ${bound} tenants and no refusal`);
}

/**
 * How the simulator says the whole budget is full (memory-budget.ts fullRefusal), or the share of the
 * caller whose tenants these are (callerRefusal): not one tenant's share, which the next tenant has.
 */
export const BUDGET_FULL = /^The simulator's memory budget is full|^The tenants your address created hold/;

/**
 * The tenants of a tenant flood, each filled with tasks to its share in turn, until their caller's
 * share of the budget (--caller-memory-share) or the whole budget is full: what the tenants' own
 * shares do not prevent (docs/reference/resource-model.md, "Why a tenant's share is an eighth").
 * Returns the tenants filled and the tally of their generates.
 */
export async function fillTenants(caller: Caller, tenants: readonly HostileTenant[]) {
  const tally = new Tally();
  const filled: HostileTenant[] = [];
  for (const tenant of tenants) {
    const funded = await caller.send('PUT', `/__mock/accounts/${tenant.keys[0]}`, {
      body: { balance: 1_000_000_000 },
      headers: { 'x-mock-token': tenant.token },
    });
    if (funded.status !== 200) throw new Error(`fund: ${funded.status} ${funded.body.message}`);
    const tasks = await taskFlood(caller, tenant.keys[0]!);
    for (const [kind, n] of tasks.counts) for (let i = 0; i < n; i++) tally.add(tasks.first.get(kind)!);
    filled.push(tenant);
    if ([...tasks.first.values()].some((a) => BUDGET_FULL.test(a.body.message))) return { filled, tally };
  }
  throw new Error(`${tenants.length} tenants filled and neither their caller's share nor the budget is full`);
}

/**
 * The attacks that are kept up while others are served (the fair-share benchmark's), and `neighbour`,
 * no attack: an ordinary tenant's generates, what a third client takes of a shared process anyway.
 */
export const ATTACK_NAMES = [
  'neighbour',
  'long-polls',
  'streams',
  'journal flood',
  'rule + account flood',
  'tenant flood',
  'tenants filled',
] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

/** Who the hostile is: its tenant (the one its tasks filled, once tenants are), and a second one whose share its tasks filled (rule + account flood). */
export interface AttackContext {
  tenant: HostileTenant;
  second?: HostileTenant;
}

const waitPath = (timeoutMs: number) =>
  `/__mock/journal/wait?${new URLSearchParams({ q: NO_MATCH, timeoutMs: String(timeoutMs) })}`;
/** A wait held for a minute, the longest one lasts. */
export const HELD_WAIT_PATH = waitPath(60_000);
export const STREAM_PATH = `/__mock/journal/stream?${new URLSearchParams({ q: NO_MATCH })}`;

/**
 * The i-th request of an attack kept up once its state is made: a refused follower asked again at
 * once (ignoring Retry-After), a large request more, one more rule, key, task or tenant past the limit.
 */
export const AGAIN: Record<AttackName, (caller: Caller, ctx: AttackContext, i: number) => Promise<Answer>> = {
  neighbour: (caller, { tenant }, i) =>
    caller.send('POST', '/api/generate', {
      body: {
        prompt: `Cinematic photo of a lighthouse at dusk, golden hour ${i}`,
        aspectRatio: '1:1',
        quality: 'basic',
      },
      headers: { authorization: `Bearer ${tenant.keys[0]}`, 'x-mock-polls': '1' },
    }),
  'long-polls': (caller, { tenant }) =>
    caller.send('GET', HELD_WAIT_PATH, { headers: { 'x-mock-token': tenant.token } }),
  streams: (caller, { tenant }) =>
    caller.send('GET', STREAM_PATH, { headers: { 'x-mock-token': tenant.token } }),
  'journal flood': (caller, { tenant }) => journalFloodRequest(caller, tenant.keys[0]!),
  'rule + account flood': (caller, { tenant, second }, i) =>
    i % 3 === 0
      ? oneRule(caller, tenant.token)
      : i % 3 === 1
        ? oneAccount(caller, tenant, 1_000 + i)
        : fatGenerate(caller, second!.keys[0]!, i),
  'tenant flood': (caller) => oneTenant(caller),
  'tenants filled': (caller, { tenant }, i) => fatGenerate(caller, tenant.keys[0]!, i),
};
