/**
 * The control plane QA uses, one module per resource (accounts, tasks, rules, clock, tenants, journal,
 * health, the world itself, drift); this file only puts them together into the handler map that
 * mount.ts binds to control-api.yaml's operations (a missing one fails the type check).
 */
import type { Request, RequestHandler } from 'express';
import type { operations } from '../../../../generated/control-api.js';
import type { RuleCheckOptions } from '../../qa/rule-checks.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { accountHandlers } from './account-handlers.js';
import { clockHandlers } from './clock-handlers.js';
import { ruleView } from './control-views.js';
import { driftHandlers, type DriftHandlerDeps } from './drift-handlers.js';
import { healthHandlers, type HealthDeps } from './health-handlers.js';
import { journalHandlers } from './journal-handlers.js';
import { reportHandlers, type ReportHandlerDeps } from './report-handlers.js';
import type { JournalStreamOptions } from './journal-stream.js';
import { ruleHandlers } from './rule-handlers.js';
import { taskHandlers } from './task-handlers.js';
import { tenantHandlers } from './tenant-handlers.js';
import { worldHandlers } from './world-handlers.js';

export type { ComponentHealth, HealthComponents } from './health-handlers.js';

/** The pages and the metrics have modules of their own (http/console, http/docs, http/metrics). */
export type ControlOperationId = Exclude<
  keyof operations,
  | 'getTaskImage'
  | 'getMetrics'
  | 'getConsole'
  | 'getConsoleAsset'
  | 'getDocs'
  | 'getDocsDocument'
  | 'getDocsAsset'
>;

export interface ControlDeps extends Omit<HealthDeps, 'tenancy'> {
  tenancy: Tenancy;
  /** Journal entries kept per world (0: off). */
  journalSize: number;
  baseUrl: (req: Request) => string;
  /** What a fault rule may force and reach (qa/rule-checks.ts ruleStatusChecker). */
  ruleStatuses: RuleCheckOptions['ruleStatuses'];
  /** Proxy and replay modes: the drift summaries, the gateway (none when the simulator answers itself). */
  drift: Pick<DriftHandlerDeps, 'summaries' | 'gateway'>;
  /** After a reset (`undefined`: the global one): what lives outside the store starts again. */
  onReset?: (worldId: string | undefined) => void;
  journalStream?: JournalStreamOptions;
  /** Journal waits and streams held at once per world, per process (beyond: 429). */
  journalFollowers?: { maxWaits: number; maxStreams: number };
  /** The verdict (GET /__mock/report): its settings and the catalogue of outcomes. */
  report: ReportHandlerDeps;
}

export function controlHandlers(deps: ControlDeps): Record<ControlOperationId, RequestHandler> {
  const rules: RuleCheckOptions = { ruleStatuses: deps.ruleStatuses, mode: deps.drift.gateway?.mode };
  return {
    ...healthHandlers(deps),
    ...worldHandlers({ tenancy: deps.tenancy, ...(deps.onReset ? { onReset: deps.onReset } : {}) }),
    ...accountHandlers(deps.tenancy),
    ...taskHandlers(deps.baseUrl),
    ...clockHandlers(deps.tenancy),
    ...ruleHandlers(rules),
    ...journalHandlers({
      capacity: deps.journalSize,
      stream: deps.journalStream,
      tenancy: deps.tenancy,
      ...(deps.journalFollowers ? { limits: deps.journalFollowers } : {}),
    }),
    ...tenantHandlers(deps.tenancy),
    ...driftHandlers({ ...deps.drift, rules, ruleView }),
    ...reportHandlers(deps.report),
  };
}
