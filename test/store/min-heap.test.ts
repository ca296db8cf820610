import { describe, it, expect } from 'vitest';
import { createRng } from '../../mock-server/src/domain/rng.js';
import { MinHeap } from '../../mock-server/src/store/min-heap.js';

describe('MinHeap', () => {
  it('is empty at first', () => {
    const heap = new MinHeap<string>();
    expect(heap.size).toBe(0);
    expect(heap.peekKey()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('pops values in key order', () => {
    const heap = new MinHeap<string>();
    for (const [k, v] of [
      [5, 'e'],
      [1, 'a'],
      [4, 'd'],
      [2, 'b'],
      [3, 'c'],
    ] as const)
      heap.push(k, v);
    expect(heap.size).toBe(5);
    expect(heap.peekKey()).toBe(1);
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sorts 1,000 seeded keys, duplicates included', () => {
    const rng = createRng('heap');
    const heap = new MinHeap<number>();
    const keys = Array.from({ length: 1_000 }, () => rng.int(200));
    keys.forEach((k) => heap.push(k, k));
    const out: number[] = [];
    while (heap.size > 0) {
      const key = heap.peekKey()!;
      const value = heap.pop()!;
      expect(value).toBe(key);
      out.push(value);
    }
    expect(out).toEqual([...keys].sort((a, b) => a - b));
  });

  it('interleaves pushes and pops', () => {
    const heap = new MinHeap<string>();
    heap.push(10, 'x');
    heap.push(5, 'y');
    expect(heap.pop()).toBe('y');
    heap.push(1, 'z');
    heap.push(20, 'w');
    expect(heap.pop()).toBe('z');
    expect(heap.pop()).toBe('x');
    expect(heap.pop()).toBe('w');
    expect(heap.size).toBe(0);
  });

  it('clear() empties it', () => {
    const heap = new MinHeap<string>();
    heap.push(1, 'a');
    heap.push(2, 'b');
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });
});
