/** GET /__mock/health: each part the simulator depends on, and the default world's clock and tasks. */
import type { Request, RequestHandler } from 'express';
import type { operations } from '../../../../generated/control-api.js';
import { shortReason } from '../../short-reason.js';
import type { MemoryUsage } from '../../store/memory-budget.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import type { World } from '../../tenancy/world.js';
import { success } from '../envelope.js';
import { clockView } from './control-views.js';

type HealthData = operations['getHealth']['responses'][200]['content']['application/json']['data'];
export type HealthComponents = HealthData['components'];
export type ComponentHealth = HealthComponents[keyof HealthComponents];

export interface HealthDeps {
  tenancy: Tenancy;
  /**
   * Each part the simulator depends on, asked on every health check. A new one (a networked
   * store, say) is one entry in control-api.yaml's HealthComponents and one here.
   */
  healthComponents: { [K in keyof HealthComponents]: () => ComponentHealth | Promise<ComponentHealth> };
  version: string;
  /** Whether this request may see what only the control token shows (the seed). */
  controlAuthorized: (req: Request) => boolean;
}

export function healthHandlers(deps: HealthDeps): Record<'getHealth', RequestHandler> {
  return {
    // Health tells the truth about each part: the store unreachable is 503 (nothing can be served);
    // another part failed is still 200, `degraded`: the public API works (for images, everything but
    // the image files), so a health check that restarts on failure would only make it worse.
    getHealth: async (req, res) => {
      const components = await checkComponents(deps.healthComponents);
      let world: World | undefined;
      // A degraded store (a full Redis) still reads: the world is shown, and the status says degraded.
      if (components.store.status !== 'failed') {
        try {
          world = await deps.tenancy.defaultWorld();
        } catch (err) {
          components.store = { status: 'failed', error: shortReason(err) };
        }
      }
      const degraded = Object.values(components).some(
        (c) => c.status === 'failed' || c.status === 'degraded',
      );
      if (!world) {
        res
          .status(503)
          .set('Retry-After', '1')
          .json({
            code: 503,
            message: 'unavailable',
            data: { status: 'unavailable', version: deps.version, components },
          });
        return;
      }
      const authorized = deps.controlAuthorized(req);
      const memory = deps.tenancy.memory(5);
      res.json(
        success({
          status: degraded ? ('degraded' as const) : ('ok' as const),
          version: deps.version,
          // The seed makes task ids predictable: only for callers the control API would let in.
          ...(authorized ? { seed: world.view.spec.seed } : {}),
          tasks: await world.simulator.countTasks(),
          clock: clockView(world.simulator),
          components,
          ...(memory ? { memory: memoryView(memory, authorized) } : {}),
        }),
      );
    },
  };
}

/** The budget as health shows it; which worlds hold the most (tenant ids) only to the control API's callers. */
function memoryView(usage: MemoryUsage, authorized: boolean) {
  return {
    limit_bytes: usage.limitBytes,
    used_bytes: usage.usedBytes,
    tenant_limit_bytes: usage.tenantLimitBytes,
    by_kind: usage.byKind,
    worlds: usage.worlds,
    ...(authorized
      ? { top: usage.top.map((w) => ({ id: w.world, used_bytes: w.usedBytes, by_kind: w.byKind })) }
      : {}),
  };
}

/** Every component's state; a check that itself throws counts as that component failing. */
async function checkComponents(checks: HealthDeps['healthComponents']): Promise<HealthComponents> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, ComponentHealth]> => {
      try {
        return [name, await check()];
      } catch {
        return [name, { status: 'failed', error: 'the health check itself failed' }];
      }
    }),
  );
  return Object.fromEntries(entries) as HealthComponents;
}
