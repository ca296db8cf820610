/**
 * Tenants: isolated worlds inside one simulator. A tenant is a session that groups keys (README,
 * "Tenants"): its own API keys and balances, tasks, fault rules, virtual time, random streams,
 * rate-limit buckets and journal, all in its own Store, so nothing outside the Store filters by
 * tenant after the fact. The default world is the configured one and keeps today's behaviour.
 *
 * This service resolves the world a request acts in (from its key, its tenant credential, or the
 * operator's choice), creates and drops tenants, and sweeps idle ones.
 */
import { randomBytes } from 'node:crypto';
import { ClockSnapshot } from '../domain/clock.js';
import { ownerOf, redactKey, type Owner } from '../domain/keys.js';
import type { LatencyProfileName } from '../domain/latency.js';
import { createRng } from '../domain/rng.js';
import { Simulator } from '../domain/simulator.js';
import type { MemoryUsage } from '../store/memory-budget.js';
import { MemoryStore } from '../store/memory-store.js';
import {
  WorldMissingError,
  type Admission,
  type AdmitRequest,
  type MaybePromise,
  type Store,
  type StoreBackend,
  type TenantRecord,
  type WorldSpec,
  type WorldStats,
  type WorldView,
} from '../store/store.js';
import { DEFAULT_WORLD, WorldQa, type World, type Worlds } from './world.js';

export { DEFAULT_WORLD, type World, type Worlds };

/** Wraps a world's Store (the metrics' timing decorator); must change no behaviour. */
export type StoreDecorator = (store: Store, backend: StoreBackend['kind']) => Store;

export interface TenancyOptions {
  backend: StoreBackend;
  /** The configured world: its spec (the keys as digests and labels). */
  defaultSpec: WorldSpec;
  /** What a tenant gets when it does not say (the configuration's clock, latency, failure rate). */
  tenantDefaults: Pick<WorldSpec, 'clock' | 'latency' | 'failureRate'>;
  /** A tenant idle longer than this is dropped (ms). */
  idleTimeoutMs: number;
  maxTenants: number;
  systemNow?: () => number;
}

export interface TenantInput {
  name?: string;
  seed?: string;
  clock?: 'real' | 'virtual';
  latency?: LatencyProfileName;
  failureRate?: number;
  keys?: Array<{ balance: number }>;
  idleTimeoutS?: number;
}

export interface CreatedTenant {
  record: TenantRecord;
  /** Shown once: the simulator keeps only digests. */
  token: string;
  keys: Array<{ apiKey: string; balance: number }>;
}

export type CreateResult = { ok: true; tenant: CreatedTenant } | { ok: false; reason: 'full' };

/** How long a resolved key's world is remembered: keys never move, a dropped world reads as empty. */
const KEY_CACHE_SIZE = 10_000;
/** A world's last-seen time is written at most this often (a write per request would be a Redis call). */
const TOUCH_EVERY_MS = 1_000;

export const DEFAULT_TENANT_KEYS = [{ balance: 1000 }];

export class Tenancy implements Worlds {
  private readonly backend: StoreBackend;
  private readonly systemNow: () => number;
  /** Positive lookups only: a key created on another replica must work at once, so misses are not kept. */
  private readonly keyWorlds = new Map<Owner, string>();
  private readonly touched = new Map<string, number>();
  /** One domain service per world whose store keeps a live clock in this process. */
  private readonly simulators = new WeakMap<Store, Simulator>();
  private readonly qas = new WeakMap<Store, WorldQa>();
  private decorate: StoreDecorator | undefined;
  /** One decorated store per store, so that a world's store keeps one identity (the simulators above). */
  private readonly decorated = new WeakMap<Store, Store>();

  constructor(private readonly options: TenancyOptions) {
    this.backend = options.backend;
    this.systemNow = options.systemNow ?? Date.now;
  }

  /** Creates the default world, or joins it as another process left it. */
  async start(spec: WorldSpec = this.options.defaultSpec): Promise<void> {
    const now = this.systemNow();
    await this.backend.ensureWorld({
      id: DEFAULT_WORLD,
      name: 'default',
      spec,
      tokenDigest: '',
      createdAt: now,
      lastSeenAt: now,
      idleTimeoutMs: 0,
    });
  }

