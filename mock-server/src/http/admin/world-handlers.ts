/** POST /__mock/reset and GET /__mock/invariants: a world back to its start, and its books checked. */
import type { RequestHandler } from 'express';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { scopeOf } from './control-scope.js';

export interface WorldHandlerDeps {
  tenancy: Tenancy;
  /** After a reset (`undefined`: the global one): what lives outside the store starts again. */
  onReset?: (worldId: string | undefined) => void;
}

export function worldHandlers(
  deps: WorldHandlerDeps,
): Record<'resetSimulator' | 'getInvariants', RequestHandler> {
  return {
    // The operator's reset, with no tenant named, is the global one: every tenant dropped, the default
    // world back to its start. Any other reset puts back its own world and touches no other.
    resetSimulator: async (_req, res) => {
      const scope = scopeOf(res);
      const world = worldOf(res);
      const global = scope.kind === 'operator' && !scope.named;
      if (global) await deps.tenancy.resetAll();
      else await deps.tenancy.resetWorld(world.id);
      deps.onReset?.(global ? undefined : world.id);
      res.json(success({ reset: true as const, accounts: await world.simulator.countAccounts() }));
    },

    getInvariants: async (_req, res) => {
      const report = await worldOf(res).simulator.invariants();
      res.json(
        success({
          ok: report.ok,
          checked: report.checked,
          problems: report.problems.map(({ taskId, ...p }) => ({
            ...p,
            ...(taskId ? { task_id: taskId } : {}),
          })),
        }),
      );
    },
  };
}
