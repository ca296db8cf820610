import { describe, it, expect } from 'vitest';
import {
  DEFAULT_FAILURE_RATE,
  LATENCY_PROFILES,
  taskDurationMs,
  type LatencyProfileName,
} from '../../mock-server/src/domain/latency.js';
import type { Preset } from '../../mock-server/src/domain/pricing.js';
import { createRng, type Rng } from '../../mock-server/src/domain/rng.js';
import type { Quality } from '../../mock-server/src/domain/wire-types.js';

const PRESETS: readonly Preset[] = [
  'text-to-image-basic',
  'text-to-image-high',
  'edit-basic',
  'edit-high',
  'burst',
];
const QUALITIES: readonly Quality[] = ['basic', 'high'];

/** An Rng that always draws the same number, so every image of a task takes the same time. */
function constantRng(value: number): Rng {
  const rng: Rng = {
    next: () => value,
    int: (max) => Math.floor(value * max),
    hex: (d) => '0'.repeat(d),
    fork: () => rng,
  };
  return rng;
}

/** An Rng that counts its draws. */
function countingRng(inner: Rng): Rng & { count: number } {
  const rng = {
    count: 0,
    next: () => {
      rng.count++;
      return inner.next();
    },
    int: (max: number) => inner.int(max),
    hex: (d: number) => inner.hex(d),
    fork: (label: string) => inner.fork(label),
  };
  return rng;
}

function sample(
  profile: LatencyProfileName,
  preset: Preset,
  quality: Quality,
  n: number,
  seed: string,
): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => taskDurationMs(profile, preset, quality, rng));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};

