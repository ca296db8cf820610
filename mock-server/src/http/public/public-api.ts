/**
 * The public API's steps (their order and reasons: pipeline.ts) and the dispatcher that runs them: the
 * app's first handler takes every request of a public route (any method) and passes the rest on.
 */
import { parse as parseQueryString } from 'node:querystring';
import express, { type Request, type RequestHandler } from 'express';
import type { operations } from '../../../../generated/dreamcore-api.js';
import type { RateLimitConfig } from '../../config.js';
import { isTerminal, type Task } from '../../domain/tasks.js';
import type { GenerateRequest } from '../../domain/wire-types.js';
import type { Gateway } from '../../proxy/gateway.js';
import { composeActions, forcesAnswer } from '../../qa/fault-composition.js';
import { shapesTaskOnly } from '../../qa/fault-rules.js';
import type { FaultAction } from '../../qa/faults.js';
import { decodeFaultHeaders } from '../../qa/header-faults.js';
import { actOnNetworkFault } from '../../qa/network-faults.js';
import { decodePromptMarkers } from '../../qa/prompt-markers.js';
import { errorStatuses } from '../../qa/rule-checks.js';
import type { AdmitRequest } from '../../store/store.js';
import { WorldLimitError } from '../../store/world-limits.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import type { Responder } from '../answer.js';
import { callerOf } from '../caller.js';
import { markInjected, type InjectedKind, type RequestContext } from '../context.js';
import { success } from '../envelope.js';
import { errors, type ApiError } from '../errors.js';
import { toTaskRecord } from '../handlers/task-record.js';
import type { SpecOperation } from '../load-spec.js';
import { publicCors } from '../middleware/cors.js';
import { hostCheck } from '../middleware/host-allowlist.js';
import { RAW_BODY, translateBodyParserError } from '../middleware/json-body.js';
import { responseBreaksSpec } from '../validation/response-validator.js';
import type { SpecValidators } from '../validation/spec-validators.js';
import {
  STOP,
  runSteps,
  type PublicContext,
  type PublicKind,
  type PublicRoute,
  type Step,
} from './pipeline.js';
import { forcedError, rateLimitHeaders } from './forced-errors.js';

export interface PublicApiDeps {
  tenancy: Tenancy;
  responder: Responder;
  validators: SpecValidators;
  /** openapi.yaml's operations. */
  operations: readonly SpecOperation[];
  /** Where image links point: the address the client used, or `--public-url`. */
  baseUrl: (req: Request) => string;
  options: {
    faultHeaders: boolean;
    maxDelayMs: number;
    chaos: { error500: number; error429: number };
    rateLimit: RateLimitConfig | 'off';
    bodyLimit: string;
    cors: '*' | 'off' | readonly string[];
    allowedHosts: readonly string[];
  };
  /** Proxy and replay modes: what answers in place of the simulator, after QA's faults. */
  gateway?: Gateway;
}

/**
 * What each of openapi.yaml's operations is: typed by the operationIds the spec generates, so an
 * operation added to the spec fails the type check here until it is given a kind, and compileRoutes
 * fails at start on an operation of the document this map does not have (or the reverse).
 */
const OPERATION_KINDS = {
  createGenerationTask: 'generate',
  getTaskStatus: 'status',
  postTaskStatus: 'status',
} as const satisfies Record<keyof operations, PublicKind>;

/** Accepts only what authentication accepts: one printable token after the scheme. */
const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;

