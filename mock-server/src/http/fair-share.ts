/**
 * A share of the simulator's time per party, so that one caller's expensive requests land on that
 * caller and not on everyone (docs/reference/resource-model.md, "Time: a share per party").
 *
 * The fair-share suite found that a tenant sending 60 KB requests over 8 connections took the
 * others down to a fifth of their throughput: each such request costs the process about six ordinary
 * ones (its body read, parsed, validated, hashed and journaled), and Node serves connections first
 * come, first served. Nothing but the request's own cost could stop it, and that cost is paid before
 * any store or rule is asked, so the share is decided here, before the body is read.
 *
 * - A request costs 1 unit, 1 more per 8 KiB of its declared body (Content-Length), 1 more if it is
 *   a call of the control API, and 1 more once it is answered with an error. What grows with a request
 *   is what reading, parsing, checking and keeping its body costs (measured: a 60 KB generate about six
 *   ordinary ones, so the count errs on the caller's side); a control call (a credential hashed, a world
 *   read, a rule checked, a journal filter compiled) costs about twice a public one (a fault rule
 *   refused at --max-rules 2.1 times a generate, a key refused 1.4 times); and an error answer builds
 *   an Error, an envelope and a long message. The fair-share benchmark found that counting each of
 *   those as 1 let a flood of refused rules, keys or generates take more than its share. All but the
 *   last are known before the body is read. A measured cost (the wall time from a request's start to
 *   its answer) was tried and dropped: under load that time is mostly the others' work, and it charged
 *   the victims for the hostile's.
 * - Units are counted per party (whose work the request is: `partyOf`, below) over a sliding window
 *   of about a second. A body sent chunked, or compressed, is counted as read once it has been
 *   (`undeclaredUnits`, the after-answer hook).
 * - Only while the process is busy (its event loop's utilisation over the last half second at least
 *   `--fair-share-busy`) is anyone held back: a party whose units in the window would exceed `slack`
 *   (1: none) times an equal share of the window's units among the parties taking part in it (more
 *   than TAKING_PART requests in this window or the last; and past `minUnits` itself) waits, its body
 *   unread, until it is
 *   within its share again or the process is no longer busy. It is paced, not refused: a well-behaved
 *   heavy client is slowed to its share, and a client that sends faster than it is answered (an HTTP/1.1
 *   connection has one request at a time) finds its own requests queued behind each other, which costs
 *   the process nothing while they wait.
 * - The wait is bounded: past `maxHeld` requests of one party waiting, or `maxHoldMs` of waiting, the
 *   request is answered 503 with Retry-After: 1 (a refused one counts 1 unit: what answering it costs).
 * - Health and the metrics, read with GET or HEAD, are never held: a load balancer and a scraper must
 *   see a busy process. (Any other method there is counted: a 60 KB POST to health is read and parsed
 *   before its 405.)
 *
 * The first version refused at once (503) and counted by address. In the benchmark the refusals were so
 * cheap that the hostile asked again at once and kept the machine busy, and the victim tenant and the
 * default world, both called from one address, were one caller: past its share beside the hostile and
 * refused its own reset. Parties and pacing fixed both (docs/performance-history.md).
 *
 * The clock, the utilisation and the timer are injected so that the tests count, never time.
 */
import type { Request, RequestHandler, Response } from 'express';
import { flagOf } from '../config/options.js';
import type { FairShareOptions } from '../config/fair-share-options.js';
import { callerShareOf } from '../tenancy/creation-shares.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { callerOf, digestOf } from './caller.js';
import { contextOf, type RequestContext } from './context.js';
import { errors } from './errors.js';
import { rawBodyOf } from './middleware/json-body.js';

/** One unit per request, one more per this many bytes of body, */
export const BYTES_PER_UNIT = 8192;
/** and one more for a request of the control API (measured: about twice a public one's cost). */
const CONTROL_PREFIX = '/__mock/';
/** and one more once it is answered with an error (4xx or 5xx). */
const ERROR_UNITS = 1;
/** Paths a busy process still answers for everyone. */
const NEVER_HELD = new Set(['/__mock/health', '/__mock/metrics']);
/** What a refused request is asked to wait (s). */
const RETRY_AFTER_S = 1;

