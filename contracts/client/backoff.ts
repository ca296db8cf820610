/**
 * Timing arithmetic of the client, kept pure (time, randomness and sleeping are passed in) so tests
 * check it exactly and a test against the simulator can make `sleep` advance a virtual clock.
 */

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay; doubles with each consecutive failure. */
  baseDelayMs: number;
  /** The ceiling never grows past this. */
  maxDelayMs: number;
}

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"): a delay
 * drawn uniformly from [0, min(max, base * 2^attempt)). The spread stops many clients that failed
 * together from retrying together, which plain exponential backoff would make them do.
 *
 * @param attempt 0 for the first retry, 1 for the second, ...
 * @param random a uniform draw in [0, 1), as Math.random
 */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** The next polling interval: the current one stretched by `factor`, never above `maxMs`. */
export function nextPollInterval(currentMs: number, factor: number, maxMs: number): number {
  return Math.min(maxMs, Math.round(currentMs * factor));
}

/**
 * Milliseconds to wait according to a `Retry-After` header (RFC 9110 section 10.2.3): either a number of
 * seconds or an HTTP-date. The spec sends seconds; the date form is accepted because proxies use it.
 * Undefined when the header is absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, date - nowMs);
}

/** A real sleep that ends early, rejecting with the signal's reason, when the signal aborts. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