export function publicApi(deps: PublicApiDeps): RequestHandler {
  const { tenancy, responder, options } = deps;
  const routes = compileRoutes(deps);
  const checkHost = hostCheck(options.allowedHosts);
  const json = express.json({
    limit: options.bodyLimit,
    // Not strict: `42`, `"x"` and `null` are valid JSON, and body-parser's strict mode would call them a
    // syntax error. They reach the operation's validator, which says what is wrong with them.
    strict: false,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => {
      (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = buf;
    },
  });
  const chaosOn = options.chaos.error500 > 0 || options.chaos.error429 > 0;
  const fail = (ctx: RequestContext, err: unknown) => responder.failure(ctx, err);
  const route = (ctx: PublicContext) => ctx.route;
  const refuse = (ctx: PublicContext, error: ApiError): StepResult => {
    responder.error(ctx, error);
    return STOP;
  };
  /** An answer of the operation itself (its input's problems, its outcome): checked against its responses. */
  const answerError = (ctx: PublicContext, error: ApiError): StepResult => {
    responder.error(ctx, error, { check: route(ctx).answerCheck });
    return STOP;
  };
  const maxDelay = (ms: number | undefined) => Math.min(ms ?? 0, options.maxDelayMs);
  /**
   * A task its world has no room for (store/world-limits.ts): 503 with Retry-After, the status
   * openapi.yaml lists for a generate the service cannot take now, whichever limit it was.
   */
  const memoryRefusal = (ctx: PublicContext, err: unknown): StepResult => {
    if (!(err instanceof WorldLimitError)) throw err;
    return answerError(ctx, errors.serviceUnavailable(err.message, err.retryAfterSeconds ?? 1));
  };

  /** Answers with what QA forced: a status (after its hold) or a network fault. */
  const forceAnswer = (ctx: PublicContext, action: FaultAction, source: string): StepResult => {
    const r = route(ctx);
    markInjected(ctx, source, action.status !== undefined ? 'status' : action.fault!);
    ctx.holdMs = maxDelay(action.delayMs);
    if (action.status !== undefined) {
      const limit = r.bucket?.limit ?? 0;
      return refuse(
        ctx,
        forcedError(action.status, action, options.bodyLimit, ctx.req.headers['content-type'], limit),
      );
    }
    const fault = action.fault!;
    const act = () =>
      actOnNetworkFault(
        fault,
        ctx.req,
        (text) => responder.text(ctx, 200, text, 'application/json; charset=utf-8'),
        options.maxDelayMs,
      );
    // The malformed answer goes through the responder, which holds it itself; the others act later.
    if (fault === 'malformed' || ctx.holdMs === 0) act();
    else setTimeout(act, ctx.holdMs);
    return STOP;
  };

  // ---- the steps, in the order of pipeline.ts --------------------------------------------------

  const host: Step = (ctx) => {
    const refused = checkHost(ctx.req);
    if (!refused) return undefined;
    ctx.journaled = false; // a refused Host touches nothing, the journal included
    return refuse(ctx, refused);
  };

  const cors: Step = (ctx) => {
    const handler = route(ctx).cors;
    if (!handler) return undefined;
    let passed = false;
    handler(ctx.req, ctx.res, () => (passed = true));
    if (passed) return undefined;
    // A preflight is the browser asking, not the client: answered here, never journaled.
    ctx.journaled = false;
    return STOP;
  };

  const faultHeaders: Step = (ctx) => {
    const r = route(ctx);
    if (!options.faultHeaders || !r.op) return undefined;
    const decoded = decodeFaultHeaders(
      ctx.req.headers,
      r.statuses,
      r.kind === 'generate',
      options.maxDelayMs,
    );
    if (decoded.problems.length > 0) return refuse(ctx, errors.invalidRequest(decoded.problems));
    const action = decoded.action;
    if (!action) return undefined;
    if (forcesAnswer(action)) return forceAnswer(ctx, action, 'header');
    // Shaping or holding only: the rules still fire (fault-composition.ts); marked now, so that an
    // answer before them (a 401) is held and marked too, as QA asked.
    ctx.headerAction = action;
    ctx.holdMs = maxDelay(action.delayMs);
    markInjected(ctx, 'header', injectedKindOf(action, r.kind));
    return undefined;
  };

  const readBody: Step = (ctx) => {
    if (!route(ctx).hasBody || ctx.req.method === 'GET' || ctx.req.method === 'HEAD') return undefined;
    return new Promise<undefined>((resolve, reject) => {
      json(ctx.req, ctx.res, (err?: unknown) => {
        if (err === undefined) return resolve(undefined);
        const held = translateBodyParserError(err, options.bodyLimit, ctx.req.headers);
        if (!held) return reject(err);
        ctx.held = held;
        resolve(undefined);
      });
    });
  };

  const checkInput: Step = (ctx) => {
    const r = route(ctx);
    const query = queryOf(ctx);
    if (ctx.held || !r.check) return undefined;
    const { req } = ctx;
    ctx.held = r.check({ headers: req.headers, query, params: {}, body: req.body as unknown });
    if (ctx.held) return undefined;
    if (r.kind === 'generate' && options.faultHeaders) {
      const markers = decodePromptMarkers((req.body as { prompt?: string }).prompt ?? '');
      if (markers.problems.length > 0) ctx.held = errors.invalidRequest(markers.problems);
      else if (markers.scenario) ctx.markers = markers.scenario;
    } else if (r.kind === 'status') {
      const taskId = statusTaskId(ctx, query);
      if (typeof taskId === 'string') ctx.taskId = taskId;
      else ctx.held = taskId;
    }
    return undefined;
  };

  const requireKey: Step = (ctx) => {
    const header = ctx.req.headers.authorization;
    if (header === undefined || header.trim() === '') return refuse(ctx, errors.missingKey());
    if (!BEARER.test(header)) return refuse(ctx, errors.malformedAuthorization());
    return undefined;
  };

  const admit: Step = (ctx) => {
    const r = route(ctx);
    const owner = callerOf(ctx).owner!;
    const request: AdmitRequest = { caller: owner };
    if (r.kind !== undefined) {
      request.rule = { method: ctx.req.method, path: r.path, owner, createsTask: r.kind === 'generate' };
      if (chaosOn) request.chaos = options.chaos;
      if (r.bucket) request.bucket = { name: `${r.kind}:${owner}`, ...r.bucket };
      if (!ctx.held)
        request.then =
          r.kind === 'generate'
            ? { kind: 'reserve', counter: 'tasks' }
            : { kind: 'poll', taskId: ctx.taskId! };
    }
    const admitted = tenancy.admit(request);
    const take = ({ world, admission }: Awaited<typeof admitted>) => {
      ctx.world = world;
      ctx.admission = admission;
      return undefined;
    };
    return admitted instanceof Promise ? admitted.then(take) : take(admitted);
  };

  const knownKey: Step = (ctx) => {
    if (!ctx.admission!.account) return refuse(ctx, errors.invalidKey());
    ctx.authenticated = true;
    return undefined;
  };

  const faults: Step = (ctx) => {
    const { rule, chaos } = ctx.admission!;
    const r = route(ctx);
    if (rule && forcesAnswer(rule.action))
      return forceAnswer(ctx, composeActions(ctx.headerAction, rule.action)!, rule.id);
    if (chaos !== undefined) return forceAnswer(ctx, { status: chaos }, 'chaos');
    const action = composeActions(ctx.headerAction, rule?.action);
    if (!action) return undefined;
    if (rule) {
      markInjected(ctx, rule.id, injectedKindOf(action, r.kind));
      if (shapesTaskOnly(rule.action)) ctx.pendingRuleId = rule.id;
    }
    ctx.holdMs = maxDelay(action.delayMs);
    if (action.task && r.kind === 'generate') ctx.scenario = action.task;
    return undefined;
  };

  const rateLimit: Step = (ctx) => {
    const token = ctx.admission!.token;
    if (!token) return undefined;
    const headers = rateLimitHeaders(token.limit, token.remaining, token.resetSeconds);
    for (const name in headers) ctx.res.setHeader(name, headers[name]!);
    if (token.allowed) return undefined;
    markInjected(ctx, 'rate-limit', 'status');
    return refuse(ctx, errors.rateLimited(token.retryAfterSeconds, headers));
  };

  const validInput: Step = (ctx) => (ctx.held ? answerError(ctx, ctx.held) : undefined);

  const operation: Step = (ctx) => {
    const r = route(ctx);
    const { world, admission } = ctx;
    if (r.kind === 'status') {
      const task = admission!.task;
      if (!task) return answerError(ctx, errors.taskNotFound());
      const base = deps.baseUrl(ctx.req);
      if (r.answerCheck) {
        responder.json(ctx, 200, success(toTaskRecord(task, base, world!.id)), { check: r.answerCheck });
        return STOP;
      }
      responder.text(ctx, 200, taskBody(task, base, world!.id), JSON_TYPE);
      return STOP;
    }
    if (r.kind === 'generate') {
      const scenario = ctx.markers || ctx.scenario ? { ...ctx.markers, ...ctx.scenario } : {};
      let accepted;
      try {
        accepted = world!.simulator.accept(
          ctx.owner!,
          ctx.req.body as GenerateRequest,
          scenario,
          admission!.reserved!,
          admission!.now,
          ctx.pendingRuleId,
        );
      } catch (err) {
        return memoryRefusal(ctx, err);
      }
      const answer = (result: Awaited<typeof accepted>): StepResult => {
        if (!result.ok) {
          if (result.reason === 'unknown_account') return answerError(ctx, errors.invalidKey());
          ctx.refusedBalance = result.balance;
          return answerError(ctx, errors.insufficientCredits(result.required, result.balance));
        }
        ctx.accepted = { task: result.task, balance: result.balance };
        responder.json(ctx, 200, success({ task_id: result.task.id }), { check: r.answerCheck });
        return STOP;
      };
      return accepted instanceof Promise
        ? accepted.then(answer, (err: unknown) => memoryRefusal(ctx, err))
        : answer(accepted);
    }
    return refuse(ctx, errors.methodNotAllowed(ctx.req.method, r.path, r.allow));
  };

  const SIMULATOR_STEPS: readonly Step[] = [
    host,
    cors,
    faultHeaders,
    readBody,
    checkInput,
    requireKey,
    admit,
    knownKey,
    faults,
    rateLimit,
    validInput,
    operation,
  ];

  // ---- proxy and replay: the live API (or its recording) knows the keys and answers ----------------

  /** The key's world, as far as the simulator knows it (a key it does not know: the default world). */
  const world: Step = (ctx) =>
    tenancy.ofOwner(callerOf(ctx).owner).then((w) => {
      ctx.world = w;
      return undefined;
    });

  /** Rules and chaos act before the gateway: the simulator cannot authenticate the live API's keys. */
  const gatewayFaults: Step = async (ctx) => {
    const r = route(ctx);
    if (!r.kind) return undefined;
    const w = ctx.world!;
    const owner = callerOf(ctx).owner;
    const rule =
      forcesAnswer(ctx.headerAction) || w.view.rules === 0
        ? undefined
        : await w.qa.fireRule({
            method: ctx.req.method,
            path: r.path,
            owner,
            createsTask: r.kind === 'generate',
          });
    if (rule && forcesAnswer(rule.action))
      return forceAnswer(ctx, composeActions(ctx.headerAction, rule.action)!, rule.id);
    const chaos = await w.qa.chaos(options.chaos, w.view.spec.seed);
    if (chaos !== undefined) return forceAnswer(ctx, { status: chaos }, 'chaos');
    const action = composeActions(ctx.headerAction, rule?.action);
    if (rule && action) markInjected(ctx, rule.id, injectedKindOf(action, r.kind));
    if (action) ctx.holdMs = maxDelay(action.delayMs);
    return undefined;
  };

  const handlers = deps.gateway?.publicHandlers({ baseUrl: deps.baseUrl }) ?? [];
  /** The gateway's own handlers, as Express runs a chain: each may pass on, or fail. */
  const gateway: Step = (ctx) => {
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined) return fail(ctx, err);
      const handler = handlers[i++];
      if (!handler) return fail(ctx, new Error('the gateway passed a request on'));
      try {
        const result: unknown = handler(ctx.req, ctx.res, next);
        if (result instanceof Promise) result.catch(next);
      } catch (e) {
        next(e);
      }
    };
    next();
    return STOP;
  };

  const GATEWAY_STEPS: readonly Step[] = [host, cors, faultHeaders, world, gatewayFaults, gateway];
  const steps = deps.gateway ? GATEWAY_STEPS : SIMULATOR_STEPS;

  return (req, res, next) => {
    const ctx = res.locals.ctx;
    const byMethod = ctx && routes.get(ctx.path);
    if (!ctx || !byMethod) return next();
    const route = byMethod.get(req.method === 'HEAD' ? 'GET' : req.method) ?? byMethod.get('*')!;
    runSteps(steps, Object.assign(ctx, { route }), fail);
  };
}

