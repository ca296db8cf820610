/**
 * Per-key token buckets on the simulator's clock: `limit` requests per `windowMs`, refilled
 * continuously, bursts up to `limit`. A refused request takes no token, like the comparable
 * resellers' "requests over it get 429 and are not queued".
 */
export interface BucketVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a token is available (Retry-After), 0 when allowed. */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly limit: number,
    windowMs: number,
  ) {
    this.perMs = limit / windowMs;
  }

  take(key: string, now: number): BucketVerdict {
    const bucket = this.buckets.get(key) ?? { tokens: this.limit, at: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    const missing = allowed ? 0 : 1 - bucket.tokens;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.floor(bucket.tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(missing / this.perMs / 1000)),
      resetSeconds: Math.ceil((this.limit - bucket.tokens) / this.perMs / 1000),
    };
  }

  clear(): void {
    this.buckets.clear();
  }
}
