import { describe, it, expect } from 'vitest';
import { createRng, type Rng } from '../../mock-server/src/domain/rng.js';

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

describe('createRng', () => {
  it('replays the same sequence for the same seed', () => {
    expect(draws(createRng('seed'), 50)).toEqual(draws(createRng('seed'), 50));
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(createRng('seed-a'), 10)).not.toEqual(draws(createRng('seed-b'), 10));
  });

  it('treats a numeric seed as its string form', () => {
    expect(draws(createRng(42), 10)).toEqual(draws(createRng('42'), 10));
  });

  it('keeps the sequence of a given seed stable across versions (replays of recorded runs depend on it)', () => {
    const rng = createRng('seed');
    expect(rng.hex(16)).toBe('3db12c0693653980');
    expect(rng.next()).toBeCloseTo(0.85871835751459, 12);
  });

  it('draws floats in [0, 1) spread over the interval', () => {
    const values = draws(createRng('uniform'), 10_000);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(values.filter((v) => v < 0.1).length).toBeGreaterThan(800);
    expect(values.filter((v) => v >= 0.9).length).toBeGreaterThan(800);
  });
});

describe('int', () => {
  it('stays in [0, max) and reaches every value', () => {
    const rng = createRng('ints');
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const n = rng.int(7);
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(7);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('returns 0 for a range of one', () => {
    const rng = createRng('one');
    for (let i = 0; i < 100; i++) expect(rng.int(1)).toBe(0);
  });
});

describe('hex', () => {
  it.each([0, 1, 5, 8, 9, 16, 33])('gives exactly %i lowercase hex digits', (digits) => {
    const value = createRng(`hex-${digits}`).hex(digits);
    expect(value).toHaveLength(digits);
    expect(value).toMatch(/^[0-9a-f]*$/);
  });

  it('uses every hex digit', () => {
    const rng = createRng('hex-charset');
    const seen = new Set(Array.from({ length: 100 }, () => rng.hex(16)).join(''));
    expect([...seen].sort().join('')).toBe('0123456789abcdef');
  });

  it('does not repeat over many draws', () => {
    const rng = createRng('hex-unique');
    const ids = Array.from({ length: 5_000 }, () => rng.hex(16));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('fork', () => {
  it('is reproducible: the same label from the same seed gives the same stream', () => {
    expect(draws(createRng('root').fork('ids'), 20)).toEqual(draws(createRng('root').fork('ids'), 20));
  });

  it('gives different streams for different labels, and differs from the parent', () => {
    const root = createRng('root');
    const a = draws(root.fork('a'), 10);
    const b = draws(root.fork('b'), 10);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(draws(createRng('root'), 10));
  });

  it('gives different streams for the same label under different seeds', () => {
    expect(draws(createRng('root-1').fork('ids'), 10)).not.toEqual(
      draws(createRng('root-2').fork('ids'), 10),
    );
  });

  it('is independent: drawing from the parent or a sibling does not shift a fork', () => {
    const reference = draws(createRng('root').fork('ids'), 10);

    const root = createRng('root');
    const ids = root.fork('ids');
    const chaos = root.fork('chaos');
    draws(root, 37);
    draws(chaos, 101);
    expect(draws(ids, 10)).toEqual(reference);

    // A fork taken after the parent has drawn is the same stream too: forks derive from the seed.
    const late = createRng('root');
    draws(late, 5);
    expect(draws(late.fork('ids'), 10)).toEqual(reference);
  });

  it('can be forked again, reproducibly', () => {
    const a = createRng('root').fork('x').fork('y');
    const b = createRng('root').fork('x').fork('y');
    expect(draws(a, 10)).toEqual(draws(b, 10));
    expect(draws(createRng('root').fork('x').fork('z'), 10)).not.toEqual(draws(b, 10));
  });
});
