/**
 * A small world for the verdict's tests: a virtual clock, seqs and journal ids drawn as the
 * simulator draws them, and observations made the way the request path makes them (digests of
 * the request as sent), folded as they are made.
 *
 * `send` is a request that arrives now and is answered `tookMs` later; `together` sends several that
 * are all in flight at once (each arrives before any is answered), as a client's Promise.all does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { parse } from 'yaml';
import { responseAjv } from '../../mock-server/src/http/validation/spec-ajv.js';
import { VIRTUAL_CLOCK_START } from '../../mock-server/src/domain/clock.js';
import { NETWORK_FAULTS } from '../../mock-server/src/qa/faults.js';
import { ownerOf, redactKey } from '../../mock-server/src/domain/keys.js';
import { API_SPEC_PATH, loadSpec, specOperations } from '../../mock-server/src/http/load-spec.js';
import { deriveCatalogue, type OutcomeCatalogue } from '../../mock-server/src/verdict/catalogue.js';
import { observe, observeControl } from '../../mock-server/src/verdict/fold.js';
import type { ControlEvent, Observation, ObservedPlan } from '../../mock-server/src/verdict/observation.js';
import { reportOf, type SpendInput, type VerdictReport } from '../../mock-server/src/verdict/report.js';
import {
  resolveSettings,
  type VerdictSettingsInput,
  type VerdictSettings,
} from '../../mock-server/src/verdict/settings.js';
import { emptyState, type VerdictState } from '../../mock-server/src/verdict/state.js';

export const DEV_KEY = 'sk-dreamcore-dev';
export const OTHER_KEY = 'sk-dc-0123456789abcdef';

let catalogue: OutcomeCatalogue | undefined;
export async function realCatalogue(): Promise<OutcomeCatalogue> {
  catalogue ??= deriveCatalogue(specOperations(await loadSpec(API_SPEC_PATH)));
  return catalogue;
}

export const NO_SPEND: SpendInput = { debited: 0, refunded: 0, byKey: [] };

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface Answer {
  status?: number;
  fault?: Observation['fault'];
  injected?: string | null;
  retryAfterSeconds?: number | null;
  taskStatus?: Observation['taskStatus'];
  balance?: number | null;
  price?: number | null;
  plan?: ObservedPlan | null;
  taskId?: string | null;
  /** How long the request took, on the world's clock. */
  tookMs?: number;
}

export interface RequestSpec {
  key?: string | null;
  /** A generate with this body (JSON text), or a poll of this task. */
  generate?: string;
  poll?: string;
  method?: 'GET' | 'POST';
}

export class World {
  now = VIRTUAL_CLOCK_START;
  seq = 0;
  journal = 0;
  tasks = 0;
  readonly state: VerdictState;
  readonly settings: VerdictSettings;
  readonly observations: (Observation | ControlEvent)[] = [];

