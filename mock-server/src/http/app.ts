/**
 * createApp(deps) builds the Express app from the specs and the simulator; it never listens, so
 * tests drive it with supertest and main.ts owns the process.
 */
import { chargeAnswer, fairShareGate, type FairShare } from './fair-share.js';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { OpenAPIV3 } from 'openapi-types';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { RateLimitConfig } from '../config.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import type { QaState } from '../qa/qa-state.js';
import { controlScope, isOperator } from './admin/control-scope.js';
import { requestContexts } from './after-answer.js';
import { Responder } from './answer.js';
import { contextOf } from './context.js';
import { JournalRecorder } from './journal-recorder.js';
import { publicApi } from './public/public-api.js';
import { controlHandlers } from './admin/control-handlers.js';
import { consoleHandlers } from './console/console-pages.js';
import { docsHandlers } from './docs/docs-pages.js';
import { SimulatorMetrics } from './metrics/metrics.js';
import { metricsHandlers } from './metrics/metrics-route.js';
import { fileHandlers } from './handlers/files.js';
import { specOperations } from './load-spec.js';
import { controlCors, publicCors } from './middleware/cors.js';
import { controlCrossSiteGuard } from './middleware/cross-site.js';
import { errorHandler, errorTranslator, notFound } from './middleware/error-handler.js';
import { hostAllowlist, listeningAuthority, wellFormedHost } from './middleware/host-allowlist.js';
import { jsonBody } from './middleware/json-body.js';
import { mountOperations, routePaths } from './mount.js';
import { requestRenderer, type RequestRenderer } from './request-rendering.js';
import type { SpecValidators } from './validation/spec-validators.js';
import { ruleStatusChecker } from '../qa/rule-checks.js';
import { TENANT_ID } from '../tenancy/key-namespace.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { DEFAULT_WORLD } from '../tenancy/world.js';
import { DriftSummaries } from '../drift/drift-summary.js';
import type { Gateway } from '../proxy/gateway.js';
import { deriveCatalogue } from '../verdict/catalogue.js';
import type { VerdictSettings } from '../verdict/settings.js';

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
  /** `--allowed-hosts`, normalised by config.ts (`*` serves any Host). */
  allowedHosts: readonly string[];
  /** `--cors`: of the public API and the image files. */
  cors: '*' | 'off' | readonly string[];
  /** `--control-cors`: origins whose pages may use /__mock. */
  controlCors: readonly string[];
  /** Whether anyone who can reach the control API may create a tenant, or only the operator. */
  openTenantCreation: boolean;
  /**
   * The verdict's settings (`--report`): each public request is observed and judged; undefined:
   * nothing is observed. The stores must be given the same (compose.ts).
   */
  report?: VerdictSettings | undefined;
}

export interface AppDeps {
  tenancy: Tenancy;
  qa: QaState;
  images: ImageRenderer;
  logger: Logger;
  apiSpec: OpenAPIV3.Document;
  controlSpec: OpenAPIV3.Document;
  /** Loaded from both documents' operations by `loadSpecValidators` (asynchronous, so not here). */
  validators: SpecValidators;
  options: AppOptions;
  /**
   * Proxy and replay modes (proxy/): what answers the public API instead of the simulator, after QA
   * fault injection. Absent: the simulator authenticates and answers itself.
   */
  gateway?: Gateway;
  /** What the gateway found departing from openapi.yaml, per world (GET /__mock/drift). */
  driftSummaries?: DriftSummaries;
  /** Each caller's share of a busy process's work (fair-share.ts); absent: none is refused. */
  fairShare?: FairShare;
}

