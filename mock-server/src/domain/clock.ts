/**
 * Time for the domain. Nothing else in the domain reads the system time: tasks progress, refunds
 * and rate limits all ask a Clock, so a test (or QA) moves time instead of sleeping.
 *
 * A clock is also plain data (`ClockState`), so a store can keep it and share it between processes:
 * a virtual clock is the instant it shows, a real clock the offset added to the system time.
 */
export type ClockState =
  { readonly kind: 'real'; readonly offsetMs: number } | { readonly kind: 'virtual'; readonly nowMs: number };

export interface Clock {
  readonly kind: 'real' | 'virtual';
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Moves this clock forward; on a real clock this adds a lasting offset to the system time. */
  advance(ms: number): number;
  /** Back to the start: the virtual clock to its start instant, the real clock to no offset. */
  reset(): void;
  state(): ClockState;
}

/**
 * The latest instant a clock may show: 9000-01-01T00:00:00Z. Timestamps are written with a four-digit
 * year (`created_at` matches the spec's pattern only up to 9999), and a task's planned end, its image
 * links and its retention lie up to a century later (the configuration caps them), so a millennium
 * of headroom keeps every derived instant printable. An advance past it is refused, changing nothing.
 */
export const CLOCK_LIMIT_MS = Date.UTC(9000, 0, 1);
export const CLOCK_LIMIT_ISO = '9000-01-01T00:00:00Z';

/** The provider's sample created_at: where a virtual clock starts, so runs replay exactly. */
export const VIRTUAL_CLOCK_START = Date.UTC(2025, 5, 14, 5, 21, 11);

export function nowOf(state: ClockState, systemNow: number): number {
  return state.kind === 'virtual' ? state.nowMs : systemNow + state.offsetMs;
}

/** Why an advance is refused, or undefined when it is allowed. */
export function advanceProblem(now: number, ms: number): string | undefined {
  if (!Number.isSafeInteger(ms) || ms < 0) return `cannot advance a clock by ${ms} ms`;
  if (now + ms > CLOCK_LIMIT_MS)
    return `the clock cannot pass ${CLOCK_LIMIT_ISO}: at most ${Math.max(0, CLOCK_LIMIT_MS - now)} ms more`;
  return undefined;
}

export class ClockLimitError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClockLimitError';
  }
}

function assertAdvance(now: number, ms: number): void {
  const problem = advanceProblem(now, ms);
  if (problem) throw new ClockLimitError(problem);
}

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private offsetMs = 0;

  constructor(private readonly systemNow: () => number = Date.now) {}

  now(): number {
    return this.systemNow() + this.offsetMs;
  }

  advance(ms: number): number {
    assertAdvance(this.now(), ms);
    this.offsetMs += ms;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }

  state(): ClockState {
    return { kind: 'real', offsetMs: this.offsetMs };
  }
}

/** A clock that stands still until told to move. Starts at a fixed instant so runs replay exactly. */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  static readonly DEFAULT_START = VIRTUAL_CLOCK_START;

  private current: number;

  constructor(private readonly start: number = VirtualClock.DEFAULT_START) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    assertAdvance(this.current, ms);
    this.current += ms;
    return this.current;
  }

  reset(): void {
    this.current = this.start;
  }

  state(): ClockState {
    return { kind: 'virtual', nowMs: this.current };
  }
}

/**
 * A clock read from a store at the start of a request: it shows that state's time and cannot be
 * moved here (moving a shared clock is a store operation, so every process sees the same time).
 */
export class ClockSnapshot implements Clock {
  readonly kind: 'real' | 'virtual';

  constructor(
    private readonly snapshot: ClockState,
    private readonly systemNow: () => number = Date.now,
  ) {
    this.kind = snapshot.kind;
  }

  now(): number {
    return nowOf(this.snapshot, this.systemNow());
  }

  advance(): number {
    throw new Error('a clock snapshot cannot be moved: advance it through the store');
  }

  reset(): void {
    throw new Error('a clock snapshot cannot be reset: reset it through the store');
  }

  state(): ClockState {
    return this.snapshot;
  }
}