type StepResult = typeof STOP | undefined;

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A finished task never changes (its stored object is replaced, never changed, and a terminal one is
 * not replaced again), and a client polls it at least once more: its answer's text is kept with it,
 * for the base URL and world it was rendered for.
 */
const finishedBodies = new WeakMap<Task, { base: string; world: string; text: string }>();

function taskBody(task: Task, base: string, world: string): string {
  const kept = finishedBodies.get(task);
  if (kept && kept.base === base && kept.world === world) return kept.text;
  const text = JSON.stringify(success(toTaskRecord(task, base, world)));
  if (isTerminal(task)) finishedBodies.set(task, { base, world, text });
  return text;
}

function injectedKindOf(action: FaultAction, kind: PublicKind | undefined): InjectedKind {
  return action.task && kind === 'generate' ? 'task' : 'delay';
}

/** The query string, parsed once as Express's `simple` parser does (flat strings). */
function queryOf(ctx: PublicContext): Record<string, string> {
  if (!ctx.query) {
    const url = ctx.req.url;
    const at = url.indexOf('?');
    ctx.query = (at === -1 ? {} : parseQueryString(url.slice(at + 1))) as Record<string, string>;
  }
  return ctx.query;
}

/** The task a status request names: in the query, or (POST) in the body; a 400 when it is missing or two differ. */
function statusTaskId(ctx: PublicContext, query: Record<string, string>): string | ApiError {
  const fromQuery = query.task_id;
  const fromBody =
    ctx.req.method === 'POST' ? (ctx.req.body as { task_id?: string } | undefined)?.task_id : undefined;
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    return errors.invalidRequest([
      { field: 'body.task_id', message: `differs from query.task_id (${fromQuery}); send one, or the same` },
    ]);
  }
  const taskId = fromQuery ?? fromBody;
  if (taskId === undefined) {
    return errors.invalidRequest([
      { field: 'query.task_id', message: 'is required (in the query string, or task_id in a JSON body)' },
    ]);
  }
  return taskId;
}

