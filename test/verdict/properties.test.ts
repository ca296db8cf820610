/**
 * Properties of the fold and the report over any sequence of observations and control events:
 * coverage is exactly what was observed, a state read back from JSON goes on as the original,
 * memory stays within the caps, the same sequence gives the same state, and every report fits the
 * schema. Seeded (FC_SEED replays a run, test/properties/support.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RUN, MAX_WINDOWS } from '../../mock-server/src/verdict/facts.js';
import { observe, observeControl } from '../../mock-server/src/verdict/fold.js';
import {
  OPERATION_GROUP,
  type ControlEvent,
  type Observation,
} from '../../mock-server/src/verdict/observation.js';
import { reportOf, type VerdictReport } from '../../mock-server/src/verdict/report.js';
import { resolveSettings, type VerdictSettings } from '../../mock-server/src/verdict/settings.js';
import {
  MAX_EXAMPLES,
  emptyState,
  fromJSON,
  toJSON,
  type VerdictState,
} from '../../mock-server/src/verdict/state.js';
import { fcParams } from '../properties/support.js';
import { BODIES, NO_SPEND, World, play, realCatalogue, reportSchemaErrors, step } from './support.js';

/** Folds a recorded sequence into a state, as another process would. */
function replay(
  state: VerdictState,
  items: readonly (Observation | ControlEvent)[],
  settings: VerdictSettings,
): VerdictState {
  for (const item of items) {
    if ('kind' in item) observeControl(state, item, settings);
    else observe(state, item, settings);
  }
  return state;
}

async function reportAt(state: VerdictState, now: number, settings: VerdictSettings): Promise<VerdictReport> {
  return reportOf(state, {
    now,
    world: 'default',
    catalogue: await realCatalogue(),
    settings,
    spend: NO_SPEND,
  });
}

/** The outcome id of an observation, written out again here from the docs, to hold outcomes.ts to them. */
function expectedOutcome(o: Observation): string | null {
  const group = OPERATION_GROUP[o.operation];
  if (o.fault !== null) return `${group}:fault:${o.fault}`;
  if (o.status === 0) return null;
  if (group === 'status' && o.status === 200 && o.taskStatus !== null) return `status:200:${o.taskStatus}`;
  return `${group}:${o.status}`;
}

function sinceLastReset(items: readonly (Observation | ControlEvent)[]): Observation[] {
  const last = items.findLastIndex((i) => 'kind' in i && i.kind === 'reset');
  return items.slice(last + 1).filter((i): i is Observation => !('kind' in i));
}

describe('the verdict, for any sequence', () => {
  it('sees exactly the outcomes observed, never overlapping the missing ones, and fits the schema', async () => {
    const catalogue = new Set((await realCatalogue()).outcomes.map((o) => o.id));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 120 }), async (steps) => {
        const w = new World();
        play(w, steps);
        const report = await w.report(w.now + 30_000);
        const expected = new Map<string, number>();
        for (const o of sinceLastReset(w.observations)) {
          const id = expectedOutcome(o);
          if (id !== null) expected.set(id, (expected.get(id) ?? 0) + 1);
        }
        expect(new Map(report.coverage.seen.map((s) => [s.outcome, s.count]))).toEqual(expected);
        const seen = new Set(report.coverage.seen.map((s) => s.outcome));
        expect(report.coverage.missing.filter((id) => seen.has(id))).toEqual([]);
        expect(
          new Set([
            ...report.coverage.missing,
            ...report.coverage.seen.filter((s) => !s.unexpected).map((s) => s.outcome),
          ]),
        ).toEqual(catalogue);
        for (const s of report.coverage.seen) expect(s.unexpected).toBe(!catalogue.has(s.outcome));
        expect(reportSchemaErrors(report)).toEqual([]);
      }),
      fcParams(150),
    );
  });

  it('goes on from its JSON exactly as the original, and the same sequence gives the same state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 120 }),
        fc.nat(),
        fc.constantFrom(2, 5, 1000),
        async (steps, cut, cap) => {
          const settings = resolveSettings({
            caps: { keys: cap, tasks: cap, requests: cap, generates: cap },
          });
          const w = new World({ caps: settings.caps });
          play(w, steps);
          const items = w.observations;
          const at = items.length === 0 ? 0 : cut % (items.length + 1);

          const text = JSON.stringify(
            toJSON(replay(emptyState(settings.caps), items.slice(0, at), settings)),
          );
          const resumed = replay(fromJSON(JSON.parse(text)), items.slice(at), settings);
          const again = replay(emptyState(settings.caps), items, settings);

          expect(toJSON(resumed)).toEqual(toJSON(w.state));
          expect(toJSON(again)).toEqual(toJSON(w.state));
          const now = w.now + 30_000;
          expect(await reportAt(resumed, now, settings)).toEqual(await reportAt(w.state, now, settings));
          expect(
            await reportAt(fromJSON(JSON.parse(JSON.stringify(toJSON(w.state)))), now, settings),
          ).toEqual(await reportAt(w.state, now, settings));
        },
      ),
      fcParams(150),
    );
  });

  it('stays within its caps over long sequences, and says what it forgot', async () => {
    const caps = { keys: 2, tasks: 5, requests: 7, generates: 3 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 300, maxLength: 1500 }), async (steps) => {
        const w = new World({ caps });
        let largest = 0;
        const bounded = () => {
          const s = w.state;
          expect(s.keys.size).toBeLessThanOrEqual(caps.keys);
          expect(s.tasks.size).toBeLessThanOrEqual(caps.tasks);
          expect(s.requestFacts.size).toBeLessThanOrEqual(caps.requests);
          expect(s.generates.size).toBeLessThanOrEqual(caps.generates);
          for (const k of s.keys.values()) expect(k.windows.length).toBeLessThanOrEqual(MAX_WINDOWS);
          for (const r of s.requestFacts.values()) expect(r.run.length).toBeLessThanOrEqual(MAX_RUN);
          for (const f of s.findings.values()) expect(f.examples.length).toBeLessThanOrEqual(MAX_EXAMPLES);
          largest = Math.max(largest, JSON.stringify(toJSON(s)).length);
        };
        for (let i = 0; i < steps.length; i += 50) {
          play(w, steps.slice(i, i + 50));
          bounded();
        }
        // 17 entries at most, whatever the length: a few kilobytes, not a function of the sequence.
        expect(largest).toBeLessThan(12_000);
        const report = await w.report();
        const forgotten = Object.values(report.blind_spots.forgotten).reduce((a, b) => a + b, 0);
        expect(report.blind_spots.complete).toBe(forgotten === 0 && report.blind_spots.out_of_order === 0);
        expect(report.blind_spots.notes.length > 0).toBe(!report.blind_spots.complete);
      }),
      fcParams(20),
    );
  });

  it('ignores an observation that comes again or late, and counts it', async () => {
    const w = new World();
    const first = w.generate(BODIES[0], { status: 500 });
    w.generate(BODIES[0], { status: 500 });
    const before = JSON.stringify(toJSON(w.state));
    observe(w.state, first, w.settings);
    const after = toJSON(w.state);
    expect(after.out_of_order).toBe(1);
    expect(JSON.stringify({ ...after, out_of_order: 0 })).toBe(before);
    expect((await w.report()).blind_spots).toMatchObject({ complete: false, out_of_order: 1 });
  });
});