export function createApp(deps: AppDeps): Express {
  const { tenancy, qa, logger, options } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // status bodies change as tasks progress; clients poll, they do not revalidate
  app.set('query parser', 'simple'); // flat strings only: `task_id[x]=` is a 400, not an object
  // One spelling per route: `/api/generate/` or `/API/Generate` is a 404, never a second way in that
  // fault injection, the journal's filters or the control token would not recognise.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  const apiOperations = specOperations(deps.apiSpec);
  const controlOperations = specOperations(deps.controlSpec);
  assertDistinctPaths(deps.apiSpec, deps.controlSpec);
  // Every log line and journal entry renders its request here, from what the specs say is safe.
  const render = requestRenderer([...apiOperations, ...controlOperations]);
  // The image files (not the pages under /docs, which only this origin needs).
  const fileOperations = controlOperations.filter((op) => op.operation.tags?.includes('files'));

  // The console, the reference page and the metrics (issue 14): one Registry per app, every world's
  // Store timed, every request counted; the console's page and files open like health (no data).
  const metrics = new SimulatorMetrics({
    worldStats: () => tenancy.worldStats(),
    memory: () => tenancy.memory(0),
  });
  tenancy.instrumentStores(metrics.timeStore);
  const driftSummaries = deps.driftSummaries ?? new DriftSummaries();
  driftSummaries.observe(metrics.driftHooks);
  const consolePaths = new Set(
    controlOperations
      .filter((op) => op.operationId === 'getConsole' || op.operationId === 'getConsoleAsset')
      .map((op) => op.expressPath),
  );
  const unlessConsolePage = (handler: RequestHandler): RequestHandler => {
    const isPage = (path: string) =>
      consolePaths.has(path) || consolePaths.has(path.replace(/\/[^/]*$/, '/:asset'));
    return (req, res, next) =>
      req.method === 'GET' && isPage(req.originalUrl.split('?', 1)[0]!) ? next() : handler(req, res, next);
  };

  // The one error exit and the one answer (answer.ts): the journal first, then the bytes.
  const translate = errorTranslator(logger, options.bodyLimit);
  const { gateway } = deps;
  // The verdict judges the simulator's own answers: in proxy and replay modes the live API (or its
  // recording) answers, whose tasks and plans the simulator does not know.
  const report = gateway ? undefined : options.report;
  const recorder = new JournalRecorder(tenancy, logger, qa.options.journalSize > 0, report !== undefined);
  const responder = new Responder(recorder, logger, translate, (id) => tenancy.exists(id));
  // Never an unchecked Host header (it could carry a path or another site): a well-formed one (the
  // allowlist has already refused names it does not serve), else the address the request came in on.
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const baseUrl = (req: Request) =>
    publicUrl ?? `${req.protocol}://${wellFormedHost(req) ?? listeningAuthority(req)}`;

  // ---- every request: its context (and the after-answer hook), then its log line ----------------
  app.use(
    requestContexts({
      render,
      recorder,
      respond: responder,
      afterAnswer: (ctx) => {
        metrics.count(ctx);
        if (deps.fairShare) chargeAnswer(deps.fairShare, ctx);
      },
    }),
  );
  // A busy process holds back a party past its share of the work, before its body is read.
  if (deps.fairShare) app.use(fairShareGate(deps.fairShare, tenancy));
  if (options.logRequests) app.use(requestLogger(logger, render));

  // ---- the public API: its own path, every step named in http/public/pipeline.ts -----------------
  app.use(
    publicApi({
      tenancy,
      responder,
      validators: deps.validators,
      operations: apiOperations,
      baseUrl,
      options: {
        faultHeaders: qa.options.faultHeaders,
        maxDelayMs: qa.options.maxDelayMs,
        chaos: qa.options.chaos,
        rateLimit: options.rateLimit,
        bodyLimit: options.bodyLimit,
        cors: options.cors,
        allowedHosts: options.allowedHosts,
      },
      ...(gateway ? { gateway } : {}),
    }),
  );

  // ---- everything else: the control API, the pages, the image files, unknown routes -------------
  //   pin the query        Express 5 parses `req.query` again on every read
  //   host                 403: a Host not served (DNS rebinding)
  //   cross-site           403: a page of another site driving /__mock
  //   CORS                 /__mock for --control-cors, the image files for --cors; preflights end here
  //   scope                who calls /__mock, and in which world (the control token, a tenant credential)
  //   world                the image files: the tenant their link names
  //   body                 JSON, bounded
  //   validation, handler  per operation of control-api.yaml (mount.ts)
  //   not found            404, or 405 with Allow
  //   error                the envelope (and, for a journaled request, the responder)
  app.use((req, _res, next) => {
    Object.defineProperty(req, 'query', {
      value: req.query,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    next();
  });
  app.use(hostAllowlist(options.allowedHosts));
  app.use('/__mock', unlessConsolePage(controlCrossSiteGuard(options.controlCors)));
  const controlCorsHandler = controlCors(options.controlCors);
  if (controlCorsHandler) app.use('/__mock', controlCorsHandler);
  for (const path of routePaths(fileOperations)) {
    const methods = fileOperations
      .filter((op) => op.expressPath === path)
      .map((op) => op.method.toUpperCase());
    const handler = publicCors(options.cors, methods);
    if (handler) app.all(path, notJournaledIfPreflight, handler);
  }
  app.use(
    '/__mock',
    unlessConsolePage(
      controlScope({ tenancy, token: options.controlToken, openTenantCreation: options.openTenantCreation }),
    ),
  );
  // An image link of a tenant's task names the tenant (task-record.ts).
  const filesPath = controlOperations.find((op) => op.operationId === 'getTaskImage')!.expressPath;
  app.get(filesPath, async (req, res, next) => {
    const tenant = req.query.tenant;
    const id = typeof tenant === 'string' && TENANT_ID.test(tenant) ? tenant : DEFAULT_WORLD;
    contextOf(res).world = await tenancy.worldById(id);
    next();
  });
  // A replay serves its recorded tasks' images itself (the simulator's own, at the recorded size).
  const replayFiles = gateway?.fileHandler?.(deps.images);
  if (replayFiles) app.get(filesPath, replayFiles);
  app.use(jsonBody(options.bodyLimit));
  mountOperations(
    app,
    controlOperations,
    {
      ...fileHandlers({ images: deps.images, imageTtlMs: options.imageTtlMs }),
      ...controlHandlers({
        tenancy,
        journalSize: qa.options.journalSize,
        healthComponents: { images: () => deps.images.encoderHealth(), store: () => tenancy.storeHealth() },
        version: options.version,
        controlAuthorized: (req) => isOperator(options.controlToken, req),
        baseUrl,
        ruleStatuses: ruleStatusChecker(apiOperations),
        drift: { summaries: driftSummaries, gateway: gateway?.info },
        onReset: (worldId) => gateway?.onReset(worldId),
        report: {
          settings: report,
          off: gateway
            ? `the simulator does not answer the public API itself in ${gateway.info.mode} mode, so it does not judge the client`
            : 'the simulator runs with --report off, so nothing was observed',
          catalogue: deriveCatalogue(apiOperations),
        },
        journalStream: {
          onOpen: () => metrics.journalStreams.inc(),
          onClose: () => metrics.journalStreams.dec(),
        },
        ...(qa.options.journalFollowers ? { journalFollowers: qa.options.journalFollowers } : {}),
      }),
      ...consoleHandlers({ tenancy, version: options.version }),
      ...docsHandlers({ tenancy, apiSpec: deps.apiSpec, controlSpec: deps.controlSpec, baseUrl }),
      ...metricsHandlers(metrics),
    },
    deps.validators,
  );

  app.use(notFound([...apiOperations, ...controlOperations], render, apiOperations));
  app.use(errorHandler(logger, options.bodyLimit, render, translate));
  return app;
}

/** A preflight is the browser asking, not a client: it is answered by CORS and never journaled. */
const notJournaledIfPreflight: RequestHandler = (req, res, next) => {
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined)
    contextOf(res).journaled = false;
  next();
};

/** A control path that shadowed a public one would take its requests past authentication. */
function assertDistinctPaths(api: OpenAPIV3.Document, control: OpenAPIV3.Document): void {
  const clash = Object.keys(control.paths).filter((path) => path in api.paths);
  if (clash.length > 0) throw new Error(`control-api.yaml redefines public paths: ${clash.join(', ')}`);
}

/** What forced this answer (QA, the rate limiter), if anything. */
function injectedOf(res: unknown): string | undefined {
  return (res as { locals?: { ctx?: { injected?: string } } }).locals?.ctx?.injected;
}

/**
 * One log line per request, with no header that could carry a secret. An injected answer (a QA header,
 * a fault rule, chaos, the rate limiter) is the simulator doing what it was asked: logged at info, with
 * what injected it, never as an error. pino-http gives the line of every 5xx an Error of its own
 * ("failed with status code 500", with a stack); it is dropped, as the error handler logs real errors
 * itself, with their real stack, and chaos at 5 % would otherwise write a stack trace per request.
 * The URL is rendered by request-rendering.ts, like every log line and journal entry.
 */
function requestLogger(logger: Logger, render: RequestRenderer) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    customLogLevel: (_req, res, err) =>
      injectedOf(res) === undefined && (err || res.statusCode >= 500) ? 'error' : 'info',
    customProps: (_req, res) => {
      const injected = injectedOf(res);
      return injected === undefined ? {} : { injected };
    },
    customErrorMessage: (_req, res) =>
      injectedOf(res) === undefined ? `request failed with status ${res.statusCode}` : 'request completed',
    customErrorObject: (_req, res, err, value: Record<string, unknown>) => {
      const synthetic = err.message === `failed with status code ${res.statusCode}`;
      if (!synthetic && injectedOf(res) === undefined) return value;
      const { err: _dropped, ...rest } = value;
      return rest;
    },
    serializers: {
      req: (req: {
        method: string;
        url: string;
        originalUrl?: string;
        headers: Record<string, string | undefined>;
        raw?: { originalUrl?: string; url: string };
      }) => {
        const { path, query } = render({
          method: req.method,
          url: req.url,
          originalUrl: req.raw?.originalUrl ?? req.originalUrl,
        });
        return {
          method: req.method,
          url: query ? `${path}?${query}` : path,
          userAgent: req.headers['user-agent'],
        };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
