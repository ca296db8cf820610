/**
 * The model of the ledger and the task lifecycle, and its commands: random sequences of commands
 * run over HTTP against the real app (public API for generate and status, /__mock for control),
 * and against a small model. After every step the simulator must agree with the model:
 *
 * - each key's balance = its start (or last set) balance - accepted prices + refunds, and its ledger
 *   chains (every entry's balance_after = the previous one + amount; one debit per task, one refund
 *   per failed task, nothing else);
 * - each task is IN_PROGRESS until its planned end has passed on the model's clock, then its planned
 *   outcome, unless a forced transition came first; consumed_credits is the price, or 0 once FAILED;
 * - no task is lost and none appears from nowhere (GET /__mock/tasks lists exactly the model's);
 * - a terminal state, once seen, never changes.
 *
 * Seeded: FC_SEED=<seed> replays a run (see test/properties/support.ts); fast-check prints seed and path
 * on failure. Run on one simulator by test/properties/model-based.test.ts, and with every command on a
 * replica chosen at random by test/fleet/fleet.test.ts: the same model, one simulator or three.
 */
import { faker } from '@faker-js/faker';
import fc from 'fast-check';
import type supertest from 'supertest';
import { expect } from 'vitest';
import { CREDIT_TABLE, type Preset } from '../../generated/credit-table.js';
import { DEFAULT_FAILURE_MESSAGE } from '../../mock-server/src/domain/upstream-errors.js';
import type { TestSimulator } from './harness.js';
import { FC_SEED, atLeast, fcParams } from '../properties/support.js';

faker.seed(FC_SEED);

/** Small balances, so 402 happens often; the dev key stays out of the model's way. */
export const START_BALANCES: Readonly<Record<string, number>> = {
  'sk-model-alpha-000001': 60,
  'sk-model-bravo-000002': 30,
  'sk-model-charlie-0003': 100,
};
const KEYS = Object.keys(START_BALANCES);
const ACCOUNTS_AFTER_RESET = KEYS.length + 1; // and the dev key

export const MIN_COMMANDS = 20;
export const MAX_COMMANDS = 40;

type Status = 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';
type Outcome = 'success' | 'failed';

interface Snapshot {
  prompt: string;
  aspectRatio: string;
  quality: 'basic' | 'high';
  imageUrls?: string[];
  numImages?: 4;
}

interface ModelTask {
  id: string;
  key: string;
  preset: Preset;
  price: number;
  images: number;
  snapshot: Snapshot;
  readyAt: number;
  outcome: Outcome;
  plannedMessage: string | null;
  status: Status;
  errorMessage: string | null;
}

interface Model {
  start: number;
  now: number;
  balances: Map<string, number>;
  tasks: ModelTask[];
  /** Terminal states seen on the wire, by task id: they must never change. */
  seenTerminal: Map<string, { status: Status; consumed: number; error: string | null }>;
}

export interface Real {
  /** For `conforms` (the spec check) only: with several replicas, any one of them. */
  sim: TestSimulator;
  /** Where the commands go: one simulator, or a replica chosen at random per request. */
  http: ReturnType<typeof supertest>;
}

export const stats = {
  sequences: 0,
  commands: 0,
  byKind: new Map<string, number>(),
  status: new Map<number, number>(),
};
const count = (map: Map<string | number, number>, k: string | number) => map.set(k, (map.get(k) ?? 0) + 1);

function tally(kind: string): void {
  stats.commands++;
  count(stats.byKind, kind);
}

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const consumed = (t: Pick<ModelTask, 'status' | 'price'>) => (t.status === 'FAILED' ? 0 : t.price);

/** Tasks whose planned end has come settle as planned; a failure refunds its price. */
function settle(m: Model): void {
  for (const t of m.tasks) {
    if (t.status !== 'IN_PROGRESS' || t.readyAt > m.now) continue;
    t.status = t.outcome === 'failed' ? 'FAILED' : 'SUCCESS';
    t.errorMessage = t.plannedMessage;
    if (t.status === 'FAILED') m.balances.set(t.key, m.balances.get(t.key)! + t.price);
  }
}

function resetModel(m: Model): void {
  m.now = m.start;
  m.balances = new Map(Object.entries(START_BALANCES));
  m.tasks = [];
  m.seenTerminal.clear();
}