describe('the state as JSON', () => {
  it('is refused when it is not a state of this version, naming the place', () => {
    const good = toJSON(emptyState());
    expect(() => fromJSON({ ...good, v: 0 })).toThrow('state: version 0 is not 2; start from an empty state');
    expect(() => fromJSON({ ...good, tasks: [['sd45_x', 'k']] })).toThrow(
      'state.tasks[0]: expected 14 items',
    );
    expect(() => fromJSON({ ...good, coverage: [['generate:200', -1]] })).toThrow(
      'state.coverage[0][1]: expected a non-negative integer',
    );
    expect(() => fromJSON('{}')).toThrow('state: expected an object');
  });

  it('stays under 500 KB with every table full of worst-case entries at the default caps', () => {
    const settings = resolveSettings();
    const state = emptyState(settings.caps);
    const window = {
      group: 'generate' as const,
      seq: 1e9,
      from: 1.75e12,
      until: 1.75e12 + 5000,
      status: 429,
      retryAfterSeconds: 5,
    };
    for (let i = 0; i < settings.caps.keys; i++)
      state.keys.set(`${i}`.padStart(16, 'f'), {
        windows: Array(MAX_WINDOWS).fill(window),
        accountChangedAt: 1.75e12,
        refundsPendingUntil: 1.75e12,
      });
    for (let i = 0; i < settings.caps.tasks; i++)
      state.tasks.set(`sd45_${`${i}`.padStart(16, '0')}`, {
        owner: 'ffffffffffffffff',
        keyLabel: 'sk-d…-dev#d88b21',
        createdAt: 1.75e12,
        journalId: 1e9,
        plan: { outcome: 'failed', readyAt: 1.75e12, completeOnPoll: null },
        forcedEnd: { status: 'FAILED', at: 1.75e12 },
        lastPollAt: 1.75e12,
        lastPollOk: true,
        lastPollRefused: true,
        terminalReadAt: 1.75e12,
        terminalReadSeq: 1e9,
        terminalStatus: 'FAILED',
        pollsAfterTerminal: 1000,
      });
    for (let i = 0; i < settings.caps.requests; i++)
      state.requestFacts.set(`ffffffffffffffff:${`${i}`.padStart(16, '0')}`, {
        last: {
          seq: 1e9,
          status: 503,
          fault: null,
          answeredAt: 1.75e12,
          injected: true,
          retryAfterSeconds: 5,
          balance: 1e6,
          journalId: 1e9,
        },
        run: Array(MAX_RUN).fill({ waitMs: 16_000, retryAfterMs: 5000 }),
      });
    for (let i = 0; i < settings.caps.generates; i++)
      state.generates.set(`ffffffffffffffff:${`${i}`.padStart(16, '0')}`, {
        taskId: 'sd45_0000000000000000',
        at: 1.75e12,
        journalId: 1e9,
      });
    const bytes = Buffer.byteLength(JSON.stringify(toJSON(state)));
    expect(bytes).toBeLessThan(500_000);
  });
});
