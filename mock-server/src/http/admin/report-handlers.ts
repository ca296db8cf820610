/**
 * GET /__mock/report: the verdict on the client under test, for the caller's world (the control
 * scope resolves it: a tenant credential reads its own tenant's only), as JSON in the envelope,
 * JUnit XML or text.
 */
import type { RequestHandler } from 'express';
import type { OutcomeCatalogue } from '../../verdict/catalogue.js';
import { renderJUnit } from '../../verdict/render-junit.js';
import { renderText } from '../../verdict/render-text.js';
import { reportOf } from '../../verdict/report.js';
import type { Severity } from '../../verdict/rules/rule.js';
import type { VerdictSettings } from '../../verdict/settings.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { ApiError } from '../errors.js';

export interface ReportHandlerDeps {
  /** The verdict's settings; undefined: nothing is observed, and `off` says why. */
  settings: VerdictSettings | undefined;
  off: string;
  /** The outcomes of the public API (verdict/catalogue.ts), derived once from openapi.yaml. */
  catalogue: OutcomeCatalogue;
}

export function reportHandlers(deps: ReportHandlerDeps): Record<'getReport', RequestHandler> {
  return {
    getReport: async (req, res) => {
      const { settings, catalogue } = deps;
      if (settings === undefined) throw new ApiError(404, `No report: ${deps.off}`, { type: 'not_found' });
      const world = worldOf(res);
      // Refunds of tasks whose end has come are in the ledger before the spend is read, as an account's are.
      await world.simulator.settleDue();
      const { state, spend, unseen } = await world.qa.verdict();
      const report = reportOf(state, {
        now: world.simulator.clock.now(),
        world: world.id,
        catalogue,
        settings,
        spend,
        unseen,
      });
      const query = req.query as { format?: 'json' | 'junit' | 'text'; fail_on?: Severity };
      res.set('Cache-Control', 'no-store');
      if (query.format === 'junit')
        res.type('application/xml').send(renderJUnit(report, { failOn: query.fail_on ?? 'warning' }));
      else if (query.format === 'text') res.type('text/plain').send(renderText(report));
      else res.json(success(report));
    },
  };
}
