/** GET /__mock/clock and POST /__mock/clock/advance: the world's time. */
import type { RequestHandler } from 'express';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { errors } from '../errors.js';
import { clockView } from './control-views.js';

export function clockHandlers(tenancy: Tenancy): Record<'getClock' | 'advanceClock', RequestHandler> {
  return {
    getClock: (_req, res) => {
      res.json(success(clockView(worldOf(res).simulator)));
    },

    advanceClock: async (req, res) => {
      const world = worldOf(res);
      const advanced = await world.simulator.advanceClock((req.body as { ms: number }).ms);
      if (!advanced.ok) throw errors.invalidRequest([{ field: 'body.ms', message: advanced.problem }]);
      // The world as it is after the move (a shared store's clock is read again, not moved here).
      const after = await tenancy.refresh(world);
      await after.simulator.settleDue(); // refunds of tasks that failed during the jump land now
      res.json(success(clockView(after.simulator)));
    },
  };
}