  async ofOwner(owner: Owner | undefined): Promise<World> {
    if (owner === undefined) return this.defaultWorld();
    const cached = this.keyWorlds.get(owner);
    if (cached !== undefined) {
      try {
        return await this.worldById(cached, owner);
      } catch (err) {
        // Dropped since (through another replica, or its idle sweep): ask the directory again.
        if (!(err instanceof WorldMissingError)) throw err;
        this.forget(cached);
      }
    }
    const id = await this.backend.worldOfKey(owner);
    if (id === undefined) return this.worldById(DEFAULT_WORLD, owner);
    this.remember(owner, id);
    try {
      return await this.worldById(id, owner);
    } catch (err) {
      // Dropped between the directory's answer and the read: the key belongs to no world now.
      if (!(err instanceof WorldMissingError)) throw err;
      this.forget(id);
      return this.worldById(DEFAULT_WORLD, owner);
    }
  }

  /**
   * A public request's world and admission in one store operation (Store.admit), from its key's
   * digest: synchronous on the memory store once the key's world is known. A key no world has is
   * admitted (refused) in the default world, which is where its request is journaled.
   */
  admit(request: AdmitRequest): MaybePromise<{ world: World; admission: Admission }> {
    const cached = this.keyWorlds.get(request.caller);
    if (cached !== undefined) {
      const admitted = this.admitIn(cached, request);
      if (!(admitted instanceof Promise)) return admitted;
      return admitted.catch((err: unknown) => {
        // Dropped since (through another replica, or its idle sweep): ask the directory again.
        if (!(err instanceof WorldMissingError)) throw err;
        this.forget(cached);
        return this.admitUncached(request);
      });
    }
    return this.admitUncached(request);
  }

  private async admitUncached(request: AdmitRequest): Promise<{ world: World; admission: Admission }> {
    const id = await this.backend.worldOfKey(request.caller);
    if (id === undefined) return this.admitIn(DEFAULT_WORLD, request);
    this.remember(request.caller, id);
    try {
      return await this.admitIn(id, request);
    } catch (err) {
      if (!(err instanceof WorldMissingError)) throw err;
      this.forget(id);
      return this.admitIn(DEFAULT_WORLD, request);
    }
  }

  private admitIn(id: string, request: AdmitRequest): MaybePromise<{ world: World; admission: Admission }> {
    const store = this.storeOf(id);
    const admitted = (admission: Admission) => {
      this.touch(id);
      return { world: this.worldOf(id, store, admission.view), admission };
    };
    let admission: MaybePromise<Admission>;
    try {
      admission = store.admit(request);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!(admission instanceof Promise)) return admitted(admission);
    return admission.then(admitted, (err: unknown) => {
      if (id !== DEFAULT_WORLD || !(err instanceof WorldMissingError)) throw err;
      return this.recreateDefaultWorld().then(() => Promise.resolve(store.admit(request)).then(admitted));
    });
  }

  /**
   * A shared store that came back empty (a Redis restarted without persistence, or flushed) has lost
   * the default world: it is made again from the configuration, as at start, so the replica serves.
   * Its task counter starts again from 0, so it gets a new id salt (an epoch), even with
   * --exact-replay: ids drawn from the old salt were handed out before the loss, and a client may
   * still poll one; the same id for a new task would show it someone else's task. (A replica that
   * starts on an empty store cannot tell a loss from a first start, and keeps its configuration.)
   */
  private recreateDefaultWorld(): Promise<void> {
    return this.start({ ...this.options.defaultSpec, idSalt: randomBytes(8).toString('hex') });
  }

  defaultWorld(): Promise<World> {
    return this.worldById(DEFAULT_WORLD);
  }

  refresh(world: World): Promise<World> {
    return this.worldById(world.id);
  }

  /** Wraps every world's Store from now on (the metrics' timing); once, before serving requests. */
  instrumentStores(decorate: StoreDecorator): void {
    this.decorate = decorate;
  }

