/**
 * The worlds the MCP server's tools act in: the one it is attached to (the default world of a
 * simulator it started, the default world of a running one, or the tenant of a credential), and the
 * tenants its create_tenant made. Each world is a SimulatorHandle (embed/handle.ts) and a control
 * client with the same credentials, for the few answers the handle does not pass on (a journal
 * page's `next`, what a reset or a removal counted).
 */
import type { components } from '../../../generated/control-api.js';
import { connectSimulator } from '../embed/connect.js';
import { ControlApiError, createControlClient, dataOf, type ControlClient } from '../embed/control-client.js';
import type { SimulatorHandle, StartKey, TenantInput } from '../embed/handle.js';
import { startSimulator } from '../embed/start.js';

export type CreatedTenant = components['schemas']['CreatedTenantEnvelope']['data'];

/** How the server reaches its simulator. */
export type Attachment =
  /** A simulator it started in this process. */
  | { kind: 'embedded' }
  /** A running simulator, as its operator (its control token, or none on loopback). */
  | { kind: 'operator'; url: string; token?: string }
  /** A running simulator, inside one tenant, by the tenant's credential. */
  | { kind: 'tenant'; url: string; token: string };

export class World {
  /** The task each key created, so a poll goes out with the key that owns the task. */
  private readonly taskKeys = new Map<string, string>();
  readonly control: ControlClient;

  constructor(
    readonly handle: SimulatorHandle,
    /** The credential the handle uses: a tenant's, the operator's, or none. */
    readonly token: string | undefined,
  ) {
    this.control = createControlClient(handle.url, token ? { token } : {});
  }

  /** `default`, or the tenant's id. */
  get id(): string {
    return this.handle.tenant;
  }

  get keys(): readonly StartKey[] {
    return this.handle.keys;
  }

  /** The key given, else the one that created `taskId`, else the world's first. */
  keyFor(given: string | undefined, taskId?: string): string {
    const key =
      given ?? (taskId === undefined ? undefined : this.taskKeys.get(taskId)) ?? this.keys[0]?.apiKey;
    if (key === undefined) {
      throw new Error(
        `This server does not know an API key of the world ${this.id} (a simulator never hands them out ` +
          'again): pass key, or create_tenant for a world whose keys it returns',
      );
    }
    return key;
  }

  rememberTask(taskId: string, key: string): void {
    this.taskKeys.set(taskId, key);
  }
}

export class Worlds {
  private readonly tenants = new Map<string, World>();

  private constructor(
    readonly attachment: Attachment,
    /** The world every tool acts in unless it names a tenant. */
    readonly home: World,
    /** Stops what the server started: the embedded simulator, when it is one. */
    private readonly onClose: () => Promise<void>,
  ) {}

  /** The simulator's base URL. */
  get url(): string {
    return this.home.handle.url;
  }

  static async open(attachment: Attachment): Promise<Worlds> {
    if (attachment.kind === 'embedded') {
      // The virtual clock: a render takes no real time, advance_clock moves it on.
      const handle = await startSimulator({ clock: 'virtual' });
      return new Worlds(attachment, new World(handle, undefined), () => handle.stop());
    }
    const { url, token } = attachment;
    const handle =
      attachment.kind === 'operator'
        ? await connectSimulator(url, { tenant: 'default', ...(token ? { token } : {}) })
        : await connectSimulator(url, { tenant: { token: attachment.token } });
    return new Worlds(attachment, new World(handle, token), async () => undefined);
  }

  /** The world a tool call names: a tenant this server created, or (none named) its home world. */
  get(tenant: string | undefined): World {
    if (tenant === undefined || tenant === this.home.id) return this.home;
    const world = this.tenants.get(tenant);
    if (world) return world;
    if (this.attachment.kind === 'tenant') {
      throw new Error(
        `This server is attached to the tenant ${this.home.id} by its credential: every tool acts there (omit tenant)`,
      );
    }
    const known = [this.home.id, ...this.tenants.keys()].join(', ');
    throw new Error(`No tenant ${JSON.stringify(tenant)} made by this server (worlds: ${known})`);
  }

  /** A new tenant, made with the operator's credentials (or none, where creation is open). */
  async createTenant(input: TenantInput): Promise<{ created: CreatedTenant; world: World }> {
    if (this.attachment.kind === 'tenant') {
      throw new Error(
        `This server is attached to the tenant ${this.home.id} by its credential, and acts there only: ` +
          'it creates no other tenant (attach with the control token, or with no token, to create tenants)',
      );
    }
    const operator = createControlClient(this.url, this.home.token ? { token: this.home.token } : {});
    const created = await dataOf(operator.POST('/__mock/tenants', { body: input }));
    const handle = await connectSimulator(this.url, {
      tenant: { token: created.token, id: created.tenant.id },
      keys: created.keys,
    });
    const world = new World(handle, created.token);
    this.tenants.set(world.id, world);
    return { created, world };
  }

  /** Drops the tenants this server made, then stops the simulator it started. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.tenants.values()].map(
        (world) =>
          dataOf(
            world.control.DELETE('/__mock/tenants/{tenantId}', { params: { path: { tenantId: world.id } } }),
          ).catch(() => undefined), // dropped already (idle, or by the operator): nothing left to do
      ),
    );
    this.tenants.clear();
    await this.onClose();
  }
}

/**
 * What a `--token` is: the operator's control token or a tenant's credential. The tenants the token
 * can list tell: the operator sees the default world, a tenant only itself. Asking also checks, before
 * any tool is called, that a simulator answers at `url` and takes the token (or needs none).
 */
export async function attachmentOf(url: string, token: string | undefined): Promise<Attachment> {
  const base = url.replace(/\/+$/, '');
  const control = createControlClient(base, token ? { token } : {});
  const { tenants } = await dataOf(control.GET('/__mock/tenants')).catch((error: unknown) => {
    if (error instanceof ControlApiError) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new Error(`No simulator answered at ${base}${cause ? ` (${cause})` : ''}`, { cause: error });
  });
  if (token === undefined) return { kind: 'operator', url: base };
  return tenants.some((t) => t.id === 'default')
    ? { kind: 'operator', url: base, token }
    : { kind: 'tenant', url: base, token };
}
