/**
 * The answer: the one place a journaled request's response is written. In order:
 *
 *  1. a hold QA asked for (X-Mock-Delay-Ms, a rule's delayMs): the request has been processed, its
 *     answer waits (a client that times out has still been charged, as in production). If the
 *     request's tenant was dropped meanwhile, the answer decided before the hold would be a lie (a
 *     task id nobody can poll): it is what a retry would get instead, 401;
 *  2. the body, serialised once; with response validation on, checked against the spec (a body
 *     that breaks it is our bug: a 500 that says so goes out instead);
 *  3. the journal entry, written before the answer's bytes leave (journal-recorder.ts): on the
 *     memory store synchronously, on a shared store awaited;
 *  4. the bytes, in one write.
 *
 * What happens after the answer (metrics, the request log, the journal of a request that got none)
 * is the after-answer hook (after-answer.ts): nothing here patches the response.
 */
import type { Logger } from 'pino';
import type { AnswerableError, Answering, RequestContext } from './context.js';
import { DEFAULT_WORLD } from '../tenancy/world.js';
import { errors, type ApiError } from './errors.js';
import type { ErrorTranslator } from './middleware/error-handler.js';
import type { JournalRecorder } from './journal-recorder.js';
import type { ResponseCheck } from './validation/response-validator.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export interface AnswerOptions {
  /** Check the body against the spec (response validation on); `describe` names the operation. */
  check?: { check: ResponseCheck; describe: (status: number, problem: string) => ApiError } | undefined;
  headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** Whether a world still exists (Tenancy.exists): asked once a hold ends, of a tenant's world only. */
export type WorldExists = (id: string) => Promise<boolean>;

export class Responder implements Answering {
  constructor(
    private readonly recorder: JournalRecorder,
    private readonly logger: Logger,
    private readonly translate: ErrorTranslator,
    private readonly worldExists: WorldExists = () => Promise.resolve(true),
  ) {}

  /** A JSON answer (`body` an object, serialised here). */
  json(ctx: RequestContext, status: number, body: unknown, options: AnswerOptions = {}): void {
    if (options.check) {
      const problem = options.check.check(status, body);
      if (problem !== undefined) {
        const error = options.check.describe(status, problem);
        this.logger.error(
          { method: ctx.req.method, path: ctx.rendered.path, status: error.status },
          error.message,
        );
        return this.text(ctx, error.status, JSON.stringify(error.envelope()), JSON_TYPE, error.headers);
      }
    }
    this.text(ctx, status, JSON.stringify(body), JSON_TYPE, options.headers);
  }

  /** An error in the API's envelope, with its headers. A response already under way is cut instead. */
  error(ctx: RequestContext, error: AnswerableError, options: Omit<AnswerOptions, 'headers'> = {}): void {
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    this.json(ctx, error.status, error.envelope(), { ...options, headers: error.headers });
  }

  /**
   * A body already serialised (`text`), of `contentType`. JSON text is what the journal keeps of an
   * answer; any other body is not kept.
   */
  text(
    ctx: RequestContext,
    status: number,
    text: string | Buffer,
    contentType: string,
    headers?: Readonly<Record<string, string | readonly string[]>>,
  ): void {
    const { res } = ctx;
    if (res.headersSent || res.destroyed) return;
    if (ctx.holdMs !== undefined && ctx.holdMs > 0) {
      const ms = ctx.holdMs;
      ctx.holdMs = 0;
      setTimeout(() => this.afterHold(ctx, () => this.text(ctx, status, text, contentType, headers)), ms);
      return;
    }
    const journalText = typeof text === 'string' && contentType.includes('json') ? text : undefined;
    ctx.answered = { status, text: journalText };
    const retryAfter = retryAfterOf(headers);
    if (retryAfter !== undefined) ctx.retryAfterSeconds = retryAfter;
    const recorded = this.recorder.record(ctx, status, journalText);
    if (recorded instanceof Promise) {
      void recorded.then(() => write(ctx, status, text, contentType, headers));
      return;
    }
    write(ctx, status, text, contentType, headers);
  }

  /**
   * Once a hold ends: the answer decided before it, unless the request's tenant was dropped meanwhile
   * (here, by another replica of a fleet, or by its idle sweep; one directory read, held answers
   * only). Then its key belongs to no world: the answer is the 401 a retry would get, journaled where
   * a retry would be (the default world).
   */
  private afterHold(ctx: RequestContext, answer: () => void): void {
    const world = ctx.world;
    if (world === undefined || world.id === DEFAULT_WORLD) return answer();
    this.worldExists(world.id).then(
      (exists) => {
        if (exists) return answer();
        ctx.world = undefined;
        ctx.authenticated = false;
        this.error(ctx, errors.tenantDroppedWhileHeld());
      },
      (err: unknown) => this.failure(ctx, err),
    );
  }

  /**
   * An answer as another server gave it (proxy, replay), passed on as it is: its status, its headers
   * (the caller has left out what must not be passed on) and its bytes.
   */
  raw(
    ctx: RequestContext,
    status: number,
    headers: Readonly<Record<string, string | string[]>>,
    body: Buffer,
  ): void {
    const { res } = ctx;
    if (res.headersSent || res.destroyed) return;
    const type = headers['content-type'];
    const contentType = (Array.isArray(type) ? type[0] : type) ?? '';
    const text = /json/i.test(contentType) ? body.toString('utf8') : undefined;
    ctx.answered = { status, text };
    const retryAfter = retryAfterOf(headers);
    if (retryAfter !== undefined) ctx.retryAfterSeconds = retryAfter;
    const send = () => {
      if (res.headersSent || res.destroyed) return;
      res.statusCode = status;
      for (const name in headers) res.setHeader(name, headers[name]!);
      res.setHeader('content-length', String(ctx.req.method === 'HEAD' ? 0 : body.length));
      res.end(ctx.req.method === 'HEAD' ? undefined : body);
    };
    const recorded = this.recorder.record(ctx, status, text);
    if (recorded instanceof Promise) void recorded.then(send);
    else send();
  }

  /** Any failure, as the error handler translates it (a store outage: 503; a bug: a 500 that shows nothing). */
  failure(ctx: RequestContext, err: unknown): void {
    const injected = ctx.injected !== undefined;
    this.error(ctx, this.translate(err, ctx.req, { path: ctx.rendered.path, injected }));
  }
}

/** The Retry-After of an answer's headers (any case), in whole seconds; undefined when absent or not seconds. */
function retryAfterOf(
  headers: Readonly<Record<string, string | readonly string[]>> | undefined,
): number | undefined {
  if (headers === undefined) return undefined;
  for (const name in headers) {
    if (name.length !== 11 || name.toLowerCase() !== 'retry-after') continue;
    const value = headers[name];
    const text = typeof value === 'string' ? value : value?.[0];
    return text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
  }
  return undefined;
}

function write(
  ctx: RequestContext,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Readonly<Record<string, string | readonly string[]>> | undefined,
): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  if (headers) for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}
