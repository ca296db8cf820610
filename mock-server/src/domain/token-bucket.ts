/**
 * Per-key token buckets on the simulator's clock: `limit` requests per `windowMs`, refilled
 * continuously, bursts up to `limit`. A refused request takes no token, like the comparable
 * resellers' "requests over it get 429 and are not queued".
 *
 * The rule is a pure function of the bucket's state, so a store applies it inside one atomic
 * operation (the Redis store's script follows it line by line).
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

export interface BucketState {
  tokens: number;
  at: number;
}

export function takeToken(
  state: BucketState | undefined,
  now: number,
  limit: number,
  windowMs: number,
): { state: BucketState; verdict: BucketVerdict } {
  const perMs = limit / windowMs;
  const before = state ?? { tokens: limit, at: now };
  let tokens = Math.min(limit, before.tokens + Math.max(0, now - before.at) * perMs);
  const allowed = tokens >= 1;
  if (allowed) tokens -= 1;
  const missing = allowed ? 0 : 1 - tokens;
  return {
    state: { tokens, at: Math.max(now, before.at) },
    verdict: {
      allowed,
      limit,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(missing / perMs / 1000)),
      resetSeconds: Math.ceil((limit - tokens) / perMs / 1000),
    },
  };
}
