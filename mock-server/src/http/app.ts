/**
 * createApp(deps) builds the Express app from the specs and the simulator; it never listens, so
 * tests drive it with supertest and main.ts owns the process.
 */
import express, { type Express, type Request } from 'express';
import type { OpenAPIV3 } from 'openapi-types';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { RateLimitConfig } from '../config.js';
import type { Simulator } from '../domain/simulator.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import type { QaState } from '../qa/qa-state.js';
import { redactUrl } from '../qa/journal.js';
import { controlAuth } from './admin/control-auth.js';
import { controlHandlers } from './admin/control-handlers.js';
import { fileHandlers } from './handlers/files.js';
import { generationHandlers } from './handlers/generation.js';
import { specOperations } from './load-spec.js';
import { authenticate } from './middleware/auth.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { faultInjection, ruleStatusChecker } from './middleware/fault-injection.js';
import { journalRequests } from './middleware/journal.js';
import { rateLimit } from './middleware/rate-limit.js';
import { jsonBody } from './middleware/json-body.js';
import { taskScenarioHooks } from './middleware/task-scenario.js';
import { mountOperations, routePaths } from './mount.js';
import type { SpecValidators } from './validation/spec-validators.js';

export interface AppOptions {
  /** Body size limit, in body-parser's notation ("64kb"). */
  bodyLimit: string;
  /** Fixed base URL for image links; when absent, the address the client used. */
  publicUrl?: string;
  /** Validate every response against the spec (tests; optional at run time). */
  validateResponses: boolean;
  imageTtlMs: number;
  /** Log one line per request (off in load tests). */
  logRequests: boolean;
  /** Required on /__mock when set. */
  controlToken: string | undefined;
  /** For the X-RateLimit-* headers of a forced 429. */
  rateLimit: RateLimitConfig | 'off';
  version: string;
  seed: string;
}

export interface AppDeps {
  simulator: Simulator;
  qa: QaState;
  images: ImageRenderer;
  logger: Logger;
  apiSpec: OpenAPIV3.Document;
  controlSpec: OpenAPIV3.Document;
  /** Loaded from both documents' operations by `loadSpecValidators` (asynchronous, so not here). */
  validators: SpecValidators;
  options: AppOptions;
}

export function createApp(deps: AppDeps): Express {
  const { simulator, qa, logger, options } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // status bodies change as tasks progress; clients poll, they do not revalidate
  app.set('query parser', 'simple'); // flat strings only: `task_id[x]=` is a 400, not an object
  // One spelling per route: `/api/generate/` or `/API/Generate` is a 404, never a second way in that
  // fault injection, the journal's filters or the control token would not recognise.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  if (options.logRequests) app.use(requestLogger(logger));
  app.use(journalRequests(qa.journal, simulator.clock));

  const apiOperations = specOperations(deps.apiSpec);
  const controlOperations = specOperations(deps.controlSpec);
  const apiPaths = routePaths(apiOperations);
  const generatePath = apiOperations.find((op) => op.operationId === 'createGenerationTask')!.expressPath;
  const statusPath = apiOperations.find((op) => op.operationId === 'getTaskStatus')!.expressPath;

  // QA faults before authentication (a forced 500 needs no valid key); then authentication on
  // every method of every API route (a bad key touches nothing, and gets 401 even when its body is
  // also bad); then the per-key rate limit.
  app.all(
    apiPaths,
    faultInjection({
      qa,
      operations: apiOperations,
      bodyLimit: options.bodyLimit,
      rateLimit: options.rateLimit,
    }),
  );
  app.all(apiPaths, authenticate(simulator));
  app.all(generatePath, rateLimit(qa, simulator.clock, 'generate'));
  app.all(statusPath, rateLimit(qa, simulator.clock, 'status'));
  app.use('/__mock', controlAuth(options.controlToken));
  app.use(jsonBody(options.bodyLimit));
  assertDistinctPaths(deps.apiSpec, deps.controlSpec);
  // Each operation's validators run on its own route, after the router has picked it.
  const { validators } = deps;

  const publicUrl =
    options.publicUrl?.replace(/\/+$/, '') ??
    ((req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  const baseUrl = (req: Request) => (typeof publicUrl === 'string' ? publicUrl : publicUrl(req));
  mountOperations(
    app,
    apiOperations,
    generationHandlers({ simulator, publicUrl, ...taskScenarioHooks(qa) }),
    validators,
  );
  mountOperations(
    app,
    controlOperations,
    {
      ...fileHandlers({ simulator, images: deps.images, imageTtlMs: options.imageTtlMs }),
      ...controlHandlers({
        simulator,
        qa,
        healthComponents: { images: () => deps.images.encoderHealth() },
        version: options.version,
        seed: options.seed,
        baseUrl,
        ruleStatuses: ruleStatusChecker(apiOperations),
      }),
    },
    validators,
  );

  app.use(notFound([...apiOperations, ...controlOperations]));
  app.use(errorHandler(logger, options.bodyLimit));
  return app;
}

/** A control path that shadowed a public one would take its requests past authentication. */
function assertDistinctPaths(api: OpenAPIV3.Document, control: OpenAPIV3.Document): void {
  const clash = Object.keys(control.paths).filter((path) => path in api.paths);
  if (clash.length > 0) throw new Error(`control-api.yaml redefines public paths: ${clash.join(', ')}`);
}

/** One log line per request, with no header that could carry a secret. */
function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { method: string; url: string; headers: Record<string, string | undefined> }) => ({
        method: req.method,
        url: redactUrl(req.url),
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