/** A call of the control API: it acts with the tenant credential, and costs a unit more. */
const isControlCall = (path: string) => path.startsWith(CONTROL_PREFIX);

export function unitsOf(path: string, contentLength: string | undefined): number {
  const bytes = contentLength === undefined ? 0 : Number(contentLength);
  const control = isControlCall(path) ? 1 : 0;
  return 1 + control + (Number.isFinite(bytes) && bytes > 0 ? bytes / BYTES_PER_UNIT : 0);
}

/**
 * Units of a body beyond what its Content-Length declared: one sent chunked, or compressed and
 * inflated, is counted as read once it has been (the after-answer hook), not as declared.
 */
export function undeclaredUnits(contentLength: string | undefined, bytesRead: number): number {
  const declared = contentLength === undefined ? 0 : Number(contentLength);
  const extra = bytesRead - (Number.isFinite(declared) && declared > 0 ? declared : 0);
  return extra > 0 ? extra / BYTES_PER_UNIT : 0;
}

/** A request waiting for its share: what to do once it may go, or once it has waited too long. */
export interface Ticket {
  go(): void;
  /** `why`: how far past its bounds the party's waiting is, in words. */
  refuse(why: string, retryAfterS: number): void;
}

interface Held {
  ticket: Ticket;
  units: number;
  since: number;
}

/** A party takes part in a window once it has sent more than this many requests in it. */
export const TAKING_PART = 10;

/** What the parties spent in one window, and who took part in it. */
class Window {
  readonly units = new Map<string, number>();
  readonly requests = new Map<string, number>();
  /** The parties past TAKING_PART requests in this window. */
  readonly takingPart = new Set<string>();
  total = 0;
  /** Units of a party's request (`requests` 1) or of its answer after the fact (0); true once it takes part now. */
  add(party: string, units: number, requests: number): boolean {
    this.units.set(party, (this.units.get(party) ?? 0) + units);
    this.total += units;
    if (requests === 0) return false;
    const sent = (this.requests.get(party) ?? 0) + requests;
    this.requests.set(party, sent);
    if (sent !== TAKING_PART + 1) return false;
    this.takingPart.add(party);
    return true;
  }
}

