/**
 * One memory budget for the whole process (the memory store): every world draws from it, each charge
 * counted when it is made, never by walking a world. docs/reference/resource-model.md says what a
 * caller sees; this says how.
 *
 * - The budget: bytes every world together may hold (`--memory-budget-mb`, by default half the V8
 *   heap's old generation). What it does not count (the code, the specs, requests in flight, sockets)
 *   lives in the other half.
 * - A tenant's share: `--tenant-memory-share` of the budget (an eighth by default). The default world
 *   has no share of its own: it may use what the tenants do not.
 * - A caller's share: `--caller-memory-share` of the budget (a quarter by default), which the tenants
 *   one caller created without the control token (TenantRecord.createdBy) hold together, so that one
 *   caller's many tenants cannot fill the process. Counted on what may be refused (rules, accounts,
 *   tasks, worlds), not on journals, which give way.
 * - Kinds: each charge names what it is for (CHARGE_KINDS), so usage reads by kind and by world.
 *
 * At a limit, two kinds of charge behave differently:
 * - the journal is a ring: it is never refused; a world over its share drops its own oldest entries,
 *   and when the whole budget is full the largest journals in the process drop theirs (down to each
 *   one's newest entry), so the requests themselves are answered as before;
 * - what a caller adds on purpose (fault rules, accounts, tasks) is `reserve`d: refused before it
 *   changes anything with a WorldLimitError, 429 when the tenant's own share is full (its journal
 *   gave way first), 503 with Retry-After when the whole budget is.
 *
 * A new kind of charge is one entry in CHARGE_KINDS and one call where the bytes come and go:
 * `budget.charge(worldId, 'verdict', bytes)` / `budget.release(worldId, 'verdict', bytes)` for what
 * must be kept, or `budget.reserve(worldId, 'verdict', bytes)` for what may be refused. All of it is
 * synchronous: on Node's single thread a check and its charge are one step.
 */
import { flagOf } from '../config/options.js';
import { bytesText, WorldLimitError } from './world-limits.js';

/** What a charge is for. `world`: a world's fixed cost (its maps, its clock, its tenant record). */
export const CHARGE_KINDS = ['world', 'journal', 'rules', 'accounts', 'tasks', 'verdict'] as const;
export type ChargeKind = (typeof CHARGE_KINDS)[number];
export type ByKind = Record<ChargeKind, number>;

/** The one kind that gives way rather than refuse (a ring of recent requests). */
const EVICTABLE: ChargeKind = 'journal';

/** Retry-After of a refusal: room comes back when a tenant is dropped, swept or reset, not in a second. */
export const MEMORY_RETRY_AFTER_SECONDS = 60;

export { defaultBudgetBytes } from './heap-budget.js';

const MiB = 1024 * 1024;

export interface MemoryBudgetOptions {
  /** Bytes all worlds together may hold. */
  limitBytes: number;
  /** The share of the budget one tenant may hold, in (0, 1]. */
  tenantShare: number;
  /** The share the tenants of one caller may hold together, in (0, 1]; 1 (the default): no limit of its own. */
  callerShare?: number;
}

/** What the tenants one caller created hold together, besides their journals. */
interface CallerGroup {
  caller: string;
  held: number;
  worlds: number;
}

export interface WorldUsage {
  world: string;
  usedBytes: number;
  byKind: ByKind;
}

export interface MemoryUsage {
  limitBytes: number;
  usedBytes: number;
  /** What one tenant may hold at most. */
  tenantLimitBytes: number;
  byKind: ByKind;
  worlds: number;
  /** The worlds holding the most, largest first. */
  top: WorldUsage[];
}

const zero = (): ByKind => Object.fromEntries(CHARGE_KINDS.map((kind) => [kind, 0])) as ByKind;

/** What a holder of evictable bytes frees when asked: at most `bytes`, and returns how many it freed. */
export type Shedder = (bytes: number) => number;

export class MemoryBudget {
  readonly limitBytes: number;
  readonly tenantShare: number;
  readonly tenantLimitBytes: number;
  readonly callerShare: number;
  readonly callerLimitBytes: number;
  private usedBytes = 0;
  private readonly callers = new Map<string, CallerGroup>();
  private readonly kinds = zero();
  private readonly meters = new Map<string, WorldMeter>();

  constructor(options: MemoryBudgetOptions) {
    this.limitBytes = options.limitBytes;
    this.tenantShare = options.tenantShare;
    this.tenantLimitBytes = Math.floor(options.limitBytes * options.tenantShare);
    this.callerShare = options.callerShare ?? 1;
    this.callerLimitBytes = Math.floor(options.limitBytes * this.callerShare);
  }

