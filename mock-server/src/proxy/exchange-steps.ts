/**
 * The steps of a proxy or replay exchange (their order is EXCHANGE, in exchange.ts). Each reads and
 * adds to the exchange's context, and returns a Refusal (the proxy answers itself, marked
 * X-Mock-Injected, and the exchange ends) or nothing (the next step runs).
 */
import type { Request, RequestHandler, Response } from 'express';
import { CREDIT_TABLE } from '../../../generated/credit-table.js';
import { presetOf, priceOf } from '../domain/pricing.js';
import type { GenerateRequest } from '../domain/wire-types.js';
import { formatDrift, type DriftFinding } from '../drift/spec-drift.js';
import { errors, type ApiError } from '../http/errors.js';
import { callerOf } from '../http/caller.js';
import { contextOf } from '../http/context.js';
import { rateLimitHeaders } from '../http/public/forced-errors.js';
import { rawBodyOf } from '../http/middleware/json-body.js';
import { decodePromptMarkers } from '../qa/prompt-markers.js';
import { NO_SNIFF, foreignContent, passedHeaders } from './answer-policy.js';
import type { ExchangeContext, Refusal } from './exchange-context.js';
import { CREDIT_BUDGET, TASK_SHAPING_HEADERS } from './gateway.js';
import type { UpstreamAnswer, UpstreamFailure } from './upstream.js';

/** First, so every answer of the gateway carries it: its own, the limiter's, the live API's, an error's. */
export function markNoSniff({ res }: ExchangeContext): undefined {
  res.setHeader(NO_SNIFF.name, NO_SNIFF.value);
  return undefined;
}

/** Task-shaping headers, before anything is read or sent. */
export function refuseTaskShapingHeaders({ gateway, req, isGenerate }: ExchangeContext): Refusal | undefined {
  if (!gateway.faultHeaders || !isGenerate) return undefined;
  const sent = TASK_SHAPING_HEADERS.filter((h) => req.headers[h] !== undefined);
  if (sent.length === 0) return undefined;
  const { mode } = gateway;
  return {
    label: 'proxy',
    error: errors.invalidRequest(
      sent.map((h) => ({
        field: `header.${h}`,
        message: `cannot shape a task in ${mode} mode: the ${mode === 'proxy' ? 'live API runs' : 'cassette recorded'} it; remove the header (faults such as X-Mock-Status still apply)`,
      })),
    ),
  };
}

/** The local limiter, per key digest (the key is not authenticated here: the live API does that). */
export async function limitLocally({
  gateway,
  req,
  res,
  world,
}: ExchangeContext): Promise<Refusal | undefined> {
  const { owner } = callerOf(contextOf(res));
  const limits = gateway.rateLimit;
  if (limits === 'off' || owner === undefined) return undefined;
  const bucket = req.path === gateway.generatePath ? 'generate' : 'status';
  const { limit, windowMs } = limits[bucket];
  const verdict = await world.qa.takeToken(
    `${bucket}:${owner}`,
    world.simulator.clock.now(),
    limit,
    windowMs,
  );
  const headers = rateLimitHeaders(verdict.limit, verdict.remaining, verdict.resetSeconds);
  res.set(headers);
  if (verdict.allowed) return undefined;
  return { label: 'rate-limit', error: errors.rateLimited(verdict.retryAfterSeconds, headers) };
}

/** The body's bytes, as sent (a GET or HEAD has none). */
export async function readBody(ctx: ExchangeContext): Promise<undefined> {
  const { req, res, gateway } = ctx;
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  await throughMiddleware(gateway.rawBody, req, res);
  ctx.request.body = rawBodyOf(req);
  return undefined;
}

/** Prompt markers (`[mock:outcome=failed]`) in a generate's body: refused, as the headers are. */
export function refuseTaskShapingMarkers({
  gateway,
  isGenerate,
  request,
}: ExchangeContext): Refusal | undefined {
  if (!gateway.faultHeaders || !isGenerate || request.body === undefined) return undefined;
  const problems = markerProblems(request.body, gateway.mode);
  return problems.length > 0 ? { label: 'proxy', error: errors.invalidRequest(problems) } : undefined;
}

