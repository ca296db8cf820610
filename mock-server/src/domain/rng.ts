/**
 * Seeded randomness. Every random choice of the simulator (task ids, latency jitter, outcomes,
 * chaos) is drawn from an Rng derived from one seed, so the same seed replays the same run.
 *
 * Streams are forked by label: the ids stream does not shift when, say, a chaos rule draws an
 * extra number, so a replay stays aligned even when QA adds fault rules.
 */
import { createHash } from 'node:crypto';

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** `digits` lowercase hex digits. */
  hex(digits: number): string;
  /** A new independent stream derived from this one's seed and `label`. */
  fork(label: string): Rng;
}

/** cyrb128: a small, well-mixed string hash giving four 32-bit words, used to seed sfc32. */
function cyrb128(input: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < input.length; i++) {
    const k = input.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 (Small Fast Counter): passes PractRand, 128-bit state, fast in JS. */
class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(private readonly seed: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(seed);
    for (let i = 0; i < 12; i++) this.nextUint32(); // discard the first outputs, as sfc32's authors advise
  }

  private nextUint32(): number {
    this.a |= 0;
    this.b |= 0;
    this.c |= 0;
    this.d |= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  hex(digits: number): string {
    let out = '';
    while (out.length < digits) out += this.nextUint32().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  }

  fork(label: string): Rng {
    return new Sfc32(`${this.seed}/${label}`);
  }
}

export function createRng(seed: string | number): Rng {
  return new Sfc32(String(seed));
}

/**
 * Counter-based draws: draw `n` of the stream `name` of `seed` is a pure function of the three, as
 * Philox-style generators work (numpy, JAX). `n` comes from a counter in the Store, so one seed
 * replays the same run in one process or across a fleet, two processes never get the same draw, and
 * a world's streams are untouched by its neighbours'.
 *
 * SHA-1 because the Redis store computes the same draws inside its scripts, where `redis.sha1hex` is
 * the one hash available: 52 bits of the digest make a double in [0, 1) exactly, in Lua as in JS.
 */
export function counterDraw(seed: string, name: string, n: number): number {
  const hex = createHash('sha1').update(`${seed}/${name}/${n}`).digest('hex');
  return Number.parseInt(hex.slice(0, 13), 16) / 2 ** 52;
}

/** The random stream of one counter value: the randomness of one task, say. */
export function counterStream(seed: string, name: string, n: number): Rng {
  return createRng(`${seed}/${name}/${n}`);
}