/** Durations of the `fast` profile: upstream figures / 15 (latency.ts), per image, edits a little more. */
function plausibleDuration(preset: Preset, quality: 'basic' | 'high', ms: number): boolean {
  const image = quality === 'high' ? { min: 2000, max: 8000 } : { min: 800, max: 6000 };
  const images = preset === 'burst' ? 4 : 1;
  const edit =
    preset === 'edit-basic' || preset === 'edit-high' ? { min: 200, max: 534 } : { min: 0, max: 0 };
  return ms >= images * image.min + edit.min - 1 && ms <= images * image.max + edit.max + 1;
}

/** The step's invariants, checked against the simulator through the control API. */
async function verify(m: Model, r: Real): Promise<void> {
  for (const key of KEYS) {
    const res = await r.http.get(`/__mock/accounts/${encodeURIComponent(key)}`);
    expect(res.status, `GET account ${key}`).toBe(200);
    const { balance, ledger } = res.body.data as {
      balance: number;
      ledger: Array<{ kind: string; amount: number; balance_after: number; task_id: string | null }>;
    };
    expect(balance, `balance of ${key}`).toBe(m.balances.get(key));

    // The ledger chains, ends at the balance, and holds exactly one debit per task and one refund per failure.
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger[0]!.kind).toBe('set');
    for (let i = 1; i < ledger.length; i++) {
      expect(ledger[i]!.balance_after, `ledger of ${key} at ${i}`).toBe(
        ledger[i - 1]!.balance_after + ledger[i]!.amount,
      );
      expect(ledger[i]!.balance_after).toBeGreaterThanOrEqual(0);
    }
    expect(ledger.at(-1)!.balance_after).toBe(balance);
    const mine = m.tasks.filter((t) => t.key === key);
    const debits = ledger.filter((e) => e.kind === 'debit');
    const refunds = ledger.filter((e) => e.kind === 'refund');
    expect(debits.map((e) => [e.task_id, e.amount]).sort()).toEqual(mine.map((t) => [t.id, -t.price]).sort());
    expect(refunds.map((e) => [e.task_id, e.amount]).sort()).toEqual(
      mine
        .filter((t) => t.status === 'FAILED')
        .map((t) => [t.id, t.price])
        .sort(),
    );
  }

  const list = await r.http.get('/__mock/tasks').query({ limit: '10000' });
  expect(list.status).toBe(200);
  const views = list.body.data.tasks as Array<{
    record: { task_id: string; status: Status; consumed_credits: number; error_message: string | null };
    price: number;
    preset: Preset;
  }>;
  const byId = new Map(views.map((v) => [v.record.task_id, v]));
  expect(byId.size, 'task ids are unique').toBe(views.length);
  expect([...byId.keys()].sort(), 'the simulator holds exactly the model tasks').toEqual(
    m.tasks.map((t) => t.id).sort(),
  );
  for (const t of m.tasks) {
    const v = byId.get(t.id)!;
    expect(
      { status: v.record.status, consumed: v.record.consumed_credits, error: v.record.error_message },
      `task ${t.id} at +${m.now - m.start} ms (ready at +${t.readyAt - m.start} ms, planned ${t.outcome})`,
    ).toEqual({ status: t.status, consumed: consumed(t), error: t.errorMessage });
    expect({ price: v.price, preset: v.preset }).toEqual({ price: t.price, preset: t.preset });
    if (v.record.status !== 'IN_PROGRESS') {
      const now = {
        status: v.record.status,
        consumed: v.record.consumed_credits,
        error: v.record.error_message,
      };
      const before = m.seenTerminal.get(t.id);
      if (before) expect(now, `terminal state of ${t.id} changed`).toEqual(before);
      else m.seenTerminal.set(t.id, now);
    }
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

interface GenerateSpec {
  key: string;
  preset: Preset;
  prompt: string;
  aspectRatio: string;
  imageUrls: string[];
  burstQuality: 'basic' | 'high';
  sendEmptyUrls: boolean;
  sendNumImagesOne: boolean;
  outcome: Outcome | undefined;
  durationMs: number | undefined;
  errorMessage: string | undefined;
}

class GenerateCmd implements Cmd {
  constructor(readonly g: GenerateSpec) {}
  check = () => true;

  body(): Record<string, unknown> {
    const { g } = this;
    const quality = g.preset === 'burst' ? g.burstQuality : g.preset.endsWith('high') ? 'high' : 'basic';
    const body: Record<string, unknown> = { prompt: g.prompt, aspectRatio: g.aspectRatio, quality };
    if (g.preset === 'edit-basic' || g.preset === 'edit-high') body.imageUrls = g.imageUrls;
    else if (g.preset === 'burst') {
      body.numImages = 4;
      if (g.sendEmptyUrls) body.imageUrls = g.imageUrls; // the burst costs 48 even with references
    } else if (g.sendEmptyUrls) body.imageUrls = [];
    if (g.preset !== 'burst' && g.sendNumImagesOne) body.numImages = 1;
    return body;
  }

  headers(): Record<string, string> {
    const { g } = this;
    return {
      ...(g.outcome ? { 'X-Mock-Outcome': g.outcome } : {}),
      ...(g.durationMs !== undefined ? { 'X-Mock-Duration-Ms': String(g.durationMs) } : {}),
      ...(g.errorMessage ? { 'X-Mock-Error-Message': g.errorMessage } : {}),
    };
  }

  async run(m: Model, r: Real): Promise<void> {
    tally('generate');
    settle(m);
    const body = this.body();
    const res = r.sim.conforms(
      await r.http.post('/api/generate').set(auth(this.g.key)).set(this.headers()).send(body),
    );
    count(stats.status, res.status);
    const price = CREDIT_TABLE[this.g.preset];
    const balance = m.balances.get(this.g.key)!;
    if (balance < price) {
      expect(res.status, 'generate beyond the balance').toBe(402);
      expect(res.body.data).toEqual({ type: 'insufficient_credits', required_credits: price, balance });
      return verify(m, r);
    }
    expect(res.status, `generate ${this.g.preset} with balance ${balance}`).toBe(200);
    const id = res.body.data.task_id as string;
    expect(m.tasks.map((t) => t.id)).not.toContain(id);

    // The plan: what the headers decided, and the seeded draws for the rest (read, then checked for plausibility).
    const view = await r.http.get(`/__mock/tasks/${id}`);
    expect(view.status).toBe(200);
    const plan = view.body.data.plan as { outcome: Outcome; error_message: string | null; ready_at: string };
    const readyAt = Date.parse(plan.ready_at);
    if (this.g.durationMs !== undefined) expect(readyAt - m.now).toBe(this.g.durationMs);
    else
      expect(
        plausibleDuration(this.g.preset, body.quality as 'basic' | 'high', readyAt - m.now),
        `drawn duration ${readyAt - m.now} ms of ${this.g.preset}`,
      ).toBe(true);
    if (this.g.outcome) expect(plan.outcome).toBe(this.g.outcome);
    if (plan.outcome === 'failed') {
      expect(plan.error_message).toEqual(this.g.errorMessage ?? expect.stringMatching(/\S/));
    } else expect(plan.error_message).toBeNull();
    expect(view.body.data.price).toBe(price);

    const snapshot: Snapshot = {
      prompt: this.g.prompt,
      aspectRatio: this.g.aspectRatio,
      quality: body.quality as 'basic' | 'high',
      ...(Array.isArray(body.imageUrls) && body.imageUrls.length > 0 ? { imageUrls: this.g.imageUrls } : {}),
      ...(this.g.preset === 'burst' ? { numImages: 4 as const } : {}),
    };
    expect(view.body.data.record.request).toEqual(snapshot);

    m.balances.set(this.g.key, balance - price);
    m.tasks.push({
      id,
      key: this.g.key,
      preset: this.g.preset,
      price,
      images: this.g.preset === 'burst' ? 4 : 1,
      snapshot,
      readyAt,
      outcome: plan.outcome,
      plannedMessage: plan.error_message,
      status: 'IN_PROGRESS',
      errorMessage: null,
    });
    settle(m);
    return verify(m, r);
  }

  toString() {
    return `generate(${this.g.key}, ${this.g.preset}, ${JSON.stringify(this.headers())})`;
  }
}

class PollCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly via: 'GET' | 'POST query' | 'POST body',
    readonly stranger: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.tasks.length > 0;

  async run(m: Model, r: Real): Promise<void> {
    tally('poll');
    settle(m);
    const t = m.tasks[this.pick % m.tasks.length]!;
    const key = this.stranger ? KEYS[(KEYS.indexOf(t.key) + 1) % KEYS.length]! : t.key;
    const req =
      this.via === 'GET'
        ? r.http.get('/api/status').query({ task_id: t.id })
        : this.via === 'POST query'
          ? r.http.post('/api/status').query({ task_id: t.id })
          : r.http.post('/api/status').send({ task_id: t.id });
    const res = r.sim.conforms(await req.set(auth(key)));
    count(stats.status, res.status);
    if (this.stranger) {
      // Another key's task is not told apart from an unknown one.
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 404, message: 'Task not found', data: { type: 'not_found' } });
      return verify(m, r);
    }
    expect(res.status).toBe(200);
    const record = res.body.data;
    expect(
      {
        task_id: record.task_id,
        status: record.status,
        consumed_credits: record.consumed_credits,
        error_message: record.error_message,
        images: record.response.length,
        request: record.request,
      },
      `status of ${t.id} at +${m.now - m.start} ms (ready at +${t.readyAt - m.start} ms, planned ${t.outcome})`,
    ).toEqual({
      task_id: t.id,
      status: t.status,
      consumed_credits: consumed(t),
      error_message: t.errorMessage,
      images: t.status === 'SUCCESS' ? t.images : 0,
      request: t.snapshot,
    });
    return verify(m, r);
  }

  toString() {
    return `poll(#${this.pick}, ${this.via}${this.stranger ? ', another key' : ''})`;
  }
}

