/**
 * Decodes the QA fault for a public API request (headers first, then fault rules, then chaos) and
 * acts on it: a forced error status (no side effect), a network fault (no side effect), a held
 * response (the request is processed first: a client that times out has still been charged, as
 * in production), or a task scenario handed to the generate handler.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { RateLimitConfig } from '../../config.js';
import type { TaskScenario } from '../../domain/simulator.js';
import type { FaultAction, FaultSource } from '../../qa/faults.js';
import { shapesTaskOnly } from '../../qa/fault-rules.js';
import { decodeFaultHeaders } from '../../qa/header-faults.js';
import { actOnNetworkFault } from '../../qa/network-faults.js';
import type { QaState } from '../../qa/qa-state.js';
import { ApiError, errors, sendError } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import { worldOf } from '../world.js';
import { bearerOwner } from './auth.js';
import { rateLimitHeaders } from './rate-limit.js';

export interface QaLocals {
  injected?: FaultSource;
  /** What the injection did (the metrics' `kind`): a status, a network fault, a delay, a task scenario. */
  injectedKind?: 'status' | 'reset' | 'empty' | 'malformed' | 'hang' | 'delay' | 'task';
  scenario?: TaskScenario;
  /** A task-shaping rule to count once the generate really creates a task. */
  pendingRuleId?: string;
}

/** The envelope a forced status answers with: the same bodies the real paths produce. */
export function forcedError(
  status: number,
  action: FaultAction,
  bodyLimit: string,
  req: Request,
  limit: number,
): ApiError {
  const error = defaultForcedError(status, action, bodyLimit, req, limit);
  // A rule may carry the message a real answer had (a scenario made from a recording), verbatim.
  return action.message === undefined
    ? error
    : new ApiError(error.status, action.message, error.details, error.headers);
}

function defaultForcedError(
  status: number,
  action: FaultAction,
  bodyLimit: string,
  req: Request,
  limit: number,
): ApiError {
  switch (status) {
    case 400:
      return errors.invalidRequest([{ field: 'request', message: 'was rejected' }]);
    case 401:
      return errors.invalidKey();
    case 402:
      return new ApiError(402, 'Insufficient credits: the balance could not cover the deduction', {
        type: 'insufficient_credits',
      });
    case 404:
      return errors.taskNotFound();
    case 413:
      return errors.payloadTooLarge(bodyLimit);
    case 415:
      return errors.unsupportedMediaType(req.headers['content-type']);
    case 429: {
      const retryAfter = action.retryAfterSeconds ?? 1;
      return errors.rateLimited(retryAfter, rateLimitHeaders(limit, 0, retryAfter));
    }
    case 500:
      return errors.internal();
    case 503:
      // The upstream's own words for it (upstream-facts.md, ServerOverloaded).
      return errors.serviceUnavailable(
        'The service is currently unable to handle additional requests due to server overload. Please retry later.',
        action.retryAfterSeconds ?? 1,
      );
    default:
      return new ApiError(status, `Forced status ${status}`, { type: 'internal_error' });
  }
}

function holdResponse(res: Response, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), ms);
    return res;
  }) as Response['end'];
}

interface RouteFaults {
  statuses: Set<number>;
  isGenerate: boolean;
  /** Requests per window of the route's bucket, for the X-RateLimit-Limit of a forced 429. */
  limit: number;
}

/** The error statuses the spec lists for an operation: the only ones a fault may force there. */
function errorStatuses(op: SpecOperation): Set<number> {
  return new Set(
    Object.keys(op.operation.responses)
      .map(Number)
      .filter((s) => s >= 400),
  );
}

/**
 * Checks a fault rule's status against every operation its match can reach: a rule may only force a
 * status the spec lets all of them answer, so a rule never makes the simulator break its own contract.
 * Returns undefined when allowed, else the statuses that are.
 */
export function ruleStatusChecker(operations: readonly SpecOperation[]) {
  return (match: { method?: string; path?: string } = {}, status: number): number[] | undefined => {
    const reachable = operations.filter(
      (op) =>
        (match.method === undefined || op.method.toUpperCase() === match.method.toUpperCase()) &&
        (match.path === undefined || op.path === match.path),
    );
    if (reachable.length === 0) return [];
    const allowed = [...errorStatuses(reachable[0]!)].filter((s) =>
      reachable.every((op) => errorStatuses(op).has(s)),
    );
    return allowed.includes(status) ? undefined : allowed.sort((a, b) => a - b);
  };
}

export function faultInjection(deps: {
  qa: QaState;
  operations: readonly SpecOperation[];
  bodyLimit: string;
  rateLimit: RateLimitConfig | 'off';
}): RequestHandler {
  const { qa } = deps;
  const byRoute = new Map<string, RouteFaults>();
  for (const op of deps.operations) {
    const isGenerate = op.operationId === 'createGenerationTask';
    const bucket = deps.rateLimit === 'off' ? undefined : deps.rateLimit[isGenerate ? 'generate' : 'status'];
    byRoute.set(`${op.method.toUpperCase()} ${op.path}`, {
      statuses: errorStatuses(op),
      isGenerate,
      limit: bucket?.limit ?? 0,
    });
  }

  return async (req, res, next) => {
    const route = byRoute.get(`${req.method} ${req.path}`);
    if (!route) return next();
    const locals = res.locals as QaLocals;
    const world = worldOf(res.locals);

    let action: FaultAction | undefined;
    let source: FaultSource | undefined;
    if (qa.options.faultHeaders) {
      const decoded = decodeFaultHeaders(
        req.headers,
        route.statuses,
        route.isGenerate,
        qa.options.maxDelayMs,
      );
      if (decoded.problems.length > 0) return next(errors.invalidRequest(decoded.problems));
      if (decoded.action) [action, source] = [decoded.action, 'header'];
    }
    // Most requests meet no rule at all: the store is asked only when the world has some.
    if (!action && world.view.rules > 0) {
      const rule = await world.store.fireRule({
        method: req.method,
        path: req.path,
        owner: bearerOwner(req),
        createsTask: route.isGenerate,
      });
      if (rule) [action, source] = [rule.action, rule.id];
      if (rule && shapesTaskOnly(rule.action)) locals.pendingRuleId = rule.id;
    }
    if (!action) {
      const status = await qa.chaosStatus(world.store, world.view.spec.seed);
      if (status) [action, source] = [{ status }, 'chaos'];
    }
    if (!action || !source) return next();

    if (action.task && route.isGenerate) locals.scenario = action.task;
    locals.injected = source;
    locals.injectedKind =
      action.status !== undefined
        ? 'status'
        : (action.fault ?? (action.task && route.isGenerate ? 'task' : 'delay'));
    res.set('X-Mock-Injected', source);
    const delay = Math.min(action.delayMs ?? 0, qa.options.maxDelayMs);

    if (action.status !== undefined) {
      const error = forcedError(action.status, action, deps.bodyLimit, req, route.limit);
      return void setTimeout(() => sendError(res, error), delay);
    }
    if (action.fault !== undefined) {
      const fault = action.fault;
      return void setTimeout(() => actOnNetworkFault(fault, req, res, qa.options.maxDelayMs), delay);
    }
    if (delay > 0) holdResponse(res, delay);
    next();
  };
}
