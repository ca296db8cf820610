/**
 * Records each public request and its answer in its world's journal (keys redacted, bodies
 * truncated), from the request's context, and, in the same store operation, what the verdict needs
 * to know of it (verdict/observation.ts): one Observation per request to an operation of
 * openapi.yaml, whether or not the journal is on.
 *
 * The responder (answer.ts) records an entry before the answer's bytes go out, so a client that has
 * its answer can read the entry at once, from this process or from any other on the same store (the
 * journal is in the Store). A request that gets no answer through it (a network fault, a client that
 * left, a file) is recorded by the after-answer hook when its connection closes, with status 0 when
 * nothing was sent.
 */
import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import { Redactor } from '../cassette/redaction.js';
import { nowOf } from '../domain/clock.js';
import { callerOf, labelOf } from './caller.js';
import { journalHeaders, type JournalRecord } from '../qa/journal.js';
import { NETWORK_FAULTS, type NetworkFault } from '../qa/faults.js';
import { StoreUnavailableError, type MaybePromise } from '../store/store.js';
import { isObservedOperation, type ObservationDraft } from '../verdict/observation.js';
import type { World, Worlds } from '../tenancy/world.js';
import type { RequestContext } from './context.js';
import { rawBodyOf } from './middleware/json-body.js';

const TASK_ID = /^sd45_[0-9a-f]{16}$/;
const TASK_ID_IN_RESPONSE = /"task_id":"(sd45_[0-9a-f]{16})"/;
const TASK_IN_PATH = /^\/files\/(sd45_[0-9a-f]{16})\//;

/**
 * Whether a path is the control API's (or the reference page's, `/docs`) under any spelling the
 * router or a proxy might accept (case, percent-encoding, repeated slashes, dot segments). Control
 * calls are not journaled: their bodies can carry keys (a fault rule's `match.apiKey`); nor are the
 * pages the simulator serves about itself, which no client of the API makes.
 */
export function isControlPath(rawPath: string): boolean {
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // keep it undecoded: the router refuses it too
  }
  const segments: string[] = [];
  for (const segment of path.toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments[0] === '__mock' || segments[0] === 'docs';
}

/** The task a request names, or its answer does: the first place that has one, the cheapest first. */
function taskIdOf(ctx: RequestContext, responseText: string | undefined): string | null {
  const { req } = ctx;
  const isId = (c: unknown): c is string => typeof c === 'string' && TASK_ID.test(c);
  const inQuery = (ctx.query ?? (req.query as Record<string, unknown> | undefined))?.task_id;
  if (isId(inQuery)) return inQuery;
  const inBody = (req.body as { task_id?: unknown } | undefined)?.task_id;
  if (isId(inBody)) return inBody;
  const inAnswer = responseText && TASK_ID_IN_RESPONSE.exec(responseText)?.[1];
  if (isId(inAnswer)) return inAnswer;
  const inPath = TASK_IN_PATH.exec(ctx.rendered.path)?.[1];
  return isId(inPath) ? inPath : null;
}

/** The caller's key, as sent and percent-encoded: what must not be kept of a request. */
interface CallerKey {
  key: string;
  encoded: string;
}

function textWithoutKey(text: string, caller: CallerKey | undefined): string {
  return caller === undefined || (!text.includes(caller.key) && !text.includes(caller.encoded))
    ? text
    : new Redactor(caller.key).redact(text);
}

function withoutKey(body: Buffer | undefined, caller: CallerKey | undefined): Buffer | undefined {
  if (body === undefined || caller === undefined) return body;
  if (!body.includes(caller.key) && !body.includes(caller.encoded)) return body;
  return Buffer.from(new Redactor(caller.key).redact(body.toString('utf8')));
}

/** The kept headers (journalHeaders: an allowlist, the key as its label), and no copy of the key. */
function headersWithoutKey(
  headers: Record<string, string | string[] | undefined>,
  caller: CallerKey | undefined,
): Record<string, string> {
  const kept = journalHeaders(headers, labelOf);
  if (caller !== undefined) for (const name in kept) kept[name] = textWithoutKey(kept[name]!, caller);
  return kept;
}

export class JournalRecorder {
  /**
   * @param enabled whether the journal is on
   * @param observing whether the verdict is on: each request to a public operation is observed
   */
  constructor(
    private readonly worlds: Worlds,
    private readonly logger: Logger,
    private readonly enabled: boolean,
    private readonly observing = false,
  ) {}

  /**
   * Records the request once: `status` 0 when nothing was answered. Resolves (or returns at once, on
   * the memory store) when the entry and the observation are in the store; a journal that cannot be
   * written is logged and never fails the request.
   */
  record(ctx: RequestContext, status: number, responseText: string | undefined): MaybePromise<void> {
    if (!ctx.journaled || ctx.recorded) return;
    const observed = this.observing && isObservedOperation(ctx.rendered.operationId);
    if (!this.enabled && !observed) return;
    ctx.recorded = true;
    const write = (world: World): MaybePromise<void> => {
      const written = world.qa.record(
        this.enabled ? this.recordOf(ctx, world, status, responseText) : null,
        observed ? observationOf(ctx, world, status) : undefined,
      );
      return written instanceof Promise ? written.catch(this.failed) : written;
    };
    try {
      if (ctx.world) return write(ctx.world);
      // No world was needed to answer (a 404, a forced status before the key was looked up).
      const world = ctx.owner === undefined ? this.worlds.defaultWorld() : this.worlds.ofOwner(ctx.owner);
      return world.then(write).catch(this.failed);
    } catch (err) {
      this.failed(err);
    }
  }