class AdvanceCmd implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;

  async run(m: Model, r: Real): Promise<void> {
    tally('advance');
    const res = await r.http.post('/__mock/clock/advance').send({ ms: this.ms });
    expect(res.status).toBe(200);
    m.now += this.ms;
    expect(res.body.data.now).toBe(m.now);
    settle(m);
    return verify(m, r);
  }

  toString() {
    return `advance(${this.ms} ms)`;
  }
}

class ForceCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly outcome: Outcome,
    readonly message: string | undefined,
  ) {}
  check = (m: Readonly<Model>) => m.tasks.length > 0;

  async run(m: Model, r: Real): Promise<void> {
    tally('force');
    settle(m);
    const t = m.tasks[this.pick % m.tasks.length]!;
    const path = `/__mock/tasks/${t.id}/${this.outcome === 'failed' ? 'fail' : 'succeed'}`;
    const req = r.http.post(path);
    const res = await (this.outcome === 'failed' && this.message
      ? req.send({ error_message: this.message })
      : req);
    if (t.status !== 'IN_PROGRESS') {
      expect(res.status, `forcing ${t.status} task ${t.id}`).toBe(409);
      expect(res.body.data).toEqual({ type: 'conflict' });
      return verify(m, r);
    }
    expect(res.status, `forcing in-progress task ${t.id}`).toBe(200);
    if (this.outcome === 'failed') {
      t.status = 'FAILED';
      t.errorMessage = this.message ?? DEFAULT_FAILURE_MESSAGE;
      m.balances.set(t.key, m.balances.get(t.key)! + t.price);
    } else {
      t.status = 'SUCCESS';
      t.errorMessage = null;
    }
    expect(res.body.data.record).toMatchObject({
      status: t.status,
      consumed_credits: consumed(t),
      error_message: t.errorMessage,
    });
    return verify(m, r);
  }

  toString() {
    return `force(#${this.pick}, ${this.outcome}${this.message ? `, "${this.message}"` : ''})`;
  }
}

