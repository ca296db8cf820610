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
import { CreationRate, type TenantShares } from './creation-shares.js';
import { namespaceOf, tenantKeyPrefix } from './key-namespace.js';
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
  /** What a caller other than the operator may take of tenant creation (creation-shares.ts); absent: no bound. */
  shares?: TenantShares;
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

/** Whether a key could be made a world's, and why not. */
export type KeyClaim =
  | { ok: true }
  /** A tenant named a key it does not have, outside its namespace (`prefix`). */
  | { ok: false; reason: 'outside_namespace'; prefix: string }
  /** A tenant holds `max` keys already (--tenant-max-keys). */
  | { ok: false; reason: 'key_limit'; max: number }
  /** The name is in the namespace of `tenant`, another world. */
  | { ok: false; reason: 'other_namespace'; tenant: string }
  /** Another world holds the key (`holder`; undefined if it was dropped meanwhile). */
  | { ok: false; reason: 'held'; holder: string | undefined };

/** Why a tenant was not created: the simulator is full, or the caller asked beyond its share. */
export type CreateRefusal =
  | { reason: 'full' }
  | { reason: 'too_many_keys'; max: number }
  | { reason: 'idle_timeout_too_long'; maxS: number }
  /** The caller's creation rate: `retryAfterS` until its bucket has a token. */
  | { reason: 'rate'; retryAfterS: number; rate: TenantShares['rate'] }
  /** The caller holds `held` live tenants, its share: `retryAfterS` until the first would idle out. */
  | { reason: 'share'; held: number; retryAfterS: number };

export type CreateResult = { ok: true; tenant: CreatedTenant } | ({ ok: false } & CreateRefusal);

/** How long a resolved key's world is remembered: keys never move, a dropped world reads as empty. */
const KEY_CACHE_SIZE = 10_000;
/** A world's last-seen time is written at most this often (a write per request would be a Redis call). */
const TOUCH_EVERY_MS = 1_000;
/**
 * A held world (an open journal stream or wait) is touched a quarter of its idle time-out apart, within
 * these bounds: often enough that another replica's sweep sees it used, rarely enough to cost nothing.
 */
const HOLD_TOUCH_MIN_MS = TOUCH_EVERY_MS;
const HOLD_TOUCH_MAX_MS = 60_000;

export const DEFAULT_TENANT_KEYS = [{ balance: 1000 }];

export class Tenancy implements Worlds {
  private readonly backend: StoreBackend;
  private readonly systemNow: () => number;
  /** Positive lookups only: a key created on another replica must work at once, so misses are not kept. */
  private readonly keyWorlds = new Map<Owner, string>();
  /** Tenant credentials (digests) seen, positive only; for `partyOf` alone, never to authorise. */
  private readonly tokenWorlds = new Map<string, string>();
  /** Whose work a world's requests are (`partyOf`): its creator's address, or the world itself. */
  private readonly parties = new Map<string, string>();
  private readonly touched = new Map<string, number>();
  /** Worlds held open by a journal follower in this process: how many holds, and when to touch next. */
  private readonly holds = new Map<string, { count: number; everyMs: number; dueAt: number }>();
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly dropListeners = new Set<(id: string) => void>();
  /** One domain service per world whose store keeps a live clock in this process. */
  private readonly simulators = new WeakMap<Store, Simulator>();
  private readonly qas = new WeakMap<Store, WorldQa>();
  private decorate: StoreDecorator | undefined;
  /** Tenant creations, one at a time (create); and the callers' creation rates. */
  private creating: Promise<unknown> = Promise.resolve();
  private creationRate: CreationRate | undefined;
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

