/**
 * Proxy and replay modes: each public API request, after the Host allowlist, CORS, the journal, the
 * world's resolution and QA fault injection (headers, rules, chaos: they still apply in front), goes
 * to the upstream (the live API, or a cassette) instead of being authenticated and handled here.
 *
 * The exchange is a list of named steps (EXCHANGE, below; their code in exchange-steps.ts), each
 * reading and adding to one ExchangeContext and returning a refusal (the proxy answers itself, and
 * the exchange ends) or nothing (the next step runs):
 *
 *  0. markNoSniff: every answer of the gateway carries `X-Content-Type-Options: nosniff`;
 *  1. refuseTaskShapingHeaders, refuseTaskShapingMarkers: task-shaping QA headers and prompt markers
 *     are refused (400 naming them): they cannot shape a task the live API runs, and ignoring them
 *     silently would pass a test that shaped nothing;
 *  2. limitLocally: the local rate limit, only when `--rate-limit` was given (the live API's limits
 *     are the real ones); readBody;
 *  3. checkRequestDrift: the request checked against openapi.yaml (with --proxy-strict a violation is
 *     400);
 *  4. reserveCredits: the credit guard (generate, with --proxy-max-credits): the price reserved
 *     atomically in the world's store, or 402 before anything is sent;
 *  5. forward, settleCredits, record, refuseWithoutAnswer: the exchange; the reservation given back
 *     when the request was not taken; the cassette written (--record); no answer is 504 or 502;
 *  6. checkAnswer, send: the answer checked against openapi.yaml; one that is not JSON is refused as
 *     drift (502: nothing but what the API answers is served in the simulator's origin,
 *     answer-policy.ts); with --proxy-strict an answer that breaks the spec is 502; else it is sent
 *     back: status, the allowed headers, body.
 *
 * Every answer the proxy makes itself carries `X-Mock-Injected` (credit-guard, proxy-strict,
 * proxy-refused, proxy-timeout, proxy-unreachable, replay-miss, proxy), so it is never mistaken for
 * the live API's. Keys never leave the request: drift findings, the summary and the cassette pass through a redactor.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { bearerToken } from '../http/caller.js';
import { contextOf as requestContextOf, markInjected, worldOf } from '../http/context.js';
import { sendError } from '../http/errors.js';
import { RAW_BODY } from '../http/middleware/json-body.js';
import { Redactor } from '../cassette/redaction.js';
import {
  checkAnswer,
  checkRequestDrift,
  forward,
  limitLocally,
  markNoSniff,
  readBody,
  record,
  refuseTaskShapingHeaders,
  refuseTaskShapingMarkers,
  refuseWithoutAnswer,
  reserveCredits,
  send,
  settleCredits,
} from './exchange-steps.js';
import type { Gateway, GatewayInfo } from './gateway.js';

import type { ExchangeContext, GatewayOptions, GatewaySettings, Refusal } from './exchange-context.js';

export type { ExchangeContext, GatewayOptions, GatewaySettings, Refusal };

type ExchangeStep = (ctx: ExchangeContext) => Refusal | undefined | Promise<Refusal | undefined>;

/** The exchange, in order: each step runs unless one before it refused. */
const EXCHANGE: readonly ExchangeStep[] = [
  markNoSniff,
  refuseTaskShapingHeaders,
  limitLocally,
  readBody,
  refuseTaskShapingMarkers,
  checkRequestDrift,
  reserveCredits,
  forward,
  settleCredits,
  record,
  refuseWithoutAnswer,
  checkAnswer,
  send,
];

export function createGateway(options: GatewayOptions): Gateway {
  const mode = options.upstream.mode;
  const info: GatewayInfo = {
    mode,
    target: options.upstream.target,
    strict: options.strict,
    maxCredits: mode === 'proxy' ? options.maxCredits : undefined,
  };
  const settings: Omit<GatewaySettings, 'baseUrl'> = {
    ...options,
    mode,
    info,
    source: mode === 'proxy' ? "The live API's answer" : 'The recorded answer',
    rawBody: express.raw({
      type: () => true,
      limit: options.bodyLimit,
      verify: (req, _res, buf) => {
        (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = buf;
      },
    }),
  };
  return {
    info,
    publicHandlers: ({ baseUrl }) => [exchangeHandler({ ...settings, baseUrl })],
    ...(options.fileHandler ? { fileHandler: options.fileHandler } : {}),
    onReset(worldId) {
      options.summaries.clear(worldId);
      options.upstream.onReset?.(worldId);
    },
  };
}

/** Runs the steps of EXCHANGE over one request. */
function exchangeHandler(gateway: GatewaySettings): RequestHandler {
  return async (req, res) => {
    const ctx = contextOf(gateway, req, res);
    for (const step of EXCHANGE) {
      const refusal = await step(ctx);
      if (refusal) return refuse(res, refusal);
    }
  };
}

function contextOf(gateway: GatewaySettings, req: Request, res: Response): ExchangeContext {
  const key = bearerToken(req);
  const url = originPath(req.originalUrl);
  const queryAt = url.indexOf('?');
  return {
    gateway,
    req,
    res,
    world: worldOf(res),
    redactor: new Redactor(key),
    request: {
      method: req.method,
      url,
      path: req.path,
      search: queryAt < 0 ? '' : url.slice(queryAt + 1),
      headers: req.headers,
      body: undefined,
      key,
    },
    isGenerate: req.method === 'POST' && req.path === gateway.generatePath,
    findings: [],
    reserved: 0,
    timing: undefined,
    result: undefined,
  };
}

function refuse(res: Response, { label, error }: Refusal): void {
  markInjected(requestContextOf(res), label, 'status');
  sendError(res, error);
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
