/** GET /__mock/metrics: the exposition, for the operator (it covers every world). */
import type { RequestHandler } from 'express';
import { scopeOf } from '../admin/control-scope.js';
import { ApiError } from '../errors.js';
import type { SimulatorMetrics } from './metrics.js';

export function metricsHandlers(metrics: SimulatorMetrics): { getMetrics: RequestHandler } {
  return {
    getMetrics: async (_req, res) => {
      if (scopeOf(res).kind === 'tenant')
        throw new ApiError(403, "The metrics cover every world: they need the operator's control token", {
          type: 'forbidden',
        });
      const { contentType, text } = await metrics.exposition();
      res.set('Cache-Control', 'no-store').type(contentType).send(text);
    },
  };
}
