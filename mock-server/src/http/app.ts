/**
 * createApp(deps) builds the Express app from the specs and the simulator; it never listens, so
 * tests drive it with supertest and main.ts owns the process.
 */
import express, { type Express, type Request } from 'express';
import type { OpenAPIV3 } from 'openapi-types';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Simulator } from '../domain/simulator.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import { fileHandlers } from './handlers/files.js';
import { generationHandlers } from './handlers/generation.js';
import { specOperations } from './load-spec.js';
import { authenticate } from './middleware/auth.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { jsonBody } from './middleware/json-body.js';
import { specValidation } from './middleware/spec-validation.js';
import { mountOperations, routePaths } from './mount.js';

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
}

export interface AppDeps {
  simulator: Simulator;
  images: ImageRenderer;
  logger: Logger;
  apiSpec: OpenAPIV3.Document;
  controlSpec: OpenAPIV3.Document;
  options: AppOptions;
}

export function createApp(deps: AppDeps): Express {
  const { simulator, logger, options } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // status bodies change as tasks progress; clients poll, they do not revalidate
  app.set('query parser', 'simple'); // flat strings only: `task_id[x]=` is a 400, not an object

  if (options.logRequests) app.use(requestLogger(logger));

  const apiOperations = specOperations(deps.apiSpec);
  const controlOperations = specOperations(deps.controlSpec);

  // Authentication first, on every method of every API route: a bad key touches nothing, and gets
  // 401 even when its body is also bad.
  app.all(routePaths(apiOperations), authenticate(simulator));
  app.use(jsonBody(options.bodyLimit));
  app.use(specValidation(deps.apiSpec, { validateResponses: options.validateResponses }));
  app.use(specValidation(deps.controlSpec, { validateResponses: false }));

  const publicUrl =
    options.publicUrl?.replace(/\/+$/, '') ??
    ((req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  mountOperations(app, apiOperations, generationHandlers({ simulator, publicUrl }));
  mountOperations(
    app,
    controlOperations,
    fileHandlers({ simulator, images: deps.images, imageTtlMs: options.imageTtlMs }),
  );

  app.use(notFound([...apiOperations, ...controlOperations]));
  app.use(errorHandler(logger, options.bodyLimit));
  return app;
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
        url: req.url,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
