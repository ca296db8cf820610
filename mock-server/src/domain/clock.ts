/**
 * Time for the domain. Nothing else in the domain reads the system time: tasks progress, refunds
 * and rate limits all ask a Clock, so a test (or QA) moves time instead of sleeping.
 */
export interface Clock {
  readonly kind: 'real' | 'virtual';
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Moves this clock forward; on a real clock this adds a lasting offset to the system time. */
  advance(ms: number): number;
  /** Back to the start: the virtual clock to its start instant, the real clock to no offset. */
  reset(): void;
}

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): number {
    assertAdvance(ms);
    this.offsetMs += ms;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

/** A clock that stands still until told to move. Starts at a fixed instant so runs replay exactly. */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  static readonly DEFAULT_START = Date.UTC(2025, 5, 14, 5, 21, 11); // the provider's sample created_at

  private current: number;

  constructor(private readonly start: number = VirtualClock.DEFAULT_START) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    assertAdvance(ms);
    this.current += ms;
    return this.current;
  }

  reset(): void {
    this.current = this.start;
  }
}

/** Time only moves forward: terminal task states and the ledger's order depend on it. */
function assertAdvance(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`cannot advance a clock by ${ms} ms`);
}