class SetBalanceCmd implements Cmd {
  constructor(
    readonly key: string,
    readonly balance: number,
  ) {}
  check = () => true;

  async run(m: Model, r: Real): Promise<void> {
    tally('setBalance');
    settle(m);
    const res = await r.http
      .put(`/__mock/accounts/${encodeURIComponent(this.key)}`)
      .send({ balance: this.balance });
    expect(res.status).toBe(200);
    expect(res.body.data.balance).toBe(this.balance);
    m.balances.set(this.key, this.balance);
    return verify(m, r);
  }

  toString() {
    return `setBalance(${this.key}, ${this.balance})`;
  }
}

class ResetCmd implements Cmd {
  check = () => true;

  async run(m: Model, r: Real): Promise<void> {
    tally('reset');
    const res = await r.http.post('/__mock/reset');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ reset: true, accounts: ACCOUNTS_AFTER_RESET });
    resetModel(m);
    return verify(m, r);
  }

  toString() {
    return 'reset()';
  }
}

/** Prompts from faker, seeded by the generated value, so a seed replays the same text; some odd Unicode. */
const promptArb = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((s) => (faker.seed(s), faker.lorem.sentence({ min: 2, max: 30 }))) },
  { weight: 1, arbitrary: fc.nat().map((s) => (faker.seed(s), faker.commerce.productDescription())) },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
      .filter((s) => /\S/.test(s) && !s.includes('[mock:')),
  },
);
const urlArb = fc.nat().map((s) => {
  faker.seed(s);
  return `${faker.internet.url({ appendSlash: false })}/${faker.string.alphanumeric(8)}.jpg`;
});

