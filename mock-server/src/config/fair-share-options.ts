/**
 * The time share's settings (http/fair-share.ts), apart from it so that the option's help text
 * (options.ts) is written from the same numbers without importing the middleware.
 */
export interface FairShareOptions {
  /** How far above an equal share a party may go before it is held back. */
  slack: number;
  /** Below this many units in a window a party is never held back. */
  minUnits: number;
  /** The window (ms). */
  windowMs: number;
  /** Requests of one party held at once; past that, refused. */
  maxHeld: number;
  /** The longest a request is held (ms); past that, refused. */
  maxHoldMs: number;
  /** How often held requests are looked at again (ms). */
  tickMs: number;
}

export const FAIR_SHARE_DEFAULTS: Readonly<FairShareOptions> = {
  slack: 1.1,
  minUnits: 100,
  windowMs: 1_000,
  maxHeld: 64,
  maxHoldMs: 2_000,
  tickMs: 5,
};
