/**
 * The worlds and the directory in Redis (StoreBackend), so that every process of a fleet resolves
 * the same key to the same world and sees the same tenants. Directory writes come first when adding
 * and last when removing (store.ts): a replica that dies between the two leaves at worst a world no
 * key reaches, which idle sweeping drops.
 */
import type { Owner } from '../../domain/keys.js';
import type { VerdictSettings } from '../../verdict/settings.js';
import type { ClaimResult, JournalLimits, RetentionPolicy, StoreBackend, TenantRecord } from '../store.js';
import { DEFAULT_CAPS, type WorldCaps } from '../world-limits.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { DIRECTORY_SCRIPTS } from './lua.js';
import { RedisStore } from './redis-store.js';
import type { Script } from './script.js';

export interface RedisBackendOptions extends RedisConnectionOptions {
  /** Key prefix, so several simulators can share one Redis (default `dc`). */
  prefix?: string;
  retention: RetentionPolicy;
  journal: JournalLimits;
  /** The verdict's settings; absent: the verdict is off. */
  verdict?: VerdictSettings | undefined;
  /** The most rules and accounts one world holds (DEFAULT_CAPS if absent), checked in the scripts. */
  caps?: WorldCaps;
  systemNow?: () => number;
}

export class RedisBackend implements StoreBackend {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly dir: string;
  private readonly stores = new Map<string, RedisStore>();
  private readonly systemNow: () => number;

  private constructor(
    private readonly connection: RedisConnection,
    private readonly options: RedisBackendOptions,
  ) {
    this.prefix = options.prefix ?? 'dc';
    this.dir = `${this.prefix}:{dir}`;
    this.systemNow = options.systemNow ?? Date.now;
  }

  static async open(options: RedisBackendOptions): Promise<RedisBackend> {
    const probeKey = `${options.prefix ?? 'dc'}:{dir}:probe`;
    return new RedisBackend(await RedisConnection.open({ probeKey, ...options }), options);
  }

  world(id: string): RedisStore {
    let store = this.stores.get(id);
    if (!store) {
      store = new RedisStore({
        connection: this.connection,
        prefix: this.prefix,
        world: id,
        retention: this.options.retention,
        journal: this.options.journal,
        caps: this.options.caps ?? DEFAULT_CAPS,
        systemNow: this.systemNow,
        verdict: this.options.verdict,
      });
      // Handles are cheap and stateless; the map only saves building one per request.
      if (this.stores.size > 10_000) this.stores.clear();
      this.stores.set(id, store);
    }
    return store;
  }

  /** A directory script with its named arguments. */
  private directory<A, T>(script: Script<A, T>, args: A): Promise<T> {
    return this.connection.run(script, [this.dir], args);
  }

  /** Claims the record's world id, credential and keys in the directory, or none of them. */
  private claimWorld(record: TenantRecord, json = JSON.stringify(record)): Promise<boolean> {
    return this.directory(DIRECTORY_SCRIPTS.claimWorld, {
      id: record.id,
      record: json,
      tokenDigest: record.tokenDigest,
      lastSeen: record.lastSeenAt,
      owners: record.spec.accounts.map((a) => a.owner),
    });
  }

  async createWorld(record: TenantRecord): Promise<ClaimResult> {
    if (!(await this.claimWorld(record))) return { ok: false, owner: 'another_world' };
    await this.world(record.id).writeStart(record.spec);
    return { ok: true };
  }

  async ensureWorld(record: TenantRecord): Promise<TenantRecord> {
    const ensured = await this.directory(DIRECTORY_SCRIPTS.ensureWorld, {
      id: record.id,
      record: JSON.stringify(record),
      lastSeen: record.lastSeenAt,
    });
    const kept = ensured.record;
    if (ensured.created) {
      if (!(await this.claimWorld(kept, ensured.json)))
        throw new Error(`cannot create world ${kept.id}: a key belongs to another world`);
      await this.world(kept.id).writeStart(kept.spec);
    } else {
      // Another process created it a moment ago and may still be writing its start.
      for (let i = 0; i < 100 && !(await this.world(kept.id).exists()); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return kept;
  }

  async getWorld(id: string): Promise<TenantRecord | undefined> {
    const [json, seen] = (await Promise.all([
      this.connection.command(['HGET', `${this.dir}:worlds`, id]),
      this.connection.command(['HGET', `${this.dir}:seen`, id]),
    ])) as [string | null, string | null];
    if (!json) return undefined;
    const record = JSON.parse(json) as TenantRecord;
    return { ...record, lastSeenAt: seen ? Number(seen) : record.lastSeenAt };
  }

  async listWorlds(): Promise<TenantRecord[]> {
    const [worlds, seen] = (await Promise.all([
      this.connection.command(['HGETALL', `${this.dir}:worlds`]),
      this.connection.command(['HGETALL', `${this.dir}:seen`]),
    ])) as [string[] | Record<string, string>, string[] | Record<string, string>];
    const asMap = (reply: string[] | Record<string, string>): Map<string, string> =>
      Array.isArray(reply)
        ? new Map(Array.from({ length: reply.length / 2 }, (_, i) => [reply[2 * i]!, reply[2 * i + 1]!]))
        : new Map(Object.entries(reply));
    const lastSeen = asMap(seen);
    return [...asMap(worlds).entries()].map(([id, json]) => {
      const record = JSON.parse(json) as TenantRecord;
      const at = lastSeen.get(id);
      return { ...record, lastSeenAt: at ? Number(at) : record.lastSeenAt };
    });
  }

  async deleteWorld(id: string): Promise<boolean> {
    const existed = await this.directory(DIRECTORY_SCRIPTS.forgetWorld, { id });
    if (existed) await this.world(id).destroy();
    this.stores.delete(id);
    return existed;
  }

  async touchWorld(id: string, systemNow: number): Promise<void> {
    await this.directory(DIRECTORY_SCRIPTS.touchWorld, { id, systemNow });
  }

  async worldOfKey(owner: Owner): Promise<string | undefined> {
    return (
      ((await this.connection.command(['HGET', `${this.dir}:keys`, owner])) as string | null) ?? undefined
    );
  }

  async claimKey(owner: Owner, worldId: string): Promise<ClaimResult> {
    const ok = await this.directory(DIRECTORY_SCRIPTS.claimKey, { owner, world: worldId });
    return ok ? { ok: true } : { ok: false, owner: 'another_world' };
  }

  async releaseKeys(worldId: string, owners: readonly Owner[]): Promise<void> {
    if (owners.length > 0) await this.directory(DIRECTORY_SCRIPTS.releaseKeys, { world: worldId, owners });
  }

  async worldOfToken(tokenDigest: string): Promise<string | undefined> {
    return (
      ((await this.connection.command(['HGET', `${this.dir}:tokens`, tokenDigest])) as string | null) ??
      undefined
    );
  }

  health(): ReturnType<StoreBackend['health']> {
    return this.connection.health();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
