import { describe, expect, it } from 'vitest';
import { fullJitterDelay, nextPollInterval, parseRetryAfter, realSleep } from './backoff.js';

const policy = { baseDelayMs: 1_000, maxDelayMs: 16_000 };

describe('fullJitterDelay', () => {
  it('draws uniformly below min(max, base * 2^attempt)', () => {
    expect(fullJitterDelay(0, policy, () => 0.5)).toBe(500);
    expect(fullJitterDelay(1, policy, () => 0.5)).toBe(1_000);
    expect(fullJitterDelay(3, policy, () => 0.5)).toBe(4_000);
    expect(fullJitterDelay(4, policy, () => 0.5)).toBe(8_000);
  });

  it('stops growing at maxDelayMs', () => {
    expect(fullJitterDelay(5, policy, () => 0.5)).toBe(8_000);
    expect(fullJitterDelay(40, policy, () => 0.5)).toBe(8_000);
  });

  it('spans [0, ceiling): zero is possible, the ceiling is not', () => {
    expect(fullJitterDelay(2, policy, () => 0)).toBe(0);
    expect(fullJitterDelay(2, policy, () => 0.999_999)).toBe(3_999);
  });

  it('treats a negative attempt as the first', () => {
    expect(fullJitterDelay(-3, policy, () => 0.5)).toBe(500);
  });
});

describe('nextPollInterval', () => {
  it('stretches by the factor up to the maximum', () => {
    expect(nextPollInterval(3_000, 1.5, 6_000)).toBe(4_500);
    expect(nextPollInterval(4_500, 1.5, 6_000)).toBe(6_000);
    expect(nextPollInterval(6_000, 1.5, 6_000)).toBe(6_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 5, 14, 5, 21, 11);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Sat, 14 Jun 2025 05:21:16 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Sat, 14 Jun 2025 05:00:00 GMT', now)).toBe(0);
  });

  it('gives undefined for an absent or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    // Date.parse would read "1.5" as a date in 2001; it is neither form of Retry-After.
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
});

describe('realSleep', () => {
  it('resolves after the delay', async () => {
    const started = performance.now();
    await realSleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('rejects with the reason when aborted, early', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const sleeping = realSleep(10_000, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await expect(sleeping).rejects.toThrow('stop');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects at once when already aborted', async () => {
    await expect(realSleep(10_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