/** Every public path with its routes by method (`*`: a method the path does not have). */
function compileRoutes(deps: PublicApiDeps): Map<string, Map<string, PublicRoute>> {
  const { operations, options, validators } = deps;
  const byPath = new Map<string, Map<string, PublicRoute>>();
  const kinds: Record<string, PublicKind> = OPERATION_KINDS;
  const unknown = operations.filter((op) => !(op.operationId in kinds)).map((op) => op.operationId);
  const absent = Object.keys(kinds).filter((id) => !operations.some((op) => op.operationId === id));
  if (unknown.length > 0) throw new Error(`No handler for operations ${unknown.join(', ')}`);
  if (absent.length > 0) throw new Error(`Handlers without an operation in the spec: ${absent.join(', ')}`);
  const paths = [...new Set(operations.map((op) => op.path))];
  for (const path of paths) {
    if (path.includes('{'))
      throw new Error(`public path ${path} has parameters: the dispatcher matches exact paths`);
    const ops = operations.filter((op) => op.path === path);
    const methods = ops.map((op) => op.method.toUpperCase());
    const cors = publicCors(options.cors, methods);
    const allow = methods.join(', ');
    const routes = new Map<string, PublicRoute>();
    const base = {
      path,
      allow,
      cors,
      statuses: new Set<number>(),
      check: undefined,
      answerCheck: undefined,
      bucket: undefined,
      hasBody: false,
    };
    routes.set('*', { ...base, op: undefined, kind: undefined });
    for (const op of ops) {
      const kind = kinds[op.operationId]!;
      const limits = options.rateLimit === 'off' ? undefined : options.rateLimit[kind];
      const answerCheck = validators.responseCheck(op);
      routes.set(op.method.toUpperCase(), {
        ...base,
        op,
        kind,
        statuses: errorStatuses(op),
        check: validators.requestCheck(op),
        answerCheck: answerCheck && {
          check: answerCheck,
          describe: (status, problem) => responseBreaksSpec(op, status, problem),
        },
        bucket: limits && { limit: limits.limit, windowMs: limits.windowMs },
        hasBody: op.operation.requestBody !== undefined,
      });
    }
    byPath.set(path, routes);
  }
  return byPath;
}
