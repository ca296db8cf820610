/**
 * Proxy and replay modes: each public API request, after the Host allowlist, CORS, the journal, the
 * world's resolution and QA fault injection (headers, rules, chaos: they still apply in front), goes
 * to the upstream (the live API, or a cassette) instead of being authenticated and handled here:
 *
 *  1. task-shaping QA headers and prompt markers are refused (400 naming them): they cannot shape a
 *     task the live API runs, and ignoring them silently would pass a test that shaped nothing;
 *  2. the local rate limit, only when `--rate-limit` was given (the live API's limits are the real ones);
 *  3. the request is checked against openapi.yaml (drift; with --proxy-strict a violation is 400);
 *  4. the credit guard (generate, with --proxy-max-credits): the price reserved atomically in the
 *     world's store, or 402 before anything is sent;
 *  5. the exchange; its answer checked against openapi.yaml, recorded (--record), and sent back
 *     unchanged: status, headers, body (with --proxy-strict an answer that breaks the spec is 502).
 *
 * Every answer the proxy makes itself carries `X-Mock-Injected` (credit-guard, proxy-strict,
 * proxy-timeout, proxy-unreachable, replay-miss, proxy), so it is never mistaken for the live API's.
 * Keys never leave the request: drift findings, the summary and the cassette pass through a redactor.
 */