  /** The Store of a world, decorated. */
  private storeOf(id: string): Store {
    const raw = this.backend.world(id);
    if (!this.decorate) return raw;
    let store = this.decorated.get(raw);
    if (!store) this.decorated.set(raw, (store = this.decorate(raw, this.backend.kind)));
    return store;
  }

  /** The stats of every world, for the metrics: without touching them (a scrape keeps no tenant alive). */
  async worldStats(): Promise<WorldStats[]> {
    const worlds = await this.backend.listWorlds();
    return Promise.all(worlds.map((w) => this.storeOf(w.id).stats()));
  }

  /**
   * A world as one request sees it: its view read now, and the domain service over it. With `caller`
   * (a public request's key), the view carries that account too, for authentication to use.
   */
  async worldById(id: string, caller?: Owner): Promise<World> {
    const store = this.storeOf(id);
    let view: WorldView;
    try {
      view = await store.view(caller);
    } catch (err) {
      // A shared store that came back empty has lost the default world (recreateDefaultWorld).
      if (id !== DEFAULT_WORLD || !(err instanceof WorldMissingError)) throw err;
      await this.recreateDefaultWorld();
      view = await store.view(caller);
    }
    this.touch(id);
    return this.worldOf(id, store, view);
  }

  private worldOf(id: string, store: Store, view: WorldView): World {
    let qa = this.qas.get(store);
    if (!qa) this.qas.set(store, (qa = new WorldQa(store)));
    return { id, view, simulator: this.simulatorOf(store, view), qa };
  }

  async exists(id: string): Promise<boolean> {
    return id === DEFAULT_WORLD || (await this.backend.getWorld(id)) !== undefined;
  }

  async create(input: TenantInput): Promise<CreateResult> {
    await this.sweep();
    const worlds = await this.backend.listWorlds();
    if (worlds.length - 1 >= this.options.maxTenants) return { ok: false, reason: 'full' };
    for (;;) {
      const id = `t-${randomBytes(6).toString('hex')}`;
      const token = `dct_${randomBytes(24).toString('base64url')}`;
      const keys = (input.keys ?? DEFAULT_TENANT_KEYS).map(({ balance }) => ({
        apiKey: `sk-dc-${randomBytes(16).toString('hex')}`,
        balance,
      }));
      const seed = input.seed ?? randomBytes(6).toString('hex');
      const now = this.systemNow();
      const record: TenantRecord = {
        id,
        name: input.name ?? id,
        spec: {
          seed,
          // A tenant's seeded run is an exact replay: its ids follow from its seed. Its image links
          // and status reads name the tenant, so two tenants on one seed never see each other's tasks.
          idSalt: '',
          latency: input.latency ?? this.options.tenantDefaults.latency,
          failureRate: input.failureRate ?? this.options.tenantDefaults.failureRate,
          clock: input.clock ?? this.options.tenantDefaults.clock,
          accounts: keys.map(({ apiKey, balance }) => ({
            owner: ownerOf(apiKey),
            label: redactKey(apiKey),
            balance,
          })),
        },
        tokenDigest: ownerOf(token),
        createdAt: now,
        lastSeenAt: now,
        idleTimeoutMs:
          input.idleTimeoutS !== undefined ? input.idleTimeoutS * 1000 : this.options.idleTimeoutMs,
      };
      // Fresh random keys and ids never collide in practice; if one ever did, draw again.
      if (!(await this.backend.createWorld(record)).ok) continue;
      return { ok: true, tenant: { record, token, keys } };
    }
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    return this.backend.getWorld(id);
  }

  async list(): Promise<TenantRecord[]> {
    await this.sweep();
    return this.backend.listWorlds();
  }

  /** The tenant a credential belongs to. */
  async tenantOfToken(token: string): Promise<string | undefined> {
    return this.backend.worldOfToken(ownerOf(token));
  }

  async drop(id: string): Promise<boolean> {
    if (id === DEFAULT_WORLD) return false;
    this.forget(id);
    return this.backend.deleteWorld(id);
  }