export function checkRequestDrift(ctx: ExchangeContext): Refusal | undefined {
  const { gateway, req, request } = ctx;
  ctx.findings = gateway.drift.checkRequest({
    method: req.method,
    path: req.path,
    query: req.query as Record<string, unknown>,
    headers: req.headers,
    body: request.body,
  });
  if (!gateway.strict || ctx.findings.length === 0) return undefined;
  const clean = noteDrift(ctx, 400);
  return {
    label: 'proxy-strict',
    error: errors.invalidRequest(
      clean.map((f) => ({ field: f.where, message: `${f.message} (openapi.yaml ${f.pointer})` })),
    ),
  };
}

/** The credit guard: reserved before anything is sent, given back (settleCredits) when the request was not taken. */
export async function reserveCredits(ctx: ExchangeContext): Promise<Refusal | undefined> {
  const { gateway, world, request } = ctx;
  const limit = gateway.info.maxCredits;
  if (limit === undefined || !ctx.isGenerate) return undefined;
  const price = priceOfBody(request.body);
  const reservation = await world.qa.reserveBudget(CREDIT_BUDGET, price, limit);
  if (!reservation.reserved) {
    noteDrift(ctx, 402);
    return { label: 'credit-guard', error: errors.creditGuard(price, reservation.total, limit) };
  }
  ctx.reserved = price;
  return undefined;
}

export async function forward(ctx: ExchangeContext): Promise<undefined> {
  const { gateway, world, req } = ctx;
  ctx.timing = gateway.recorder?.begin();
  try {
    ctx.result = await gateway.upstream.exchange(ctx.request, {
      worldId: world.id,
      store: world.qa,
      now: world.simulator.clock.now(),
      baseUrl: gateway.baseUrl(req),
    });
  } catch (error) {
    if (ctx.reserved > 0) await world.qa.releaseBudget(CREDIT_BUDGET, ctx.reserved);
    throw error;
  }
  return undefined;
}

/**
 * A 4xx was refused before any charge; nothing connected, nothing sent: the reservation is given back.
 * Anything else (a 200, a 5xx, a timeout, a broken connection) may have been charged, and stays counted.
 */
export async function settleCredits({ world, reserved, result }: ExchangeContext): Promise<undefined> {
  const notTaken =
    (result?.kind === 'answer' && result.answer.status >= 400 && result.answer.status < 500) ||
    (result?.kind === 'failure' && !result.failure.mayHaveArrived) ||
    result?.kind === 'miss';
  if (reserved > 0 && notTaken) await world.qa.releaseBudget(CREDIT_BUDGET, reserved);
  return undefined;
}

/** The cassette (--record): an answer, or the failure that stood for one. Written before the answer goes back. */
export function record({ gateway, timing, request, result }: ExchangeContext): undefined {
  if (!timing || !result || result.kind === 'miss') return undefined;
  // A cassette that cannot be written (a full disk) is reported, and the client still gets its answer.
  try {
    gateway.recorder?.record(
      timing,
      request,
      result.kind === 'answer' ? { answer: result.answer } : { failure: result.failure },
    );
  } catch (error) {
    gateway.logger?.error({ err: error, file: gateway.recorder?.file }, 'could not write the cassette');
  }
  return undefined;
}

/** No answer: the cassette has none for this request (404), or the live API gave none (504, 502). */
export function refuseWithoutAnswer(ctx: ExchangeContext): Refusal | undefined {
  const { result, redactor, gateway } = ctx;
  if (result?.kind === 'miss') {
    noteDrift(ctx, 404);
    return { label: 'replay-miss', error: errors.replayMiss(redactor.redact(result.message)) };
  }
  if (result?.kind === 'failure') {
    noteDrift(ctx, 0);
    return { label: failureLabel(result.failure), error: failureError(result.failure, gateway.mode) };
  }
  return undefined;
}

/**
 * The answer against openapi.yaml: drift noted. An answer that is no API answer at all (not JSON:
 * answer-policy.ts) is never passed on; with --proxy-strict, neither is one that breaks the spec.
 */