import express, { type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { CREDIT_TABLE } from '../../../generated/credit-table.js';
import { presetOf, priceOf } from '../domain/pricing.js';
import type { GenerateRequest } from '../domain/wire-types.js';
import type { DriftSummaries } from '../drift/drift-summary.js';
import { formatDrift, type DriftFinding, type SpecDrift } from '../drift/spec-drift.js';
import { bearerToken, callerOf } from '../http/caller.js';
import { contextOf, markInjected, worldOf } from '../http/context.js';
import { ApiError, errors, sendError } from '../http/errors.js';
import { RAW_BODY, rawBodyOf } from '../http/middleware/json-body.js';
import { rateLimitHeaders } from '../http/public/forced-errors.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import { decodePromptMarkers } from '../qa/prompt-markers.js';
import type { CassetteRecorder } from '../cassette/recorder.js';
import { Redactor } from '../cassette/redaction.js';
import { CREDIT_BUDGET, TASK_SHAPING_HEADERS, type Gateway, type GatewayInfo } from './gateway.js';
import type { Upstream, UpstreamAnswer, UpstreamFailure, UpstreamRequest } from './upstream.js';

export interface GatewayOptions {
  upstream: Upstream;
  drift: SpecDrift;
  summaries: DriftSummaries;
  strict: boolean;
  /** The credit guard's limit; undefined: no guard. Only in proxy mode (a replay spends nothing). */
  maxCredits: number | undefined;
  recorder: CassetteRecorder | undefined;
  /** Off unless `--rate-limit` was given explicitly (config.ts). */
  rateLimit: RateLimitConfig | 'off';
  faultHeaders: boolean;
  bodyLimit: string;
  generatePath: string;
  /** A replay's image files, if it serves any. */
  fileHandler?: (images: ImageRenderer) => RequestHandler;
  /** Where a cassette that cannot be written is reported (the answer still goes back). */
  logger?: Pick<Logger, 'error'>;
}

/** Headers that describe the connection or the body's framing: the answer is re-framed here. */
const NOT_RETURNED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

/** The most a generate can cost: the price reserved when the body does not say which preset it is. */
const HIGHEST_PRICE = Math.max(...Object.values(CREDIT_TABLE));

/** The price of a generate's body by the spec's table (the highest when the body cannot be read). */
export function priceOfBody(body: Buffer | undefined): number {
  let parsed: unknown;
  try {
    parsed = body === undefined ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    return HIGHEST_PRICE;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return HIGHEST_PRICE;
  const { quality, imageUrls, numImages } = parsed as Record<string, unknown>;
  return priceOf(
    presetOf({
      quality: quality === 'high' ? 'high' : 'basic',
      imageUrls: Array.isArray(imageUrls) ? (imageUrls as string[]) : [],
      ...(numImages === 4 ? { numImages: 4 } : {}),
    } as GenerateRequest),
  );
}

function refuse(res: Response, label: string, error: ApiError): void {
  markInjected(contextOf(res), label, 'status');
  sendError(res, error);
}

function failureError(failure: UpstreamFailure, mode: 'proxy' | 'replay'): ApiError {
  const recorded = mode === 'replay' ? ' (as recorded)' : '';
  return failure.kind === 'timeout'
    ? new ApiError(504, `Gateway timeout: ${failure.message}${recorded}`, { type: 'gateway_timeout' })
    : new ApiError(502, `Bad gateway: ${failure.message}${recorded}`, { type: 'bad_gateway' });
}

function failureLabel(failure: UpstreamFailure): string {
  return failure.kind === 'timeout' ? 'proxy-timeout' : 'proxy-unreachable';
}

/** The answer as the drift checker reads it. */
function observed(answer: UpstreamAnswer) {
  const header = (name: string) => {
    const lower = name.toLowerCase();
    const values = answer.headers.filter(([n]) => n === lower).map(([, v]) => v);
    return values.length === 0 ? undefined : values.join(', ');
  };
  let json: unknown;
  let isJson = false;
  if (/json/i.test(header('content-type') ?? '') && answer.body.length > 0) {
    try {
      json = JSON.parse(answer.body.toString('utf8'));
      isJson = true;
    } catch {
      // isJson stays false: the checker says so.
    }
  }
  return { status: answer.status, header, json, isJson };
}

function sendAnswer(res: Response, answer: UpstreamAnswer): void {
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of answer.headers) {
    if (NOT_RETURNED.has(name)) continue;
    (grouped[name] ??= []).push(value);
  }
  const ctx = contextOf(res);
  ctx.respond.raw(ctx, answer.status, grouped, answer.body);
}

export function createGateway(options: GatewayOptions): Gateway {
  const { upstream, drift, summaries, strict, recorder } = options;
  const mode = upstream.mode;
  const info: GatewayInfo = {
    mode,
    target: upstream.target,
    strict,
    maxCredits: mode === 'proxy' ? options.maxCredits : undefined,
  };
  const source = mode === 'proxy' ? "The live API's answer" : 'The recorded answer';
  /** A cassette that cannot be written (a full disk) is reported, and the client still gets its answer. */
  const record = (...args: Parameters<CassetteRecorder['record']>) => {
    try {
      recorder?.record(...args);
    } catch (error) {
      options.logger?.error({ err: error, file: recorder?.file }, 'could not write the cassette');
    }
  };

  /** 1. Task-shaping headers, before anything is read or sent. */
  const taskShapingGuard: RequestHandler = (req, res, next) => {
    if (!options.faultHeaders || req.method !== 'POST' || req.path !== options.generatePath) return next();
    const sent = TASK_SHAPING_HEADERS.filter((h) => req.headers[h] !== undefined);
    if (sent.length === 0) return next();
    refuse(
      res,
      'proxy',
      errors.invalidRequest(
        sent.map((h) => ({
          field: `header.${h}`,
          message: `cannot shape a task in ${mode} mode: the ${mode === 'proxy' ? 'live API runs' : 'cassette recorded'} it; remove the header (faults such as X-Mock-Status still apply)`,
        })),
      ),
    );
  };

  /** 2. The local limiter, per key digest (the key is not authenticated here: the live API does that). */
  const limits = options.rateLimit;
  const localRateLimit: RequestHandler = async (req, res, next) => {
    const { owner } = callerOf(contextOf(res));
    if (limits === 'off' || owner === undefined) return next();
    const bucket = req.path === options.generatePath ? 'generate' : 'status';
    const { limit, windowMs } = limits[bucket];
    const world = worldOf(res);
    const verdict = await world.qa.takeToken(
      `${bucket}:${owner}`,
      world.simulator.clock.now(),
      limit,
      windowMs,
    );
    const headers = rateLimitHeaders(verdict.limit, verdict.remaining, verdict.resetSeconds);
    res.set(headers);
    if (verdict.allowed) return next();
    refuse(res, 'rate-limit', errors.rateLimited(verdict.retryAfterSeconds, headers));
  };

  const rawBody = express.raw({
    type: () => true,
    limit: options.bodyLimit,
    verify: (req, _res, buf) => {
      (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = buf;
    },
  });
  const readBody: RequestHandler = (req, res, next) =>
    req.method === 'GET' || req.method === 'HEAD' ? next() : rawBody(req, res, next);

  const publicHandlers: Gateway['publicHandlers'] = ({ baseUrl }) => [
    taskShapingGuard,
    localRateLimit,
    readBody,
    async (req, res) => {
      const world = worldOf(res);
      const key = bearerToken(req);
      const redactor = new Redactor(key);
      const url = originPath(req.originalUrl);
      const queryAt = url.indexOf('?');
      const body = rawBodyOf(req);
      const isGenerate = req.method === 'POST' && req.path === options.generatePath;
      const request: UpstreamRequest = {
        method: req.method,
        url,
        path: req.path,
        search: queryAt < 0 ? '' : url.slice(queryAt + 1),
        headers: req.headers,
        body,
        key,
      };

      if (options.faultHeaders && isGenerate && body !== undefined) {
        const problems = markerProblems(body, mode);
        if (problems.length > 0) return refuse(res, 'proxy', errors.invalidRequest(problems));
      }

      const requestFindings = drift.checkRequest({
        method: req.method,
        path: req.path,
        query: req.query as Record<string, unknown>,
        headers: req.headers,
        body,
      });
      const note = (status: number, findings: DriftFinding[]) => {
        const clean = findings.map((f) => ({
          ...f,
          where: redactor.redact(f.where),
          message: redactor.redact(f.message),
        }));
        if (clean.length > 0) contextOf(res).drift = clean;
        summaries.record(world.id, {
          at: world.simulator.clock.now(),
          method: req.method,
          path: req.path,
          status,
          findings: clean,
        });
        return clean;
      };

      if (strict && requestFindings.length > 0) {
        const clean = note(400, requestFindings);
        return refuse(
          res,
          'proxy-strict',
          errors.invalidRequest(
            clean.map((f) => ({ field: f.where, message: `${f.message} (openapi.yaml ${f.pointer})` })),
          ),
        );
      }

      // 4. The credit guard: reserved before anything is sent, released when the request was not taken.
      let reserved = 0;
      if (info.maxCredits !== undefined && isGenerate) {
        const price = priceOfBody(body);
        const reservation = await world.qa.reserveBudget(CREDIT_BUDGET, price, info.maxCredits);
        if (!reservation.reserved) {
          note(402, requestFindings);
          const left = Math.max(0, info.maxCredits - reservation.total);
          return refuse(
            res,
            'credit-guard',
            new ApiError(
              402,
              `Credit guard: this generate costs ${price} credits and ${reservation.total} of --proxy-max-credits ` +
                `${info.maxCredits} have been forwarded through this proxy (${left} left), so it was not sent to the live API`,
              { type: 'insufficient_credits', required_credits: price, balance: left },
            ),
          );
        }
        reserved = price;
      }

      const timing = recorder?.begin();
      let result;
      try {
        result = await upstream.exchange(request, {
          worldId: world.id,
          store: world.qa,
          now: world.simulator.clock.now(),
          baseUrl: baseUrl(req),
        });
      } catch (error) {
        if (reserved > 0) await world.qa.releaseBudget(CREDIT_BUDGET, reserved);
        throw error;
      }
      // A 4xx was refused before any charge; nothing connected, nothing sent. Anything else (a 200, a
      // 5xx, a timeout, a broken connection) may have been charged, and stays counted.
      const notTaken =
        (result.kind === 'answer' && result.answer.status >= 400 && result.answer.status < 500) ||
        (result.kind === 'failure' && !result.failure.mayHaveArrived) ||
        result.kind === 'miss';
      if (reserved > 0 && notTaken) await world.qa.releaseBudget(CREDIT_BUDGET, reserved);

      if (result.kind === 'miss') {
        note(404, requestFindings);
        return refuse(
          res,
          'replay-miss',
          new ApiError(404, redactor.redact(result.message), { type: 'not_found' }),
        );
      }
      if (result.kind === 'failure') {
        if (timing) record(timing, request, { failure: result.failure });
        note(0, requestFindings);
        return refuse(res, failureLabel(result.failure), failureError(result.failure, mode));
      }

      const { answer } = result;
      const template = drift.templateOf(req.path);
      const isOperation = !requestFindings.some((f) => f.kind === 'operation');
      const responseFindings =
        template !== undefined && isOperation
          ? drift.checkResponse(req.method, template, observed(answer))
          : [];
      const clean = note(answer.status, [...requestFindings, ...responseFindings]);
      if (timing) record(timing, request, { answer });
      if (strict && responseFindings.length > 0) {
        const violations = clean.filter((f) => f.side === 'response');
        const shown = violations.slice(0, 3).map(formatDrift).join('; ');
        const more = violations.length > 3 ? ` (and ${violations.length - 3} more: GET /__mock/drift)` : '';
        return refuse(
          res,
          'proxy-strict',
          new ApiError(
            502,
            `${source} (${answer.status}) breaks openapi.yaml, so --proxy-strict did not pass it on: ${shown}${more}`,
            { type: 'bad_gateway' },
          ),
        );
      }
      sendAnswer(res, answer);
    },
  ];

  return {
    info,
    publicHandlers,
    ...(options.fileHandler ? { fileHandler: options.fileHandler } : {}),
    onReset(worldId) {
      summaries.clear(worldId);
      upstream.onReset?.(worldId);
    },
  };
}

/**
 * The path and query a request line names, as they go to the live API. A request line may be a whole
 * URL (absolute form, as clients of an HTTP proxy send it): only its path and query are kept, so the
 * target is always the configured one.
 */
function originPath(requestTarget: string): string {
  if (requestTarget.startsWith('/')) return requestTarget;
  try {
    const { pathname, search } = new URL(requestTarget);
    return `${pathname}${search}`;
  } catch {
    return '/';
  }
}

/** Prompt markers (`[mock:outcome=failed]`) in a generate's body: refused, as the headers are. */
function markerProblems(body: Buffer, mode: 'proxy' | 'replay') {
  let prompt: unknown;
  try {
    prompt = (JSON.parse(body.toString('utf8')) as { prompt?: unknown } | null)?.prompt;
  } catch {
    return [];
  }
  if (typeof prompt !== 'string' || !prompt.includes('[mock:')) return [];
  const decoded = decodePromptMarkers(prompt);
  if (!decoded.scenario && decoded.problems.length === 0) return [];
  return [
    {
      field: 'body.prompt',
      message: `prompt markers ([mock:...]) cannot shape a task in ${mode} mode; remove them, or start with --fault-headers off to send them as part of the prompt`,
    },
  ];
}
