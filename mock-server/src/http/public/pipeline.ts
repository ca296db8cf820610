/**
 * The public API's request path: one named list of steps, in the order in which they decide the
 * answer (Prism's route -> validate -> mock, with fastify's named stages). Each step is a function of
 * the request's context; it returns nothing to let the request go on, or STOP once the request has
 * its answer (or has been handed over: a preflight, a network fault, the gateway). A step that is
 * synchronous costs no promise: on the memory store a request runs its whole path in one turn.
 *
 *   host            403: a Host this simulator does not serve (DNS rebinding)
 *   cors            a preflight ends here; the CORS headers of the answer
 *   faultHeaders    400: a bad X-Mock-* header; a forced status or network fault answers now (it
 *                   needs no valid key and spends nothing)
 *   readBody        the JSON body (a problem with it waits for its turn, below)
 *   checkInput      the spec's checks of query and body, and prompt markers (the same)
 *   requireKey      401: no Authorization, or not a Bearer token (nothing in the store is touched)
 *   admit           ONE store operation (Store.admit): the key's world and account, a fault rule,
 *                   chaos, a rate-limit token, and the polled task or the generate's counter value
 *   knownKey        401: a key the world does not know
 *   faults          a rule or chaos that forces the answer answers; one that shapes or holds applies
 *   rateLimit       429; X-RateLimit-* on every answer from here on
 *   validInput      the held 400/413/415
 *   operation       the handler: a generate's task (its second store operation), the polled task
 *
 * The answer itself (the journal first, then the bytes) is the responder's (answer.ts), and what
 * follows it (metrics, the log) the after-answer hook's (after-answer.ts).
 *
 * Precedence follows the README's promises: a bad key touches nothing and gets 401 even when its body
 * is also bad; QA's forced answers need no valid key, but a rule or chaos acts only for a known key
 * (an anonymous request neither spends a rule's `times` nor shifts the seeded chaos draws); a request
 * the rate limiter refuses is refused whatever its body. The body is read and checked before the
 * store is asked (so a generate's counter value is taken in the same operation as everything else),
 * but its problems are answered only in their place.
 */
import type { RequestHandler } from 'express';
import type { Owner } from '../../domain/keys.js';
import type { TaskScenario } from '../../domain/tasks.js';
import type { FaultAction } from '../../qa/faults.js';
import type { ChaosOdds } from '../../store/store.js';
import type { RequestContext } from '../context.js';
import type { ApiError } from '../errors.js';
import type { SpecOperation } from '../load-spec.js';
import type { RequestInput } from '../validation/request-validator.js';
import type { ResponseCheck } from '../validation/response-validator.js';

/** What a step returns: nothing to go on, STOP once the request is answered or handed over. */
export const STOP = true;
export type StepResult = typeof STOP | undefined;
export type Step = (ctx: PublicContext) => StepResult | Promise<StepResult>;

/** The public operations the simulator answers itself, by what they do. */
export type PublicKind = 'generate' | 'status';

/**
 * One route of the public API (an operation, or a path asked with a method it does not have), with
 * what is compiled for it once: its checks, its CORS, its rate-limit bucket.
 */
export interface PublicRoute {
  /** The spec's operation; undefined: the path exists, the method does not (405 once authenticated). */
  op: SpecOperation | undefined;
  kind: PublicKind | undefined;
  /** The error statuses the spec lists for the operation: the only ones a fault may force here. */
  statuses: ReadonlySet<number>;
  /** The path's methods, for a 405's Allow. */
  allow: string;
  path: string;
  cors: RequestHandler | undefined;
  /** The spec's checks of a request's query and body (request-validator.ts). */
  check: ((input: RequestInput) => ApiError | undefined) | undefined;
  /** With response validation on: the spec's check of an answer, and the 500 a failed one becomes. */
  answerCheck: { check: ResponseCheck; describe: (status: number, problem: string) => ApiError } | undefined;
  /** The route's rate limit per key (absent: off). */
  bucket: { limit: number; windowMs: number } | undefined;
  hasBody: boolean;
}

/** The context of a public request: the shared one, plus what the public steps decide. */
export interface PublicContext extends RequestContext {
  route: PublicRoute;
  /** The X-Mock-* headers, decoded (an action that does not force the answer waits for the rules). */
  headerAction?: FaultAction;
  /** A problem with the request's input (400, 413, 415), answered after the rate limiter. */
  held?: ApiError;
  /** The task a status request asks about. */
  taskId?: string;
  /** Prompt markers' scenario (generate). */
  markers?: TaskScenario;
  owner?: Owner;
}

export interface PipelineOptions {
  faultHeaders: boolean;
  maxDelayMs: number;
  chaos: ChaosOdds;
}

/**
 * Runs `steps` in order from `from`, without a promise while they answer synchronously; a failure
 * anywhere becomes the answer `fail` makes of it.
 */
export function runSteps(
  steps: readonly Step[],
  ctx: PublicContext,
  fail: (ctx: PublicContext, err: unknown) => void,
  from = 0,
): void {
  try {
    for (let i = from; i < steps.length; i++) {
      const result = steps[i]!(ctx);
      if (result === STOP) return;
      if (result instanceof Promise) {
        result.then(
          (r) => {
            if (r !== STOP) runSteps(steps, ctx, fail, i + 1);
          },
          (err: unknown) => fail(ctx, err),
        );
        return;
      }
    }
  } catch (err) {
    fail(ctx, err);
  }
}

/** An Express handler that runs the public path of the routes it knows and passes the rest on. */
export type PublicDispatcher = RequestHandler;
