/**
 * connectSimulator(url): the same handle on a simulator that runs elsewhere (a shared staging one),
 * bound to one tenant, so a suite written against startSimulator() runs there unchanged and never
 * sees, or disturbs, another job's world.
 */
import { createControlClient, dataOf } from './control-client.js';
import { SimulatorHandle, type StartKey, type TenantInput } from './handle.js';

export interface ConnectOptions {
  /** The operator's control token, if the simulator has one (creating a tenant may not need it). */
  token?: string;
  /**
   * `new` (default): a fresh tenant, dropped by stop(); `default`: the default world (operator only);
   * `{ token }`: an existing tenant, by its credential.
   */
  tenant?: 'new' | 'default' | { token: string; id?: string };
  /** The new tenant's settings (seed, clock, keys, ...). */
  create?: TenantInput;
  /** The keys of an existing world, which the simulator does not hand out again. */
  keys?: readonly StartKey[];
  fetch?: typeof fetch;
}

export async function connectSimulator(url: string, options: ConnectOptions = {}): Promise<SimulatorHandle> {
  const base = url.replace(/\/+$/, '');
  const fetchOption = options.fetch ? { fetch: options.fetch } : {};
  const tenant = options.tenant ?? 'new';
  if (tenant === 'new') {
    const operator = createControlClient(base, {
      ...(options.token ? { token: options.token } : {}),
      ...fetchOption,
    });
    const created = await dataOf(operator.POST('/__mock/tenants', { body: options.create ?? {} }));
    const control = createControlClient(base, { token: created.token, ...fetchOption });
    return new SimulatorHandle({
      url: base,
      tenant: created.tenant.id,
      keys: created.keys,
      control,
      onStop: async () => {
        await dataOf(
          control.DELETE('/__mock/tenants/{tenantId}', { params: { path: { tenantId: created.tenant.id } } }),
        ).catch(() => undefined); // dropped already (idle, or by the operator): nothing left to do
      },
    });
  }
  if (tenant === 'default') {
    return new SimulatorHandle({
      url: base,
      tenant: 'default',
      keys: options.keys ?? [],
      control: createControlClient(base, {
        ...(options.token ? { token: options.token } : {}),
        ...fetchOption,
      }),
      onStop: async () => undefined,
    });
  }
  const control = createControlClient(base, { token: tenant.token, ...fetchOption });
  const [own] = (await dataOf(control.GET('/__mock/tenants'))).tenants;
  if (!own) throw new Error('this tenant credential reaches no tenant');
  return new SimulatorHandle({
    url: base,
    tenant: own.id,
    keys: options.keys ?? [],
    control,
    onStop: async () => undefined,
  });
}