describe('taskDurationMs', () => {
  it('lists the three profiles', () => {
    expect([...LATENCY_PROFILES]).toEqual(['realistic', 'fast', 'instant']);
  });

  it.each(PRESETS)('is 0 for the instant profile (%s)', (preset) => {
    for (const quality of QUALITIES) {
      for (const d of sample('instant', preset, quality, 50, `instant-${preset}`)) expect(d).toBe(0);
    }
  });

  it('draws nothing for the instant profile', () => {
    const rng = countingRng(createRng('instant-draws'));
    taskDurationMs('instant', 'burst', 'high', rng);
    expect(rng.count).toBe(0);
  });

  it('is reproducible for a seed', () => {
    expect(sample('realistic', 'edit-high', 'high', 100, 'replay')).toEqual(
      sample('realistic', 'edit-high', 'high', 100, 'replay'),
    );
  });

  it('returns whole milliseconds', () => {
    for (const d of sample('fast', 'edit-basic', 'basic', 200, 'whole'))
      expect(Number.isInteger(d)).toBe(true);
  });

  it.each(PRESETS)('fast is a fifteenth of realistic for the same draws (%s)', (preset) => {
    for (const quality of QUALITIES) {
      const realistic = sample('realistic', preset, quality, 300, `scale-${preset}`);
      const fast = sample('fast', preset, quality, 300, `scale-${preset}`);
      realistic.forEach((r, i) => {
        expect(Math.abs(fast[i]! - r / 15)).toBeLessThanOrEqual(1);
      });
    }
  });

  it('over 2,000 seeded draws: realistic basic has a median of 20 to 25 s', () => {
    const m = median(sample('realistic', 'text-to-image-basic', 'basic', 2_000, 'median-basic'));
    expect(m).toBeGreaterThanOrEqual(20_000);
    expect(m).toBeLessThanOrEqual(25_000);
  });

  it('over 2,000 seeded draws: realistic high has a median of 40 to 50 s', () => {
    const m = median(sample('realistic', 'text-to-image-high', 'high', 2_000, 'median-high'));
    expect(m).toBeGreaterThanOrEqual(40_000);
    expect(m).toBeLessThanOrEqual(50_000);
  });

  it('over 2,000 seeded draws: about 5% of basic tasks exceed the 45 s p95', () => {
    const slow = sample('realistic', 'text-to-image-basic', 'basic', 2_000, 'p95-basic').filter(
      (d) => d > 45_000,
    );
    expect(slow.length / 2_000).toBeGreaterThan(0.03);
    expect(slow.length / 2_000).toBeLessThan(0.07);
  });

  it('an edit adds 3 to 8 s to the same draws', () => {
    for (const quality of QUALITIES) {
      const single = sample(
        'realistic',
        quality === 'high' ? 'text-to-image-high' : 'text-to-image-basic',
        quality,
        500,
        `edit-${quality}`,
      );
      const edit = sample(
        'realistic',
        quality === 'high' ? 'edit-high' : 'edit-basic',
        quality,
        1,
        `edit-${quality}`,
      );
      // Same seed: the edit's image draw is the single image's first draw, then the extra.
      const extra = edit[0]! - single[0]!;
      expect(extra).toBeGreaterThanOrEqual(3_000 - 1);
      expect(extra).toBeLessThanOrEqual(8_000 + 1);
    }
    // With a fixed draw the extra is exactly 3 s + draw * 5 s.
    const d = (preset: Preset) => taskDurationMs('realistic', preset, 'basic', constantRng(0.3));
    expect(d('edit-basic') - d('text-to-image-basic')).toBe(4_500);
  });

  it('edits are 3 to 8 s slower than text-to-image over many draws', () => {
    const plain = sample('realistic', 'text-to-image-basic', 'basic', 2_000, 'edit-median');
    const edit = sample('realistic', 'edit-basic', 'basic', 2_000, 'edit-median-2');
    const diff = median(edit) - median(plain);
    expect(diff).toBeGreaterThan(3_000 - 2_000);
    expect(diff).toBeLessThan(8_000 + 2_000);
  });

  it.each(QUALITIES)('the burst is four images one after another (%s)', (quality) => {
    const single = taskDurationMs(
      'realistic',
      quality === 'high' ? 'text-to-image-high' : 'text-to-image-basic',
      quality,
      constantRng(0.42),
    );
    const burst = taskDurationMs('realistic', 'burst', quality, constantRng(0.42));
    expect(Math.abs(burst - 4 * single)).toBeLessThanOrEqual(2);
  });

  it('the burst sums four seeded image draws', () => {
    const rng = createRng('burst-sum');
    const four = Array.from({ length: 4 }, () =>
      taskDurationMs('realistic', 'text-to-image-basic', 'basic', rng),
    );
    const burst = taskDurationMs('realistic', 'burst', 'basic', createRng('burst-sum'));
    expect(Math.abs(burst - four.reduce((s, d) => s + d, 0))).toBeLessThanOrEqual(2);
  });

  it('the burst median is about four times the single-image median', () => {
    const single = median(sample('realistic', 'text-to-image-basic', 'basic', 2_000, 'burst-median'));
    const burst = median(sample('realistic', 'burst', 'basic', 2_000, 'burst-median-2'));
    expect(burst / single).toBeGreaterThan(3.5);
    expect(burst / single).toBeLessThan(5);
  });

  const CLAMPS: Array<[Preset, Quality, number, number]> = [
    ['text-to-image-basic', 'basic', 12_000, 90_000],
    ['text-to-image-high', 'high', 30_000, 120_000],
    ['edit-basic', 'basic', 15_000, 98_000],
    ['edit-high', 'high', 33_000, 128_000],
    ['burst', 'basic', 48_000, 360_000],
    ['burst', 'high', 120_000, 480_000],
  ];

  it.each(CLAMPS)('keeps realistic %s (%s) within [%i, %i] ms', (preset, quality, min, max) => {
    for (const d of sample('realistic', preset, quality, 2_000, `clamp-${preset}-${quality}`)) {
      expect(d).toBeGreaterThanOrEqual(min);
      expect(d).toBeLessThanOrEqual(max);
    }
  });

  it('clamps the extreme draws to the bounds exactly', () => {
    // next() close to 1 makes u tiny: a huge normal draw, clamped to the maximum.
    expect(taskDurationMs('realistic', 'text-to-image-basic', 'basic', constantRng(1 - 2 ** -52))).toBe(
      90_000,
    );
    expect(taskDurationMs('realistic', 'text-to-image-high', 'high', constantRng(1 - 2 ** -52))).toBe(
      120_000,
    );
    // v = 0.5 makes cos(pi) = -1: a very negative draw when u is tiny, clamped to the minimum.
    const low: Rng = (() => {
      let i = 0;
      const r: Rng = {
        next: () => (i++ % 2 === 0 ? 1 - 2 ** -52 : 0.5),
        int: () => 0,
        hex: () => '',
        fork: () => r,
      };
      return r;
    })();
    expect(taskDurationMs('realistic', 'text-to-image-basic', 'basic', low)).toBe(12_000);
    expect(taskDurationMs('fast', 'text-to-image-basic', 'basic', constantRng(1 - 2 ** -52))).toBe(6_000);
  });

  it('keeps fast durations within the scaled clamps', () => {
    for (const d of sample('fast', 'text-to-image-basic', 'basic', 2_000, 'fast-clamp')) {
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(6_000);
    }
  });
});

describe('DEFAULT_FAILURE_RATE', () => {
  it('is 3% for realistic and 0 otherwise', () => {
    expect(DEFAULT_FAILURE_RATE).toEqual({ realistic: 0.03, fast: 0, instant: 0 });
  });
});
