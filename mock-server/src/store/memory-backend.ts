/**
 * Worlds in this process's memory: one MemoryStore per world, and the directory as two maps. Every
 * method runs to completion without awaiting, so each is atomic on Node's single thread.
 *
 * Every world draws from one memory budget (memory-budget.ts): each has a meter, created with it and
 * dropped with it; a tenant's is limited to its share, the default world's to the whole budget.
 */
import { RealClock, VirtualClock, type Clock } from '../domain/clock.js';
import type { Owner } from '../domain/keys.js';
import { MemoryBudget, type MemoryUsage } from './memory-budget.js';
import { ACCOUNT_BYTES, LEDGER_ENTRY_BYTES, WORLD_BYTES } from './memory-costs.js';
import { MemoryStore } from './memory-store.js';
import type { ClaimResult, JournalLimits, RetentionPolicy, StoreBackend, TenantRecord } from './store.js';
import type { VerdictSettings } from '../verdict/settings.js';
import { DEFAULT_CAPS, type WorldCaps } from './world-limits.js';

export interface MemoryBackendOptions {
  retention: RetentionPolicy;
  journal: JournalLimits;
  /** The verdict's settings; absent: the verdict is off. */
  verdict?: VerdictSettings | undefined;
  /** The most rules and accounts one world holds (DEFAULT_CAPS if absent). */
  caps?: WorldCaps;
  /** The budget every world draws from (unlimited if absent: tests of other things). */
  budget?: MemoryBudget;
  /** The system time, for real clocks (injectable so tests can move it). */
  systemNow?: () => number;
}

export class MemoryBackend implements StoreBackend {
  readonly kind = 'memory' as const;
  private readonly worlds = new Map<string, { record: TenantRecord; store: MemoryStore }>();
  private readonly keys = new Map<Owner, string>();
  private readonly tokens = new Map<string, string>();
  /** Stores handed out for worlds that do not exist (an unknown tenant): empty, and never kept. */
  private readonly nowhere: MemoryStore;
  readonly budget: MemoryBudget;
  private readonly caps: WorldCaps;

  constructor(private readonly options: MemoryBackendOptions) {
    this.budget = options.budget ?? MemoryBudget.unlimited();
    this.caps = options.caps ?? DEFAULT_CAPS;
    // Bounded like any world, on a budget of its own: what a request racing a tenant's drop writes
    // there counts against no world that exists.
    const nowhereBudget = new MemoryBudget({ limitBytes: this.budget.tenantLimitBytes, tenantShare: 1 });
    this.nowhere = new MemoryStore({
      retention: options.retention,
      journal: { maxEntries: 0, maxBytes: 0 },
      caps: this.caps,
      meter: nowhereBudget.meter('nowhere', 'whole'),
    });
  }

  world(id: string): MemoryStore {
    return this.worlds.get(id)?.store ?? this.nowhere;
  }

  async createWorld(record: TenantRecord): Promise<ClaimResult> {
    for (const { owner } of record.spec.accounts) {
      const holder = this.keys.get(owner);
      if (holder !== undefined && holder !== record.id) return { ok: false, owner: 'another_world' };
    }
    // The default world (the one without a credential) may use the whole budget; a tenant its share,
    // which must hold the world and its start accounts (else: refused, WorldLimitError, nothing made).
    const tenant = record.tokenDigest !== '';
    const meter = this.budget.meter(record.id, tenant ? 'tenant' : 'whole', record.createdBy);
    const start = record.spec.accounts.length * (ACCOUNT_BYTES + LEDGER_ENTRY_BYTES);
    const refused = tenant ? meter.tryReserve('world', WORLD_BYTES, start) : undefined;
    if (refused) {
      this.budget.drop(record.id);
      throw refused;
    }
    if (!tenant) meter.charge('world', WORLD_BYTES);
    const clock: Clock =
      record.spec.clock === 'virtual' ? new VirtualClock() : new RealClock(this.options.systemNow);
    const store = new MemoryStore({
      retention: this.options.retention,
      journal: this.options.journal,
      clock,
      spec: record.spec,
      ...(this.options.verdict ? { verdict: this.options.verdict } : {}),
      caps: this.caps,
      meter,
    });
    await store.reset();
    this.worlds.set(record.id, { record: { ...record }, store });
    for (const { owner } of record.spec.accounts) this.keys.set(owner, record.id);
    if (record.tokenDigest) this.tokens.set(record.tokenDigest, record.id);
    return { ok: true };
  }

  async ensureWorld(record: TenantRecord): Promise<TenantRecord> {
    const existing = this.worlds.get(record.id);
    if (existing) return { ...existing.record };
    const created = await this.createWorld(record);
    if (!created.ok) throw new Error(`cannot create world ${record.id}: a key belongs to another world`);
    return { ...record };
  }

  async getWorld(id: string): Promise<TenantRecord | undefined> {
    const world = this.worlds.get(id);
    return world && { ...world.record };
  }

  async listWorlds(): Promise<TenantRecord[]> {
    return [...this.worlds.values()].map((w) => ({ ...w.record }));
  }

  async deleteWorld(id: string): Promise<boolean> {
    const world = this.worlds.get(id);
    if (!world) return false;
    for (const [owner, holder] of this.keys) if (holder === id) this.keys.delete(owner);
    if (world.record.tokenDigest) this.tokens.delete(world.record.tokenDigest);
    this.worlds.delete(id);
    this.budget.drop(id);
    return true;
  }

  async touchWorld(id: string, systemNow: number): Promise<void> {
    const world = this.worlds.get(id);
    if (world && world.record.lastSeenAt < systemNow) world.record.lastSeenAt = systemNow;
  }

  async worldOfKey(owner: Owner): Promise<string | undefined> {
    return this.keys.get(owner);
  }

  async claimKey(owner: Owner, worldId: string): Promise<ClaimResult> {
    const holder = this.keys.get(owner);
    if (holder !== undefined && holder !== worldId) return { ok: false, owner: 'another_world' };
    this.keys.set(owner, worldId);
    return { ok: true };
  }

  async releaseKeys(worldId: string, owners: readonly Owner[]): Promise<void> {
    for (const owner of owners) if (this.keys.get(owner) === worldId) this.keys.delete(owner);
  }

  async worldOfToken(tokenDigest: string): Promise<string | undefined> {
    return this.tokens.get(tokenDigest);
  }

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /** What the worlds hold of the memory budget, the largest first. */
  memory(top?: number): MemoryUsage {
    return this.budget.usage(top);
  }

  async close(): Promise<void> {}
}
