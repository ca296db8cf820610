import { afterEach, describe, it, expect, vi } from 'vitest';
import { RealClock, VirtualClock } from '../../mock-server/src/domain/clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('VirtualClock', () => {
  it('starts at the provider sample instant by default', () => {
    const clock = new VirtualClock();
    expect(clock.kind).toBe('virtual');
    expect(new Date(clock.now()).toISOString()).toBe('2025-06-14T05:21:11.000Z');
    expect(VirtualClock.DEFAULT_START).toBe(clock.now());
  });

  it('starts at a given instant', () => {
    expect(new VirtualClock(1_000).now()).toBe(1_000);
  });

  it('stands still until advanced', () => {
    const clock = new VirtualClock(5_000);
    expect(clock.now()).toBe(5_000);
    expect(clock.now()).toBe(5_000);
  });

  it('advance() moves it forward and returns the new time', () => {
    const clock = new VirtualClock(5_000);
    expect(clock.advance(250)).toBe(5_250);
    expect(clock.now()).toBe(5_250);
    expect(clock.advance(0)).toBe(5_250);
    expect(clock.advance(1_000_000)).toBe(1_005_250);
  });

  it.each([-1, 1.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'rejects advance(%s) with a RangeError and does not move',
    (ms) => {
      const clock = new VirtualClock(5_000);
      expect(() => clock.advance(ms)).toThrow(RangeError);
      expect(clock.now()).toBe(5_000);
    },
  );

  it('reset() returns to its start instant', () => {
    const clock = new VirtualClock(5_000);
    clock.advance(123_456);
    clock.reset();
    expect(clock.now()).toBe(5_000);
    const byDefault = new VirtualClock();
    byDefault.advance(10);
    byDefault.reset();
    expect(byDefault.now()).toBe(VirtualClock.DEFAULT_START);
  });
});

describe('RealClock', () => {
  it('reads the system time with no offset', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const clock = new RealClock();
    expect(clock.kind).toBe('real');
    expect(clock.now()).toBe(1_700_000_000_000);
  });

  it('advance() adds a lasting offset to the system time', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const clock = new RealClock();
    expect(clock.advance(60_000)).toBe(1_060_000);
    expect(clock.advance(1)).toBe(1_060_001);
    now.mockReturnValue(2_000_000);
    expect(clock.now()).toBe(2_060_001);
  });

  it('rejects a negative or fractional advance and keeps its offset', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const clock = new RealClock();
    clock.advance(500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(0.5)).toThrow(RangeError);
    expect(clock.now()).toBe(1_000_500);
  });

  it('reset() removes the offset', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const clock = new RealClock();
    clock.advance(99_000);
    clock.reset();
    expect(clock.now()).toBe(1_000_000);
  });
});