/** Runs `fn` once after `ms`; returns how to cancel it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const unrefTimeout: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms).unref(); // never keeps the process alive
  return () => clearTimeout(timer);
};

export class FairShare {
  private current = new Window();
  private previous = new Window();
  private windowStart: number;
  /** Parties taking part in this window and not in the last one: with the last one's, how many take part. */
  private newlyTakingPart = 0;
  /** Each party's requests waiting, in arrival order. */
  private readonly held = new Map<string, Held[]>();
  private cancelTick: (() => void) | undefined;

  constructor(
    private readonly options: FairShareOptions,
    /** A clock that does not jump back (performance.now), or the tests'. */
    private readonly now: () => number,
    /** Whether the process is busy now (eventLoopBusy). */
    private readonly busy: () => boolean,
    private readonly schedule: Schedule = unrefTimeout,
  ) {
    this.windowStart = now();
  }

  /**
   * A request of `party` costing `units`: `ticket.go()` at once when the process is not busy or the
   * party is within its share, else later, once it is (`pump`); or `ticket.refuse` when too many of the
   * party's requests wait already, or this one waited too long.
   */
  enter(party: string, units: number, ticket: Ticket): void {
    this.roll();
    const queue = this.held.get(party);
    // Behind its own requests that wait: a party's requests go in the order they came.
    if (queue === undefined && !this.pastShare(party, units)) {
      this.count(party, units, 1);
      return ticket.go();
    }
    if (queue !== undefined && queue.length >= this.options.maxHeld)
      return this.refuse(party, ticket, 'queue');
    if (queue === undefined) this.held.set(party, [{ ticket, units, since: this.now() }]);
    else queue.push({ ticket, units, since: this.now() });
    this.arm();
  }

  /**
   * A request that went has been answered (the after-answer hook): an error answer costs its party one
   * unit more. Its Error, envelope and long message are about a tenth of a refused generate's CPU under
   * the profiler, and a party that keeps being refused is sending what it should not: it reaches its
   * share sooner.
   */
  answered(party: string | undefined, status: number, extraUnits = 0): void {
    if (party === undefined) return;
    const units = (status >= 400 ? ERROR_UNITS : 0) + extraUnits;
    if (units === 0) return;
    this.roll();
    this.count(party, units, 0);
  }

  /** A held request whose client went away: out of the queue at once, neither run nor answered. */
  leave(party: string, ticket: Ticket): void {
    const queue = this.held.get(party);
    const at = queue?.findIndex((h) => h.ticket === ticket) ?? -1;
    if (at < 0) return;
    queue!.splice(at, 1);
    if (queue!.length === 0) this.held.delete(party);
  }

  /** Lets go the held requests that are within their party's share now; refuses those held too long. */
  pump(): void {
    this.cancelTick = undefined;
    this.roll();
    const now = this.now();
    for (const [party, queue] of this.held) {
      while (queue.length > 0) {
        const head = queue[0]!;
        if (!this.pastShare(party, head.units)) {
          queue.shift();
          this.count(party, head.units, 1);
          head.ticket.go();
        } else if (now - head.since >= this.options.maxHoldMs || now < head.since) {
          queue.shift();
          this.refuse(party, head.ticket, 'wait');
        } else break;
      }
      if (queue.length === 0) this.held.delete(party);
    }
    this.arm();
  }

  /** How many of the party's requests wait now. */
  waiting(party: string): number {
    return this.held.get(party)?.length ?? 0;
  }

  /**
   * The party's units in the sliding window, everyone's, and how many parties take part in it: the
   * party itself and every other that sent more than TAKING_PART requests in this window or the last
   * (a party that sent a few requests is no reason to hold back one that is alone in using the
   * process). Counted by requests, not units: a victim whose cheap requests a flood of dear ones
   * starves still asks often, and must count. Kept up as requests come, so it costs the same whatever
   * the number of parties.
   */
  reading(party: string): { used: number; total: number; parties: number } {
    this.roll();
    const used = this.unitsOf(party);
    const total = this.current.total + this.weight() * this.previous.total;
    const takingPart = this.previous.takingPart.size + this.newlyTakingPart;
    const itself = this.current.takingPart.has(party) || this.previous.takingPart.has(party);
    return { used, total, parties: Math.max(1, takingPart + (itself ? 0 : 1)) };
  }

  private pastShare(party: string, units: number): boolean {
    if (!this.busy() || this.unitsOf(party) + units <= this.options.minUnits || this.alone(party))
      return false;
    const { used, total, parties } = this.reading(party);
    return used + units > (this.options.slack * (total + units)) / parties;
  }

  private count(party: string, units: number, requests: number): void {
    if (this.current.add(party, units, requests) && !this.previous.takingPart.has(party))
      this.newlyTakingPart++;
  }

  private refuse(party: string, ticket: Ticket, why: 'queue' | 'wait'): void {
    this.count(party, 1, 1);
    ticket.refuse(
      why === 'queue'
        ? `${this.options.maxHeld} of them wait already`
        : `this one waited ${this.options.maxHoldMs / 1000} s`,
      RETRY_AFTER_S,
    );
  }

  /** A look at the held requests again in `tickMs`, while any wait. */
  private arm(): void {
    if (this.cancelTick === undefined && this.held.size > 0)
      this.cancelTick = this.schedule(() => this.pump(), this.options.tickMs);
  }

  /** Whether the party is the only one in the window (the common case, and no share to work out). */
  private alone(party: string): boolean {
    const { current, previous } = this;
    return (
      current.units.size <= 1 &&
      previous.units.size <= 1 &&
      (current.units.size === 0 || current.units.has(party)) &&
      (previous.units.size === 0 || previous.units.has(party))
    );
  }

  /** How much of the window just ended still counts: all of it at the start of this one, none at its end. */
  private weight(): number {
    return Math.min(1, Math.max(0, 1 - (this.now() - this.windowStart) / this.options.windowMs));
  }

  private unitsOf(party: string): number {
    return (this.current.units.get(party) ?? 0) + this.weight() * (this.previous.units.get(party) ?? 0);
  }

  private roll(): void {
    const elapsed = this.now() - this.windowStart;
    if (elapsed < this.options.windowMs) return;
    // A window long past leaves nothing behind; the one just ended weighs on the next.
    this.previous = elapsed < 2 * this.options.windowMs ? this.current : new Window();
    this.current = new Window();
    this.newlyTakingPart = 0;
    this.windowStart += Math.floor(elapsed / this.options.windowMs) * this.options.windowMs;
  }
}

