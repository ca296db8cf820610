/**
 * One typed context per request, created once when the request arrives (fastify decorates its request
 * the same way) and handed to each step of its path: what the steps learn and decide, in one place,
 * instead of untyped bags on `res.locals`. Express keeps it as `res.locals.ctx` (declared below), so
 * code that only has the Response (the error handler, the request log) finds it too.
 */
import type { Request, Response } from 'express';
import type { Owner } from '../domain/keys.js';
import type { Task, TaskScenario } from '../domain/tasks.js';
import type { DriftFinding } from '../drift/spec-drift.js';
import type { FaultSource } from '../qa/faults.js';
import type { Admission } from '../store/store.js';
import type { World } from '../tenancy/world.js';
import type { RenderedRequest } from './request-rendering.js';

/** What an injected answer did (the metrics' `kind`): a status, a network fault, a delay, a task scenario. */
export type InjectedKind = 'status' | 'reset' | 'empty' | 'malformed' | 'hang' | 'delay' | 'task';

/** Who calls the control API, and in which world. */
export type ControlScope =
  /** `named`: the operator named the world with X-Mock-Tenant (a reset then resets that world only). */
  { kind: 'operator'; tenant: string; named: boolean } | { kind: 'tenant'; tenant: string };

/** An error as the responder sends it (http/errors.ts's ApiError). */
export interface AnswerableError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  envelope(): unknown;
}

/** How a request's answer is sent (answer.ts's Responder): the journal first, then the bytes. */
export interface Answering {
  error(ctx: RequestContext, error: AnswerableError): void;
  /** An answer as another server gave it (the proxy's, a replay's): its status, headers and bytes. */
  raw(
    ctx: RequestContext,
    status: number,
    headers: Readonly<Record<string, string | string[]>>,
    body: Buffer,
  ): void;
}

export interface RequestContext {
  readonly req: Request;
  readonly res: Response;
  /** This request's answer (answer.ts). */
  readonly respond: Answering;
  /** `performance.now()` and the system time when the request arrived. */
  readonly started: number;
  readonly startedAt: number;
  /** The URL's path as received, without the query string (an absolute-form target: its path). */
  readonly path: string;
  /** How logs, metrics and the journal show the request (request-rendering.ts), rendered once. */
  readonly rendered: RenderedRequest;
  /** Whether the request is journaled: every request but the control API's, the pages' and CORS preflights. */
  journaled: boolean;
  /** The world the request acts in, once known. */
  world?: World;
  /** Whose work the request is, for the time share (fair-share.ts), once it has gone through its gate. */
  party?: string;
  /** The caller's Bearer token (well-formed or not) and its digest, once read (caller.ts). */
  token?: string;
  owner?: Owner;
  /** Whether `token` and `owner` have been read from the request. */
  callerRead?: boolean;
  /** The public API: the key is the world's (authenticated). */
  authenticated?: boolean;
  /** The public API: the world's answer to Store.admit. */
  admission?: Admission;
  /** The control API: who calls, and in which world. */
  scope?: ControlScope;
  /** What QA injected, if anything: its source (`header`, `chaos`, `rate-limit`, a rule id) and kind. */
  injected?: FaultSource;
  injectedKind?: InjectedKind;
  /** QA holds the answer this long (ms) once the request has been processed (a delay). */
  holdMs?: number;
  /** How QA shapes the task of a generate (headers, a rule, prompt markers). */
  scenario?: TaskScenario;
  /** A task-shaping rule to spend once the generate really creates its task. */
  pendingRuleId?: string;
  /** Proxy and replay modes: how the exchange departs from openapi.yaml. */
  drift?: DriftFinding[];
  /** The answer sent, as the journal keeps it (its status, and its text when it is JSON). */
  answered?: { status: number; text: string | undefined };
  /** The public API: the query string, parsed once (Express 5 parses it again on every read). */
  query?: Record<string, string>;
  /** Whether the journal has this request already (answer.ts records before the answer leaves). */
  recorded?: boolean;
  /** The public API, a generate: the task it created and the balance after its debit (for the verdict). */
  accepted?: { task: Task; balance: number };
  /** The public API, a generate refused for want of credits: the balance that could not cover it. */
  refusedBalance?: number;
  /** The answer's Retry-After, in seconds, as the responder sent it (for the verdict). */
  retryAfterSeconds?: number;
}

declare module 'express-serve-static-core' {
  interface Locals {
    ctx?: RequestContext;
  }
}

/** The context of a request that has one (every request, from the app's first step on). */
export function contextOf(res: Response): RequestContext {
  const ctx = res.locals.ctx;
  if (!ctx) throw new Error('request reached a step without its context');
  return ctx;
}

/** The request's world; the steps that need one run after it is known. */
export function worldOf(res: Response): World {
  const world = contextOf(res).world;
  if (!world) throw new Error('route reached without a resolved world');
  return world;
}

/** Marks an answer as QA's doing: the journal, the metrics, the log and `X-Mock-Injected` all say so. */
export function markInjected(ctx: RequestContext, source: FaultSource, kind: InjectedKind): void {
  ctx.injected = source;
  ctx.injectedKind = kind;
  ctx.res.setHeader('X-Mock-Injected', source);
}