  /**
   * Creates a tenant. `caller`: the share (creation-shares.ts) of a caller other than the operator,
   * who is held to it; undefined for the operator. Creations run one at a time in this process, so
   * that two at once cannot both take the last place of a share or of --max-tenants. LIMITATION:
   * between the replicas of a fleet they can, by one each (the check and the creation are two store
   * operations).
   */
  create(input: TenantInput, caller?: string): Promise<CreateResult> {
    const shares = caller === undefined ? undefined : this.options.shares;
    if (shares) {
      const keys = (input.keys ?? DEFAULT_TENANT_KEYS).length;
      if (keys > shares.maxKeys)
        return Promise.resolve({ ok: false, reason: 'too_many_keys', max: shares.maxKeys });
      if (input.idleTimeoutS !== undefined && input.idleTimeoutS * 1000 > shares.maxIdleTimeoutMs)
        return Promise.resolve({
          ok: false,
          reason: 'idle_timeout_too_long',
          maxS: Math.floor(shares.maxIdleTimeoutMs / 1000),
        });
      const token = (this.creationRate ??= new CreationRate(shares.rate)).take(caller!, this.systemNow());
      if (!token.allowed)
        return Promise.resolve({
          ok: false,
          reason: 'rate',
          retryAfterS: token.retryAfterSeconds,
          rate: shares.rate,
        });
    }
    const created = this.creating.then(() => this.createNow(input, caller, shares));
    this.creating = created.catch(() => undefined);
    return created;
  }