  /** A budget nothing is refused by (a store built without one: the domain's tests). */
  static unlimited(): MemoryBudget {
    return new MemoryBudget({ limitBytes: Infinity, tenantShare: 1 });
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Bytes that give way rather than refuse (every journal's). */
  get evictable(): number {
    return this.kinds[EVICTABLE];
  }

  /**
   * The meter of a world, created on first use: `tenant` draws at most its share, `whole` (the default
   * world) up to the whole budget; `createdBy`, the caller whose tenants draw together from a caller's
   * share (absent: the operator's tenant, or the default world).
   */
  meter(world: string, scope: 'tenant' | 'whole', createdBy?: string): WorldMeter {
    let meter = this.meters.get(world);
    if (!meter) {
      const limit = scope === 'tenant' ? this.tenantLimitBytes : this.limitBytes;
      let group: CallerGroup | undefined;
      if (scope === 'tenant' && createdBy !== undefined) {
        group = this.callers.get(createdBy);
        if (!group) this.callers.set(createdBy, (group = { caller: createdBy, held: 0, worlds: 0 }));
        group.worlds++;
      }
      meter = new WorldMeter(this, world, limit, scope === 'tenant', group, (kind, delta) => {
        this.usedBytes += delta;
        this.kinds[kind] += delta;
      });
      this.meters.set(world, meter);
    }
    return meter;
  }

  /** What the tenants a caller created hold together besides their journals (0: none). */
  heldByCaller(caller: string): number {
    return this.callers.get(caller)?.held ?? 0;
  }

  /** Forgets a world that is gone, and everything it was charged. */
  drop(world: string): void {
    const meter = this.meters.get(world);
    if (!meter) return;
    meter.releaseKinds(CHARGE_KINDS);
    this.meters.delete(world);
    const group = meter.group;
    if (group && --group.worlds === 0) this.callers.delete(group.caller);
  }

  /** Adds bytes a world must keep (never refused: its journal, and the largest ones, give way). */
  charge(world: string, kind: ChargeKind, bytes: number): void {
    this.meters.get(world)?.charge(kind, bytes);
  }

  release(world: string, kind: ChargeKind, bytes: number): void {
    this.meters.get(world)?.release(kind, bytes);
  }

  /** Adds bytes a caller asked for, or throws the refusal (WorldLimitError) having changed nothing. */
  reserve(world: string, kind: ChargeKind, bytes: number): void {
    this.meters.get(world)?.reserve(kind, bytes);
  }

  usage(top = 5): MemoryUsage {
    const worlds = [...this.meters.values()];
    const largest = worlds
      .sort((a, b) => b.used - a.used)
      .slice(0, top)
      .map((m) => ({ world: m.world, usedBytes: m.used, byKind: m.byKind() }));
    return {
      limitBytes: this.limitBytes,
      usedBytes: this.usedBytes,
      tenantLimitBytes: this.tenantLimitBytes,
      byKind: { ...this.kinds },
      worlds: worlds.length,
      top: largest,
    };
  }

  /**
   * Frees at least `excess` bytes from journals, the largest first, and a little more (1/64 of the
   * budget), so that a full process does not sort its worlds again at every request. Returns the
   * bytes freed; less than asked when every journal is down to its newest entry.
   */
  relieve(excess: number): number {
    const want = excess + Math.min(this.limitBytes / 64, 4 * MiB);
    const holders = [...this.meters.values()]
      .filter((m) => m.evictable > 0)
      .sort((a, b) => b.evictable - a.evictable);
    let freed = 0;
    for (const meter of holders) {
      if (freed >= want) break;
      freed += meter.shed(want - freed);
    }
    return freed;
  }

  /** The refusal when the whole budget is full. */
  fullRefusal(needed: number): WorldLimitError {
    const usage = this.usage(3);
    const holders = usage.top.map((w) => `${w.world} ${bytesText(w.usedBytes)}`).join(', ');
    return new WorldLimitError(
      503,
      'memoryBudgetMb',
      `The simulator's memory budget is full: its worlds hold ${bytesText(this.usedBytes)} of ` +
        `${flagOf('memoryBudgetMb')} ${bytesText(this.limitBytes)} (the most: ${holders}), and this needs ` +
        `${needed} bytes more. Drop a tenant (DELETE /__mock/tenants/{tenantId}) or reset one ` +
        `(POST /__mock/reset), or start the simulator with a larger ${flagOf('memoryBudgetMb')} ` +
        `(and node --max-old-space-size). Retry after ${MEMORY_RETRY_AFTER_SECONDS} s`,
      MEMORY_RETRY_AFTER_SECONDS,
    );
  }
}

/** One world's charges against the budget. */
export class WorldMeter {
  private usedBytes = 0;
  private readonly kinds = zero();
  private shedder: Shedder | undefined;

  constructor(
    private readonly budget: MemoryBudget,
    readonly world: string,
    /** The most this world may hold: a tenant's share, or the whole budget. */
    readonly limitBytes: number,
    readonly isTenant: boolean,
    /** The caller's share this world draws from with the other tenants its caller created. */
    readonly group: CallerGroup | undefined,
    private readonly adjust: (kind: ChargeKind, delta: number) => void,
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Bytes that give way rather than refuse (the journal's). */
  get evictable(): number {
    return this.kinds[EVICTABLE];
  }

  byKind(): ByKind {
    return { ...this.kinds };
  }

  /** Who frees the world's evictable bytes (its journal), oldest first. */
  setShedder(shedder: Shedder): void {
    this.shedder = shedder;
  }

  /** Asks the world's journal to free up to `bytes`; returns what it freed. */
  shed(bytes: number): number {
    return this.shedder && bytes > 0 ? this.shedder(bytes) : 0;
  }

  /**
   * Adds bytes that must be kept. When that takes the world past its share, its journal gives way;
   * when it takes the process past the budget, the largest journals do.
   */
  charge(kind: ChargeKind, bytes: number): void {
    this.add(kind, bytes);
    if (this.usedBytes > this.limitBytes) this.shed(this.usedBytes - this.limitBytes);
    const over = this.budget.used - this.budget.limitBytes;
    if (over > 0) this.budget.relieve(over);
  }

  release(kind: ChargeKind, bytes: number): void {
    this.add(kind, -bytes);
  }

  /** Releases everything charged to these kinds (a reset). */
  releaseKinds(kinds: readonly ChargeKind[]): void {
    for (const kind of kinds) this.add(kind, -this.kinds[kind]);
  }

  /**
   * Adds `bytes` of a kind a caller asked for, after making room (the world's journal first, then the
   * largest journals), or throws the refusal having changed nothing. `headroom`: bytes that must fit
   * too but are charged by the caller under another kind (a task's ledger entry).
   */
  reserve(kind: ChargeKind, bytes: number, headroom = 0): void {
    const refusal = this.tryReserve(kind, bytes, headroom);
    if (refusal) throw refusal;
  }

  /** reserve() that returns the refusal instead of throwing it. */
  tryReserve(kind: ChargeKind, bytes: number, headroom = 0): WorldLimitError | undefined {
    const need = bytes + headroom;
    const { budget } = this;
    // Refusals first, so that a refused reservation leaves every journal as it was.
    if (this.isTenant && this.usedBytes - this.evictable + need > this.limitBytes)
      return this.shareRefusal(need);
    if (this.group && this.group.held + need > budget.callerLimitBytes) return this.callerRefusal(need);
    if (budget.used - budget.evictable + need > budget.limitBytes) return budget.fullRefusal(need);
    if (this.usedBytes + need > this.limitBytes) this.shed(this.usedBytes + need - this.limitBytes);
    const over = budget.used + need - budget.limitBytes;
    // Short only when the journals are down to their newest entries.
    if (over > 0 && budget.relieve(over) < over) return budget.fullRefusal(need);
    this.add(kind, bytes);
    return undefined;
  }

  private add(kind: ChargeKind, delta: number): void {
    this.usedBytes += delta;
    this.kinds[kind] += delta;
    if (this.group && kind !== EVICTABLE) this.group.held += delta;
    this.adjust(kind, delta);
  }

  private callerRefusal(needed: number): WorldLimitError {
    const { group, budget } = this;
    const share = flagOf('callerMemoryShare');
    return new WorldLimitError(
      429,
      'callerMemoryShare',
      `The tenants your address created hold ${bytesText(group!.held)} together besides their journals ` +
        `(${group!.worlds} tenant${group!.worlds === 1 ? '' : 's'}), and this needs ${needed} bytes more; the ` +
        `tenants of one caller may hold ${bytesText(budget.callerLimitBytes)} together (${share} ` +
        `${budget.callerShare} of ${flagOf('memoryBudgetMb')} ${bytesText(budget.limitBytes)}). Drop tenants you ` +
        `no longer need (DELETE /__mock/tenants/{tenantId}) or reset them (POST /__mock/reset), or ask the ` +
        `operator for a larger ${share}. Retry after ${MEMORY_RETRY_AFTER_SECONDS} s`,
      MEMORY_RETRY_AFTER_SECONDS,
    );
  }

  private shareRefusal(needed: number): WorldLimitError {
    const held = (Object.entries(this.kinds) as Array<[ChargeKind, number]>)
      .filter(([kind, bytes]) => bytes > 0 && kind !== EVICTABLE)
      .map(([kind, bytes]) => `${kind} ${bytesText(bytes)}`)
      .join(', ');
    const share = flagOf('tenantMemoryShare');
    return new WorldLimitError(
      429,
      'tenantMemoryShare',
      `This tenant's share of the memory budget is full: it holds ${bytesText(this.usedBytes - this.evictable)} ` +
        `(${held || 'nothing'}) besides its journal, and this needs ${needed} bytes more; a tenant may ` +
        `hold ${bytesText(this.limitBytes)} (${share} ${this.budget.tenantShare} of ${flagOf('memoryBudgetMb')} ` +
        `${bytesText(this.budget.limitBytes)}). Remove fault rules, reset the tenant (POST /__mock/reset) or ` +
        `drop it, or start the simulator with a larger ${share} or ${flagOf('memoryBudgetMb')}. ` +
        `Retry after ${MEMORY_RETRY_AFTER_SECONDS} s`,
      MEMORY_RETRY_AFTER_SECONDS,
    );
  }
}
