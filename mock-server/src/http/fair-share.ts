/**
 * A share of the simulator's time per caller, so that one caller's expensive requests land on that
 * caller and not on everyone (docs/reference/resource-model.md, "Time: a share per caller").
 *
 * The fair-share suite found that a tenant sending 60 KB requests over 8 connections took the
 * others down to a fifth of their throughput: each such request costs the process about six ordinary
 * ones (its body read, parsed, validated, hashed and journaled), and Node serves connections first
 * come, first served. Nothing but the request's own cost could stop it, and that cost is paid before
 * any store or rule is asked, so the share is decided here, before the body is read.
 *
 * - A request costs 1 unit plus 1 per 8 KiB of its declared body (Content-Length): what grows with a
 *   request is what reading, parsing, checking and keeping its body costs (measured: a 60 KB generate
 *   about six ordinary ones, so the count errs on the caller's side). Reads of the control API, whose
 *   cost does not show in their size, count 1.
 * - Units are counted per caller, for every request it sends (a refused one as 1: what answering it
 *   costs) (the address a request comes from: what the tenant creation shares
 *   count too, and what a caller cannot multiply as it can tenants) over a sliding window of about a
 *   second.
 * - Only while the process is busy (its event loop's utilisation over the last half second at least
 *   `--fair-share-busy`) is anything refused: a caller whose units in the window exceed `slack` times an equal
 *   share of the window's units among the callers taking part in it (more than `minUnits` and a tenth
 *   of the work; and past `minUnits` itself) is answered 503 with
 *   Retry-After: 1 at once, its body unread. The slack (1.5) lets an ordinary client with twice
 *   another's connections through; a caller that keeps knocking spends its share on refusals, and one
 *   that waits as told gets it back as its window empties. What a refused caller leaves, the others use;
 *   once the process is no longer busy, nobody is refused.
 * - Health and the metrics are never refused: a load balancer and a scraper must see a busy process.
 *
 * The clock and the utilisation are injected so that the tests count, never time.
 */
import type { RequestHandler } from 'express';
import { flagOf } from '../config/options.js';
import { errors } from './errors.js';

export interface FairShareOptions {
  /** How far above an equal share a caller may go before it is refused. */
  slack: number;
  /** Below this many units in a window a caller is never refused. */
  minUnits: number;
  /** The window (ms). */
  windowMs: number;
}

export const FAIR_SHARE_DEFAULTS: Readonly<FairShareOptions> = {
  slack: 1.5,
  minUnits: 100,
  windowMs: 1_000,
};

/** One unit per request, one more per this many bytes of body. */
const BYTES_PER_UNIT = 8192;
/** Paths a busy process still answers for everyone. */
const NEVER_REFUSED = new Set(['/__mock/health', '/__mock/metrics']);

export function unitsOf(contentLength: string | undefined): number {
  const bytes = contentLength === undefined ? 0 : Number(contentLength);
  return 1 + (Number.isFinite(bytes) && bytes > 0 ? bytes / BYTES_PER_UNIT : 0);
}

/** What the callers spent in one window. */
class Window {
  readonly units = new Map<string, number>();
  total = 0;
  add(caller: string, units: number): void {
    this.units.set(caller, (this.units.get(caller) ?? 0) + units);
    this.total += units;
  }
}

export class FairShare {
  private current = new Window();
  private previous = new Window();
  private windowStart: number;

  constructor(
    private readonly options: FairShareOptions,
    private readonly now: () => number,
    /** Whether the process is busy now (eventLoopBusy). */
    private readonly busy: () => boolean,
  ) {
    this.windowStart = now();
  }

  /**
   * Counts a request of `caller` costing `units`, or refuses it: the refusal's Retry-After (s) when
   * the process is busy and the caller is past its share, else undefined. A refused request counts 1
   * unit (what answering it costs: its body is never read), so units stay close to what each caller
   * really took of the process, refusals included.
   */
  admit(caller: string, units: number): number | undefined {
    this.roll();
    if (this.busy() && this.unitsOf(caller) + units > this.options.minUnits) {
      const { used, total, callers } = this.reading(caller);
      if (used + units > (this.options.slack * (total + units)) / callers) {
        this.current.add(caller, 1);
        return 1;
      }
    }
    this.current.add(caller, units);
    return undefined;
  }

  /**
   * The caller's units in the sliding window, everyone's, and how many callers take part in it: the
   * caller itself and every other that used more than `minUnits` and a tenth of the window's work (a
   * caller that sent a few requests is no reason to hold back one that is alone in using the process).
   */
  reading(caller: string): { used: number; total: number; callers: number } {
    this.roll();
    const used = this.unitsOf(caller);
    const total = this.current.total + this.weight() * this.previous.total;
    const active = Math.max(this.options.minUnits, total / 10);
    let callers = 1;
    const seen = new Set<string>([caller]);
    for (const window of [this.current, this.previous])
      for (const c of window.units.keys()) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (this.unitsOf(c) > active) callers++;
      }
    return { used, total, callers };
  }

  /** How much of the window just ended still counts: all of it at the start of this one, none at its end. */
  private weight(): number {
    return Math.max(0, 1 - (this.now() - this.windowStart) / this.options.windowMs);
  }

  private unitsOf(caller: string): number {
    return (this.current.units.get(caller) ?? 0) + this.weight() * (this.previous.units.get(caller) ?? 0);
  }

  private roll(): void {
    const elapsed = this.now() - this.windowStart;
    if (elapsed < this.options.windowMs) return;
    // A window long past leaves nothing behind; the one just ended weighs on the next.
    this.previous = elapsed < 2 * this.options.windowMs ? this.current : new Window();
    this.current = new Window();
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

/** The middleware: before anything reads the body, a busy process refuses a caller past its share. */
export function fairShareGate(shares: FairShare): RequestHandler {
  return (req, _res, next) => {
    if (NEVER_REFUSED.has(req.path)) return next();
    const caller = req.socket.remoteAddress ?? 'unknown';
    const retryAfter = shares.admit(caller, unitsOf(req.headers['content-length']));
    if (retryAfter === undefined) return next();
    const { used, total, callers } = shares.reading(caller);
    next(
      errors.serviceUnavailable(
        `The simulator is busy, and your address has used more than its share of it: ` +
          `${Math.round(used)} of the last second's ${Math.round(total)} units of work, among ${callers} ` +
          `callers (a request is 1 unit, and 1 more per ${BYTES_PER_UNIT / 1024} KiB of body). Retry after ${retryAfter} s; ` +
          `fewer or smaller requests at once keep you within it (${flagOf('fairShareBusy')})`,
        retryAfter,
      ),
    );
  };
}