  /** Drops the tenants idle longer than their timeout; returns their ids. */
  async sweep(): Promise<string[]> {
    const now = this.systemNow();
    const idle = (await this.backend.listWorlds()).filter(
      (w) => w.idleTimeoutMs > 0 && w.lastSeenAt + w.idleTimeoutMs < now,
    );
    for (const w of idle) await this.drop(w.id);
    return idle.map((w) => w.id);
  }

  /** Puts one world back to its start: its own keys and balances, and nothing else. */
  async resetWorld(id: string): Promise<void> {
    const store = this.storeOf(id);
    const record = await this.backend.getWorld(id);
    if (!record) return;
    const start = new Set(record.spec.accounts.map((a) => a.owner));
    const added = (await store.listAccounts()).map((a) => a.owner).filter((o) => !start.has(o));
    await store.reset();
    await this.backend.releaseKeys(id, added);
    for (const owner of added) this.keyWorlds.delete(owner);
  }

  /** The operator's reset: every tenant dropped, the default world back to its start. */
  async resetAll(): Promise<void> {
    for (const w of await this.backend.listWorlds()) if (w.id !== DEFAULT_WORLD) await this.drop(w.id);
    await this.resetWorld(DEFAULT_WORLD);
  }

  /** Makes a key created through the control API the world's; false when another world has it. */
  async claimKey(owner: Owner, worldId: string): Promise<boolean> {
    const claimed = await this.backend.claimKey(owner, worldId);
    if (claimed.ok) this.remember(owner, worldId);
    return claimed.ok;
  }

  /** Gives up a key claimed for an account its world then refused (claimKey's undoing). */
  async releaseKey(owner: Owner, worldId: string): Promise<void> {
    await this.backend.releaseKeys(worldId, [owner]);
    if (this.keyWorlds.get(owner) === worldId) this.keyWorlds.delete(owner);
  }

  /** The store backend's state, for health: a shared store may be unreachable, or full. */
  async storeHealth(): Promise<{ status: 'ok' } | { status: 'degraded' | 'failed'; error: string }> {
    const health = await this.backend.health();
    if (!health.ok) return { status: 'failed', error: health.reason };
    return health.degraded === undefined ? { status: 'ok' } : { status: 'degraded', error: health.degraded };
  }

  /**
   * What the worlds hold of the process's memory budget, the largest `top` first (the memory store
   * only: a Redis store's memory is Redis's). Read from counters kept as charges come and go.
   */
  memory(top?: number): MemoryUsage | undefined {
    return this.backend.memory?.(top);
  }

  async worldOfKey(owner: Owner): Promise<string | undefined> {
    return this.backend.worldOfKey(owner);
  }

  private simulatorOf(store: Store, view: WorldView): Simulator {
    const live = store instanceof MemoryStore ? store.clock : undefined;
    if (live) {
      let simulator = this.simulators.get(store);
      if (!simulator) this.simulators.set(store, (simulator = this.newSimulator(store, view, live)));
      return simulator;
    }
    return this.newSimulator(store, view, new ClockSnapshot(view.clock, this.systemNow));
  }

  private newSimulator(store: Store, view: WorldView, clock: Simulator['clock']): Simulator {
    const { seed, idSalt, latency, failureRate } = view.spec;
    return new Simulator({ store, clock, seed, idSalt, createRng, latency, failureRate });
  }

  private touch(id: string): void {
    const now = this.systemNow();
    if ((this.touched.get(id) ?? 0) + TOUCH_EVERY_MS > now) return;
    this.touched.set(id, now);
    void this.backend.touchWorld(id, now).catch(() => undefined); // bookkeeping: never fails a request
  }

  private remember(owner: Owner, id: string): void {
    if (this.keyWorlds.size >= KEY_CACHE_SIZE) this.keyWorlds.delete(this.keyWorlds.keys().next().value!);
    this.keyWorlds.set(owner, id);
  }

  private forget(id: string): void {
    for (const [owner, world] of this.keyWorlds) if (world === id) this.keyWorlds.delete(owner);
    this.touched.delete(id);
  }
}