/** The event loop's recent utilisation, sampled every 250 ms: one sampler per process, as the loop is. */
let sampled: { utilisation: number } | undefined;

function sampler(): { utilisation: number } {
  if (sampled) return sampled;
  const state = { utilisation: 0 };
  let last = performance.eventLoopUtilization();
  // Unref'd: it never keeps the process alive, and it costs one call a quarter of a second.
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    // Half this quarter second, half the ones before: a burst does not flip it, half a second does.
    state.utilisation = (state.utilisation + performance.eventLoopUtilization(now, last).utilization) / 2;
    last = now;
  }, 250).unref();
  return (sampled = state);
}

/** Whether the event loop is at least `busyAbove` busy (0: always; above 1: never, and nothing sampled). */
export function eventLoopBusy(busyAbove: number): () => boolean {
  if (busyAbove > 1) return () => false;
  if (busyAbove <= 0) return () => true;
  const state = sampler();
  return () => state.utilisation >= busyAbove;
}

/**
 * The middleware: before anything reads the body, a request of a party past its share of a busy
 * process waits (or, past the bounds, is refused). `partyOf` names whose work a request is.
 */
export function fairShareGate(shares: FairShare, parties: Pick<Tenancy, 'partyOf'>): RequestHandler {
  /**
   * Whose work a request is (Tenancy.partyOf), from the credential its route acts with: the tenant
   * credential on the control API, the key on the public API; never the other, or a caller could put
   * its work on the account of a key it names.
   */
  const partyOf = (req: Request, res: Response): string => {
    const control = isControlCall(req.path);
    const token = control ? req.headers['x-mock-token'] : undefined;
    return parties.partyOf({
      owner: control ? undefined : callerOf(contextOf(res)).owner,
      tokenDigest: typeof token === 'string' ? digestOf(token) : undefined,
      address: callerShareOf(req.socket.remoteAddress),
    });
  };
  return (req, res, next) => {
    // Health and the metrics as a monitor reads them; any other method there is a request like any.
    if ((req.method === 'GET' || req.method === 'HEAD') && NEVER_HELD.has(req.path)) return next();
    const party = partyOf(req, res);
    let settled = false;
    const ticket: Ticket = {
      go: () => {
        settled = true;
        contextOf(res).party = party; // for `answered`, once the request is done
        next();
      },
      refuse: (why, retryAfterS) => {
        settled = true;
        next(
          errors.serviceUnavailable(
            `The simulator is busy, and your requests are past their share of it: ${why}. Each party ` +
              `(a tenant, the tenants one address created, the default world, or an address) has an equal ` +
              `share of a busy process's work (a request 1 unit, 1 more per ${BYTES_PER_UNIT / 1024} KiB of body, 1 more on the control API, 1 more for an error answer). ` +
              `Retry after ${retryAfterS} s; fewer or smaller requests at once keep you within it (${flagOf('fairShareBusy')})`,
            retryAfterS,
          ),
        );
      },
    };
    shares.enter(party, unitsOf(req.path, req.headers['content-length']), ticket);
    // Held: a client that goes away while its request waits takes it out of the queue.
    if (!settled) res.once('close', () => settled || shares.leave(party, ticket));
  };
}

/** The after-answer hook's part: what the answer cost beyond what the gate counted (FairShare.answered). */
export function chargeAnswer(shares: FairShare, ctx: RequestContext): void {
  const read = rawBodyOf(ctx.req)?.length ?? 0;
  shares.answered(ctx.party, ctx.res.statusCode, undeclaredUnits(ctx.req.headers['content-length'], read));
}