export function checkAnswer(ctx: ExchangeContext): Refusal | undefined {
  const { gateway, req } = ctx;
  const answer = answerOf(ctx);
  const seen = observed(answer);
  const template = gateway.drift.templateOf(req.path);
  const isOperation = !ctx.findings.some((f) => f.kind === 'operation');
  const responseFindings =
    template !== undefined && isOperation ? gateway.drift.checkResponse(req.method, template, seen) : [];
  const foreign = foreignContent({
    contentType: seen.header('content-type'),
    bodyLength: answer.body.length,
    isJson: seen.isJson,
  });
  const what = foreign && `${gateway.source} (${answer.status}) ${foreign.what}`;
  // Once per place: the checker may have found it already (a content type the status does not list).
  if (foreign && !responseFindings.some((f) => f.kind === foreign.kind && f.where === foreign.where)) {
    responseFindings.push(
      gateway.drift.foreignContent(req.method, template, answer.status, {
        kind: foreign.kind,
        where: foreign.where,
        message: `${foreign.what}: refused, never served in the simulator's origin`,
      }),
    );
  }
  ctx.findings = [...ctx.findings, ...responseFindings];
  const clean = noteDrift(ctx, answer.status);
  if (what)
    return {
      label: 'proxy-refused',
      error: errors.answerNotPassedOn(
        `${what}, so it was not passed on: the API answers JSON, and nothing else is served in the ` +
          "simulator's origin (drift: GET /__mock/drift)",
      ),
    };
  if (!gateway.strict || responseFindings.length === 0) return undefined;
  const violations = clean.filter((f) => f.side === 'response');
  const shown = violations.slice(0, 3).map(formatDrift).join('; ');
  const more = violations.length > 3 ? ` (and ${violations.length - 3} more: GET /__mock/drift)` : '';
  return {
    label: 'proxy-strict',
    error: errors.answerNotPassedOn(
      `${gateway.source} (${answer.status}) breaks openapi.yaml, so --proxy-strict did not pass it on: ${shown}${more}`,
    ),
  };
}

/**
 * The answer as the API could have sent it: its status, its allowed headers, its body re-framed,
 * through the request's responder (the journal keeps it first).
 */
export function send(ctx: ExchangeContext): undefined {
  const answer = answerOf(ctx);
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of passedHeaders(answer.headers)) (grouped[name] ??= []).push(value);
  const request = contextOf(ctx.res);
  request.respond.raw(request, answer.status, grouped, answer.body);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// What the steps share

/** The answer the upstream gave (the steps after refuseWithoutAnswer run only when there is one). */
function answerOf({ result }: ExchangeContext): UpstreamAnswer {
  if (result?.kind !== 'answer') throw new Error('exchange: a step that needs an answer ran without one');
  return result.answer;
}

/** The exchange's findings, redacted, written to its journal entry and counted in the world's summary. */
function noteDrift(ctx: ExchangeContext, status: number): DriftFinding[] {
  const { res, req, world, redactor, gateway } = ctx;
  const clean = ctx.findings.map((f) => ({
    ...f,
    where: redactor.redact(f.where),
    message: redactor.redact(f.message),
  }));
  if (clean.length > 0) contextOf(res).drift = clean;
  gateway.summaries.record(world.id, {
    at: world.simulator.clock.now(),
    method: req.method,
    path: req.path,
    status,
    findings: clean,
  });
  return clean;
}

/** Runs an Express middleware as a step does: resolved when it calls next(), rejected with its error. */
function throughMiddleware(handler: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (error?: unknown) => (error ? reject(error) : resolve());
    Promise.resolve(handler(req, res, next)).catch(reject);
  });
}

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

function failureError(failure: UpstreamFailure, mode: 'proxy' | 'replay'): ApiError {
  const recorded = mode === 'replay' ? ' (as recorded)' : '';
  return failure.kind === 'timeout'
    ? errors.gatewayTimeout(`${failure.message}${recorded}`)
    : errors.badGateway(`${failure.message}${recorded}`);
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

/** Prompt markers that would shape a task: a problem for refuseTaskShapingMarkers to name. */
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
