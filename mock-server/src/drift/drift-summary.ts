/**
 * What the proxy (or a replay) found, per world: how many exchanges it checked, how many drifted,
 * counts by place in the spec and kind, and the last examples. Keys never: every text was redacted
 * before it got here (proxy/exchange.ts), and nothing here holds a request's headers.
 *
 * Metrics read it through `DriftHooks`: `onDrift` is called once per finding, `onExchange` once per
 * checked exchange, so a metrics registry (prom-client) can count them without this module knowing it.
 *
 * LIMITATION: the summary is kept in this process's memory (the journal entries carry each exchange's
 * findings in the world's store); a fleet behind a load balancer has one summary per process.
 */
import type { DriftFinding, DriftKind, DriftSide, Provenance } from './spec-drift.js';

export interface DriftHooks {
  /** One finding of one exchange (the place is in the summary; a metric needs only these labels). */
  onDrift?(kind: DriftKind, provenance: Provenance, side: DriftSide): void;
  /** One exchange checked, with or without drift. */
  onExchange?(drifted: boolean): void;
}

export interface DriftExample {
  /** On the simulator's clock (ms). */
  at: number;
  method: string;
  path: string;
  /** The answer's status (0 when there was none). */
  status: number;
  findings: DriftFinding[];
}

export interface DriftPlace {
  side: DriftSide;
  kind: DriftKind;
  where: string;
  pointer: string;
  schemaPath: string | undefined;
  provenance: Provenance;
  count: number;
  lastMessage: string;
  lastAt: number;
}

export interface DriftSummaryData {
  /** Since when (the simulator's clock, ms), or undefined before the first exchange. */
  since: number | undefined;
  exchanges: number;
  exchangesWithDrift: number;
  findings: number;
  /** Most frequent first. */
  byPlace: DriftPlace[];
  /** Newest first. */
  recent: DriftExample[];
}

/** A summary's bounds: places beyond this many are counted in `findings` only. */
const MAX_PLACES = 500;
const MAX_RECENT = 20;
/** Worlds summarised at most (tenants come and go); the least recently checked goes first. */
const MAX_WORLDS = 1024;

class WorldDrift {
  since: number | undefined;
  exchanges = 0;
  exchangesWithDrift = 0;
  findings = 0;
  readonly places = new Map<string, DriftPlace>();
  readonly recent: DriftExample[] = [];

  add(example: DriftExample): void {
    this.since ??= example.at;
    this.exchanges++;
    if (example.findings.length === 0) return;
    this.exchangesWithDrift++;
    this.findings += example.findings.length;
    for (const f of example.findings) {
      const key = `${f.side}\u0000${f.kind}\u0000${f.pointer}\u0000${f.where}`;
      const place = this.places.get(key);
      if (place) {
        place.count++;
        place.lastMessage = f.message;
        place.lastAt = example.at;
      } else if (this.places.size < MAX_PLACES) {
        this.places.set(key, {
          side: f.side,
          kind: f.kind,
          where: f.where,
          pointer: f.pointer,
          schemaPath: f.schemaPath,
          provenance: f.provenance,
          count: 1,
          lastMessage: f.message,
          lastAt: example.at,
        });
      }
    }
    this.recent.unshift(example);
    if (this.recent.length > MAX_RECENT) this.recent.length = MAX_RECENT;
  }

  data(): DriftSummaryData {
    return {
      since: this.since,
      exchanges: this.exchanges,
      exchangesWithDrift: this.exchangesWithDrift,
      findings: this.findings,
      byPlace: [...this.places.values()]
        .map((p) => ({ ...p }))
        .sort((a, b) => b.count - a.count || b.lastAt - a.lastAt),
      recent: this.recent.map((e) => ({ ...e, findings: [...e.findings] })),
    };
  }
}

export class DriftSummaries {
  private readonly worlds = new Map<string, WorldDrift>();

  private readonly hooks: DriftHooks[];

  constructor(hooks: DriftHooks = {}) {
    this.hooks = [hooks];
  }

  /** Tells `hooks` of every exchange from now on too (the app's metrics, besides an embedder's). */
  observe(hooks: DriftHooks): void {
    this.hooks.push(hooks);
  }

  /** One checked exchange of a world (its findings already redacted). */
  record(worldId: string, example: DriftExample): void {
    let world = this.worlds.get(worldId);
    if (world)
      this.worlds.delete(worldId); // re-inserted last: the map's order is recency
    else world = new WorldDrift();
    this.worlds.set(worldId, world);
    if (this.worlds.size > MAX_WORLDS) this.worlds.delete(this.worlds.keys().next().value!);
    world.add(example);
    for (const hooks of this.hooks) {
      for (const f of example.findings) hooks.onDrift?.(f.kind, f.provenance, f.side);
      hooks.onExchange?.(example.findings.length > 0);
    }
  }

  summary(worldId: string): DriftSummaryData {
    return (this.worlds.get(worldId) ?? new WorldDrift()).data();
  }

  /** Forgets a world's summary (`DELETE /__mock/drift`, a reset); every world's when none is named. */
  clear(worldId?: string): number {
    if (worldId === undefined) {
      const all = [...this.worlds.values()].reduce((n, w) => n + w.exchanges, 0);
      this.worlds.clear();
      return all;
    }
    const exchanges = this.worlds.get(worldId)?.exchanges ?? 0;
    this.worlds.delete(worldId);
    return exchanges;
  }
}