  private async createNow(
    input: TenantInput,
    caller: string | undefined,
    shares: TenantShares | undefined,
  ): Promise<CreateResult> {
    await this.sweep();
    const worlds = await this.backend.listWorlds();
    if (shares) {
      const held = worlds.filter((w) => w.createdBy === caller);
      if (held.length >= shares.perCaller) {
        const now = this.systemNow();
        const firstIdle = Math.min(...held.map((w) => w.lastSeenAt + w.idleTimeoutMs));
        return {
          ok: false,
          reason: 'share',
          held: held.length,
          retryAfterS: Math.max(1, Math.ceil((firstIdle - now) / 1000)),
        };
      }
    }
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
        ...(caller === undefined ? {} : { createdBy: caller }),
      };
      // Fresh random keys and ids never collide in practice; if one ever did, draw again.
      if (!(await this.backend.createWorld(record)).ok) continue;
      remember(this.parties, id, caller ?? `world:${id}`);
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
    const digest = ownerOf(token);
    const id = await this.backend.worldOfToken(digest);
    if (id !== undefined) remember(this.tokenWorlds, digest, id);
    else this.tokenWorlds.delete(digest); // dropped, perhaps by another replica
    return id;
  }

  /**
   * Whose work a request is, for the time share (http/fair-share.ts), from what is known without a
   * store call: the world of its key or tenant credential if this process has seen it, and then the
   * address that created that world (the tenants one address creates share one share, as they share
   * its memory: it cannot multiply its time by making tenants), or the world itself (a tenant the
   * operator made). The default world's keys are public: there each address is a party of its own
   * (`default@` its address), so that nobody can spend the share of everyone else who uses them.
   * Anything else is its address's.
   */
  partyOf(request: { owner: Owner | undefined; tokenDigest: string | undefined; address: string }): string {
    const id =
      (request.owner === undefined ? undefined : this.keyWorlds.get(request.owner)) ??
      (request.tokenDigest === undefined ? undefined : this.tokenWorlds.get(request.tokenDigest));
    if (id === undefined) return request.address;
    if (id === DEFAULT_WORLD) return `default@${request.address}`;
    const known = this.parties.get(id);
    if (known !== undefined) return known;
    const itself = `world:${id}`;
    // Learnt once per world (its creator is in its record); until then, the world is its own party.
    remember(this.parties, id, itself);
    this.backend.getWorld(id).then(
      (record) => {
        if (record?.createdBy !== undefined && this.parties.has(id)) this.parties.set(id, record.createdBy);
      },
      () => this.parties.delete(id), // asked again next time
    );
    return itself;
  }

  async drop(id: string): Promise<boolean> {
    if (id === DEFAULT_WORLD) return false;
    this.forget(id);
    const dropped = await this.backend.deleteWorld(id);
    // Told even when another replica dropped it first: what this process holds of it must end.
    for (const listener of this.dropListeners) listener(id);
    return dropped;
  }

  /**
   * Calls `listener` with the id of each tenant this process drops (DELETE, the idle sweep, a global
   * reset), so that what lives outside the store (its journal's followers) ends with it. A tenant
   * dropped through another replica is found by the followers' own reads (WorldMissingError).
   */
  onDropped(listener: (id: string) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  /**
   * Counts something open in a world (a journal stream, a pending wait) as its activity until the
   * returned function is called: this process's sweep never drops it, and it is touched at once and
   * then periodically (a quarter of its idle time-out apart), so that another replica's sweep sees it
   * used too. Touched periodically rather than on every entry sent: one write per world, not per frame.
   */
  hold(id: string): () => void {
    const held = this.holds.get(id);
    if (held) held.count++;
    else {
      const entry = { count: 1, everyMs: HOLD_TOUCH_MIN_MS, dueAt: 0 };
      this.holds.set(id, entry);
      void this.backend.getWorld(id).then(
        (record) => {
          if (record)
            entry.everyMs =
              record.idleTimeoutMs === 0
                ? Infinity // the default world is never dropped
                : Math.min(Math.max(record.idleTimeoutMs / 4, HOLD_TOUCH_MIN_MS), HOLD_TOUCH_MAX_MS);
        },
        () => undefined, // keeps the shortest period
      );
      this.touchHeld();
      this.holdTimer ??= setInterval(() => this.touchHeld(), HOLD_TOUCH_MIN_MS).unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const entry = this.holds.get(id);
      if (!entry || --entry.count > 0) return;
      this.holds.delete(id);
      if (this.holds.size === 0) {
        clearInterval(this.holdTimer);
        this.holdTimer = undefined;
      }
    };
  }

  private touchHeld(): void {
    const now = this.systemNow();
    for (const [id, entry] of this.holds) {
      if (entry.dueAt > now) continue;
      entry.dueAt = now + entry.everyMs;
      this.touch(id);
    }
  }

  /** Drops the tenants idle longer than their timeout (none held in this process); returns their ids. */
  async sweep(): Promise<string[]> {
    const now = this.systemNow();
    const idle = (await this.backend.listWorlds()).filter(
      (w) => w.idleTimeoutMs > 0 && w.lastSeenAt + w.idleTimeoutMs < now && !this.holds.has(w.id),
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

  /**
   * Makes a key created through the control API the world's, if the caller may name it there
   * (key-namespace.ts): a tenant names the keys it already has and the names of its namespace only,
   * so that it can never take a name meant for another world; nobody creates a name of another
   * tenant's namespace, so that the namespaces never collide.
   */
  async claimKey(apiKey: string, worldId: string, by: 'operator' | 'tenant'): Promise<KeyClaim> {
    const owner = ownerOf(apiKey);
    const namespace = namespaceOf(apiKey);
    if (by === 'tenant') {
      if ((await this.backend.worldOfKey(owner)) === worldId) return { ok: true };
      // The same answer for every name it does not have: it tells nothing about who has it.
      if (namespace !== worldId)
        return { ok: false, reason: 'outside_namespace', prefix: tenantKeyPrefix(worldId) };
      const max = this.options.shares?.maxKeys;
      if (max !== undefined && (await this.storeOf(worldId).listAccounts()).length >= max)
        return { ok: false, reason: 'key_limit', max };
    }
    if (namespace !== undefined && namespace !== worldId)
      return { ok: false, reason: 'other_namespace', tenant: namespace };
    const claimed = await this.backend.claimKey(owner, worldId);
    if (claimed.ok) {
      this.remember(owner, worldId);
      return { ok: true };
    }
    return { ok: false, reason: 'held', holder: await this.backend.worldOfKey(owner) };
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
    remember(this.keyWorlds, owner, id);
  }

  private forget(id: string): void {
    for (const [owner, world] of this.keyWorlds) if (world === id) this.keyWorlds.delete(owner);
    for (const [digest, world] of this.tokenWorlds) if (world === id) this.tokenWorlds.delete(digest);
    this.parties.delete(id);
    this.touched.delete(id);
  }
}

/** Sets `key` in a cache of at most KEY_CACHE_SIZE entries, the oldest going first. */
function remember<K>(cache: Map<K, string>, key: K, id: string): void {
  if (cache.size >= KEY_CACHE_SIZE && !cache.has(key)) cache.delete(cache.keys().next().value!);
  cache.set(key, id);
}