  constructor(settings: VerdictSettingsInput = {}) {
    this.settings = resolveSettings(settings);
    this.state = emptyState(this.settings.caps);
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  /** A request arriving now, answered `answer.tookMs` later (the clock does not move). */
  send(spec: RequestSpec, answer: Answer = {}): Observation {
    return this.together([[spec, answer]])[0]!;
  }

  /** Requests all in flight at once: each arrives now, before any of them is answered. */
  together(requests: [RequestSpec, Answer][]): Observation[] {
    const afterSeq = this.seq;
    const made = requests.map(([spec, answer]) => this.make(spec, answer, afterSeq));
    made.sort((a, b) => a.answeredAt - b.answeredAt);
    for (const o of made) {
      o.seq = ++this.seq;
      this.fold(o);
    }
    return made;
  }

  generate(
    body = '{"prompt":"a red fox","aspectRatio":"1:1","quality":"basic"}',
    answer: Answer = {},
    key: string | null = DEV_KEY,
  ): Observation {
    return this.send({ key, generate: body }, answer);
  }

  /** A generate accepted: a task that ends `durationMs` from now with `outcome`. */
  accepted(
    body = '{"prompt":"a red fox","aspectRatio":"1:1","quality":"basic"}',
    plan: Partial<ObservedPlan> & { durationMs?: number } = {},
    key: string | null = DEV_KEY,
  ): Observation {
    const { durationMs = 3000, ...rest } = plan;
    return this.generate(
      body,
      {
        status: 200,
        price: 12,
        balance: 988,
        plan: { outcome: 'success', readyAt: this.now + durationMs, completeOnPoll: null, ...rest },
      },
      key,
    );
  }

  poll(
    taskId: string,
    answer: Answer = {},
    key: string | null = DEV_KEY,
    method: 'GET' | 'POST' = 'GET',
  ): Observation {
    return this.send({ key, poll: taskId, method }, { taskStatus: 'IN_PROGRESS', ...answer });
  }

  /** QA ends a task through the control API. */
  endTask(taskId: string, status: 'SUCCESS' | 'FAILED'): void {
    this.control({ kind: 'task-ended', seq: ++this.seq, at: this.now, taskId, status });
  }

  /** QA sets a balance through the control API (creating the key). */
  setBalance(key: string, balance: number): void {
    this.control({ kind: 'balance-set', seq: ++this.seq, at: this.now, keyOwner: ownerOf(key), balance });
  }

  /** The world back to its start; its seqs start again. */
  reset(): void {
    this.seq = 0;
    this.control({ kind: 'reset', seq: 0, at: this.now });
  }

  control(e: ControlEvent): void {
    this.observations.push(e);
    observeControl(this.state, e, this.settings);
  }

  async report(now = this.now, spend: SpendInput = NO_SPEND): Promise<VerdictReport> {
    return reportOf(this.state, {
      now,
      world: 'default',
      catalogue: await realCatalogue(),
      settings: this.settings,
      spend,
    });
  }

  /** Occurrences per rule, as the report gives them now. */
  async found(now = this.now): Promise<Record<string, number>> {
    const report = await this.report(now);
    return Object.fromEntries(report.findings.map((f) => [f.rule, f.occurrences]));
  }

  private fold(o: Observation): void {
    this.observations.push(o);
    observe(this.state, o, this.settings);
  }

  private make(spec: RequestSpec, answer: Answer, afterSeq: number): Observation {
    const key = spec.key === undefined ? DEV_KEY : spec.key;
    const isGenerate = spec.generate !== undefined;
    const status = answer.status ?? (answer.fault ? 0 : 200);
    const taskId =
      answer.taskId !== undefined
        ? answer.taskId
        : isGenerate
          ? status === 200 && !answer.fault
            ? `sd45_${(++this.tasks).toString(16).padStart(16, '0')}`
            : null
          : spec.poll!;
    const method = spec.method ?? (isGenerate ? 'POST' : 'GET');
    const requestText = isGenerate
      ? `POST /api/generate\n${spec.generate}`
      : `${method} /api/status?task_id=${spec.poll}`;
    const answered = isGenerate ? status === 200 && !answer.fault : status === 200 && !answer.fault;
    return {
      seq: 0,
      afterSeq,
      at: this.now,
      answeredAt: this.now + (answer.tookMs ?? 0),
      journalId: ++this.journal,
      operation: isGenerate ? 'createGenerationTask' : method === 'GET' ? 'getTaskStatus' : 'postTaskStatus',
      keyOwner: key === null ? null : ownerOf(key),
      keyLabel: key === null ? null : redactKey(key),
      status,
      fault: answer.fault ?? null,
      injected: answer.injected ?? null,
      retryAfterSeconds: answer.retryAfterSeconds ?? null,
      requestDigest: digest(requestText),
      bodyDigest: isGenerate ? digest(spec.generate!) : null,
      taskId,
      taskStatus: !isGenerate && answered ? (answer.taskStatus ?? 'IN_PROGRESS') : null,
      price: isGenerate && answered ? (answer.price ?? 12) : null,
      balance: answer.balance ?? null,
      plan:
        isGenerate && answered
          ? (answer.plan ?? { outcome: 'success', readyAt: this.now + 3000, completeOnPoll: null })
          : null,
    };
  }
}

// --- random days ----------------------------------------------------------------------------------

export const KEYS = [DEV_KEY, OTHER_KEY, null] as const;
export const BODIES = ['{"prompt":"a"}', '{"prompt":"b"}', '{"prompt":"c"}', '{"prompt":""}'];
const STATUSES = [200, 200, 200, 400, 401, 402, 404, 408, 429, 500, 503, 0];

/** One step of a random day as the judge sees it (test/verdict/properties.test.ts, stores.test.ts). */
export const step = fc.record({
  advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 90_000 })),
  kind: fc.constantFrom(
    'generate',
    'generate',
    'poll',
    'poll',
    'post',
    'balance',
    'end',
    'together',
    'reset',
  ),
  key: fc.integer({ min: 0, max: KEYS.length - 1 }),
  body: fc.integer({ min: 0, max: BODIES.length - 1 }),
  task: fc.nat(),
  status: fc.constantFrom(...STATUSES),
  fault: fc.option(fc.constantFrom(...NETWORK_FAULTS), { freq: 6 }),
  retryAfter: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 3 }),
  taskStatus: fc.constantFrom('IN_PROGRESS', 'SUCCESS', 'FAILED'),
  injected: fc.option(fc.constantFrom('chaos', 'header', 'rate-limit', 'rule_1'), { freq: 3 }),
  tookMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
  plan: fc.record({
    failed: fc.boolean(),
    durationMs: fc.integer({ min: 0, max: 60_000 }),
    byPolls: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 4 }),
  }),
});
export type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Plays the steps in `w`: the observations and control events a simulator would make of them. */
export function play(w: World, steps: readonly Step[]): void {
  const tasks: string[] = [];
  const taskOf = (s: Step) =>
    tasks.length > 0 && s.task % 5 !== 0 ? tasks[s.task % tasks.length]! : 'sd45_ffffffffffffffff';
  for (const s of steps) {
    w.advance(s.advance);
    const key = KEYS[s.key]!;
    const answer = {
      status: s.fault !== null ? (s.fault === 'malformed' ? 200 : 0) : s.status,
      fault: s.fault,
      injected: s.injected,
      retryAfterSeconds: s.status === 429 || s.status === 503 ? s.retryAfter : null,
      taskStatus: s.taskStatus,
      tookMs: s.tookMs,
      balance: s.status === 402 ? 5 : null,
      plan: {
        outcome: s.plan.failed ? ('failed' as const) : ('success' as const),
        readyAt: s.plan.byPolls === null ? w.now + s.plan.durationMs : null,
        completeOnPoll: s.plan.byPolls,
      },
    };
    if (s.kind === 'generate') {
      const o = w.send({ key, generate: BODIES[s.body]! }, answer);
      if (o.plan !== null) tasks.push(o.taskId!);
    } else if (s.kind === 'poll' || s.kind === 'post') {
      w.send({ key, poll: taskOf(s), method: s.kind === 'poll' ? 'GET' : 'POST' }, answer);
    } else if (s.kind === 'together') {
      const made = w.together([
        [{ key, generate: BODIES[s.body]! }, answer],
        [
          { key, poll: taskOf(s) },
          { ...answer, tookMs: s.tookMs / 2 },
        ],
        [
          { key, generate: BODIES[s.body]! },
          { ...answer, status: 200, fault: null },
        ],
      ]);
      for (const o of made) if (o.plan !== null) tasks.push(o.taskId!);
    } else if (s.kind === 'balance') w.setBalance(KEYS[s.key] ?? DEV_KEY, 100);
    else if (s.kind === 'end') {
      if (tasks.length > 0) w.endTask(taskOf(s), s.plan.failed ? 'FAILED' : 'SUCCESS');
    } else if (s.task % 7 === 0) w.reset();
  }
}

const CONTROL_SPEC = fileURLToPath(new URL('../../mock-server/control-api.yaml', import.meta.url));

/** The report's schemas as control-api.yaml has them (Verdict*), with the envelope's Ok and Success. */
export function reportSchemas(): Record<string, Record<string, unknown>> {
  const doc = parse(readFileSync(CONTROL_SPEC, 'utf8')) as {
    components: { schemas: Record<string, Record<string, unknown>> };
  };
  return Object.fromEntries(
    Object.entries(doc.components.schemas).filter(
      ([name]) => name.startsWith('Verdict') || name === 'Ok' || name === 'Success',
    ),
  );
}

let validator: ValidateFunction | undefined;

/** Errors of a report against the VerdictReport schema, as the simulator's response validation would give them. */
export function reportSchemaErrors(report: unknown): string[] {
  if (validator === undefined) {
    const root = { $ref: '#/components/schemas/VerdictReport', components: { schemas: reportSchemas() } };
    validator = responseAjv().compile(root);
  }
  return validator(report) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