  private readonly failed = (err: unknown): void => {
    // A store that is down or full is logged once per episode (its connection, the error handler),
    // not once per request with a stack.
    if (err instanceof StoreUnavailableError) return;
    this.logger.warn({ err }, 'could not journal a request');
  };

  private recordOf(
    ctx: RequestContext,
    world: World,
    status: number,
    responseText: string | undefined,
  ): JournalRecord {
    const { req, rendered } = ctx;
    const { token, owner } = callerOf(ctx);
    const caller = token === undefined ? undefined : { key: token, encoded: encodeURIComponent(token) };
    return {
      at: nowOf(world.view.clock, ctx.startedAt),
      method: rendered.method,
      path: rendered.path,
      rawQuery: rendered.query,
      status,
      durationMs: Math.round((performance.now() - ctx.started) * 100) / 100,
      keyLabel: token === undefined ? null : labelOf(token),
      keyOwner: owner ?? null,
      taskId: taskIdOf(ctx, responseText),
      injected: ctx.injected ?? null,
      operation: rendered.operationId ?? null,
      // A key the client put in a kept header anyway is not kept either.
      requestHeaders: headersWithoutKey(req.headers, caller),
      // A key the client put into a body (or that an answer names back) is not kept either.
      rawRequestBody: withoutKey(rawBodyOf(req), caller),
      responseText: responseText === undefined ? undefined : textWithoutKey(responseText, caller),
      // Proxy and replay modes: the exchange's drift findings (proxy/exchange.ts), already redacted.
      ...(ctx.drift ? { drift: ctx.drift } : {}),
    };
  }
}

/**
 * Digests that tell requests apart for the verdict (the same request repeated, the same paid body
 * sent twice): not a secret's, so SHA-1, the cheaper. A request without a body is its method and URL:
 * a poll names the same URL again and again, so those digests are kept (bounded).
 */
const digest = (data: string | Buffer) => hash('sha1', data);
const EMPTY_DIGEST = digest('');
const bodilessDigests = new Map<string, string>();
const BODILESS_KEPT = 1024;

function requestDigestOf(method: string, url: string, bodyDigest: string): string {
  const line = `${method} ${url}`;
  if (bodyDigest !== EMPTY_DIGEST) return digest(`${line}\n${bodyDigest}`);
  let kept = bodilessDigests.get(line);
  if (kept === undefined) {
    kept = digest(`${line}\n${bodyDigest}`);
    if (bodilessDigests.size >= BODILESS_KEPT) bodilessDigests.delete(bodilessDigests.keys().next().value!);
    bodilessDigests.set(line, kept);
  }
  return kept;
}

/**
 * The verdict's view of one answered (or unanswered) public request, from its context: what the
 * client sent (digests only, and the key's digest and label), what it got, and what the simulator
 * knew of it (the task a generate created and its plan, the task a poll read). Times are the world's
 * clock: `at` when the request arrived, `answeredAt` now.
 */
function observationOf(ctx: RequestContext, world: World, status: number): ObservationDraft {
  const { req, rendered } = ctx;
  const operation = rendered.operationId as ObservationDraft['operation'];
  const { token, owner } = callerOf(ctx);
  const at = nowOf(world.view.clock, ctx.startedAt);
  const generate = operation === 'createGenerationTask';
  const body = rawBodyOf(req);
  const bodyDigest = body === undefined || body.length === 0 ? EMPTY_DIGEST : digest(body);
  // The answer as a client met it: 200 with a broken body is a fault, not an answer.
  const fault = NETWORK_FAULTS.includes(ctx.injectedKind as NetworkFault)
    ? (ctx.injectedKind as NetworkFault)
    : null;
  const accepted = generate && status === 200 && fault === null ? ctx.accepted : undefined;
  const polled = !generate && status === 200 && fault === null ? ctx.admission?.task : undefined;
  return {
    afterSeq: ctx.admission?.verdictSeq ?? null,
    at,
    // A snapshot's clock (a shared store's) may lag the arrival on a real clock by its read: never before it.
    answeredAt: Math.max(at, world.simulator.clock.now()),
    operation,
    keyOwner: owner ?? null,
    keyLabel: token === undefined ? null : labelOf(token),
    status,
    fault,
    injected: ctx.injected ?? null,
    retryAfterSeconds: ctx.retryAfterSeconds ?? null,
    requestDigest: requestDigestOf(req.method, req.url, bodyDigest),
    bodyDigest: generate ? bodyDigest : null,
    taskId: accepted ? accepted.task.id : generate ? null : taskIdOf(ctx, undefined),
    taskStatus: polled?.status ?? null,
    price: accepted?.task.price ?? null,
    balance: accepted?.balance ?? (generate && status === 402 ? (ctx.refusedBalance ?? null) : null),
    plan: accepted
      ? {
          outcome: accepted.task.plan.outcome,
          readyAt: accepted.task.plan.readyAt,
          completeOnPoll: accepted.task.plan.completeOnPoll,
        }
      : null,
  };
}