const generateArb = fc
  .record({
    key: fc.constantFrom(...KEYS),
    preset: fc.constantFrom<Preset>(
      'text-to-image-basic',
      'text-to-image-high',
      'edit-basic',
      'edit-high',
      'burst',
    ),
    prompt: promptArb,
    aspectRatio: fc.constantFrom('1:1', '3:4', '4:3', '9:16', '16:9'),
    imageUrls: fc.array(urlArb, { minLength: 1, maxLength: 3 }),
    burstQuality: fc.constantFrom<'basic' | 'high'>('basic', 'high'),
    sendEmptyUrls: fc.boolean(),
    sendNumImagesOne: fc.boolean(),
    outcome: fc.option(fc.constantFrom<Outcome>('failed', 'success'), { nil: undefined, freq: 2 }),
    durationMs: fc.option(
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 5_000, max: 40_000 })),
      { nil: undefined, freq: 2 },
    ),
    errorMessage: fc.option(
      fc.nat().map((s) => (faker.seed(s), faker.hacker.phrase())),
      { nil: undefined, freq: 4 },
    ),
  })
  .map((g) => new GenerateCmd(g));

export const commandArbs: Array<fc.Arbitrary<Cmd>> = [
  fc.oneof(
    { weight: 8, arbitrary: generateArb },
    {
      weight: 6,
      arbitrary: fc
        .record({
          pick: fc.nat(),
          via: fc.constantFrom<PollCmd['via']>('GET', 'POST query', 'POST body'),
          stranger: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), // one poll in five with another key
        })
        .map(({ pick, via, stranger }) => new PollCmd(pick, via, stranger)),
    },
    {
      weight: 5,
      arbitrary: fc
        .oneof(
          fc.integer({ min: 0, max: 2_000 }),
          fc.integer({ min: 2_000, max: 15_000 }),
          fc.constant(60_000),
        )
        .map((ms) => new AdvanceCmd(ms)),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          pick: fc.nat(),
          outcome: fc.constantFrom<Outcome>('failed', 'success'),
          message: fc.option(
            fc.nat().map((s) => (faker.seed(s), faker.company.catchPhrase())),
            { nil: undefined },
          ),
        })
        .map(({ pick, outcome, message }) => new ForceCmd(pick, outcome, message)),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ key: fc.constantFrom(...KEYS), balance: fc.integer({ min: 0, max: 120 }) })
        .map(({ key, balance }) => new SetBalanceCmd(key, balance)),
    },
    { weight: 1, arbitrary: fc.constant(new ResetCmd()) },
  ),
];

export const SEQUENCES = 40;

/** `sequences` random command sequences, each from a reset, checked against the model after every step. */
export async function runModel(real: Real, sequences = SEQUENCES): Promise<void> {
  const clock = await real.http.get('/__mock/clock');
  const start = clock.body.data.now as number;
  await fc.assert(
    fc.asyncProperty(
      atLeast(fc.commands(commandArbs, { maxCommands: MAX_COMMANDS, size: 'max' }), MIN_COMMANDS),
      async (cmds) => {
        stats.sequences++;
        // Every sequence starts from the configured state: the reset is part of what is tested.
        const res = await real.http.post('/__mock/reset');
        expect(res.status).toBe(200);
        const model: Model = {
          start,
          now: start,
          balances: new Map(),
          tasks: [],
          seenTerminal: new Map(),
        };
        resetModel(model);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      },
    ),
    fcParams(sequences),
  );
}

export function summary(): string {
  return (
    `${stats.sequences} sequences, ${stats.commands} commands run ` +
    `(${[...stats.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}); generate/poll statuses ` +
    `${[...stats.status].map(([s, n]) => `${s}x${n}`).join(', ')}; seed ${FC_SEED}`
  );
}
