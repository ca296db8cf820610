import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import {
  createImageRenderer,
  loadSharp,
  type ImageRequest,
  type Sharp,
} from '../../mock-server/src/images/image-renderer.js';
import {
  ASPECT_RATIOS,
  OUTPUT_SIZES,
  QUALITIES,
  outputSize,
} from '../../mock-server/src/images/output-sizes.js';

// Counting the renderer's sharp() calls counts its encodings: an encoding makes a fixed number of
// them, measured by sharpCallsPerEncode(). The renderers that count are given a loader of a
// counting sharp; the tests' own sharp() calls (decoding) do not go through it.
const encodes = { count: 0 };
const countingLoader = async (): Promise<Sharp> => {
  const real = await loadSharp();
  return new Proxy(real, {
    apply(target, thisArg, args) {
      encodes.count++;
      return Reflect.apply(target, thisArg, args);
    },
  });
};
const countedRenderer = (options: Parameters<typeof createImageRenderer>[0] = {}) =>
  createImageRenderer({ ...options, loadEncoder: countingLoader });

let calibrations = 0;
async function sharpCallsPerEncode(): Promise<number> {
  encodes.count = 0;
  await countedRenderer().render(request(`sd45_calibrate_${calibrations++}`));
  const calls = encodes.count;
  expect(calls).toBeGreaterThan(0); // the counting loader is in place
  encodes.count = 0;
  return calls;
}

const request = (taskId: string, index = 0, width = 320, height = 240): ImageRequest => ({
  taskId,
  index,
  width,
  height,
});

describe('outputSize', () => {
  it('gives the upstream table, 2K for basic and 4K for high', () => {
    expect(outputSize('1:1', 'basic')).toEqual({ width: 2048, height: 2048 });
    expect(outputSize('16:9', 'high')).toEqual({ width: 5504, height: 3040 });
    expect(outputSize('9:16', 'high')).toEqual({ width: 3040, height: 5504 });
    expect(outputSize('3:4', 'basic')).toEqual({ width: 1728, height: 2304 });
  });

  it('returns a copy the caller may change without altering the table', () => {
    const size = outputSize('4:3', 'high');
    size.width = 1;
    expect(outputSize('4:3', 'high').width).toBe(4704);
  });

  it('refuses values outside the table', () => {
    expect(() => outputSize('2:1' as never, 'basic')).toThrow(RangeError);
    expect(() => outputSize('1:1', 'ultra' as never)).toThrow(RangeError);
  });
});

describe('createImageRenderer', () => {
  describe('every upstream size', () => {
    const renderer = createImageRenderer({ cacheBytes: 0 });
    for (const aspectRatio of ASPECT_RATIOS) {
      for (const quality of QUALITIES) {
        const { width, height } = OUTPUT_SIZES[aspectRatio][quality];
        it(`${aspectRatio} ${quality}: a ${width}x${height} JPEG`, async () => {
          const jpeg = await renderer.render(request('sd45_00112233aabbccdd', 0, width, height));
          const meta = await sharp(jpeg).metadata();
          expect(meta.format).toBe('jpeg');
          expect([meta.width, meta.height]).toEqual([width, height]);
        });
      }
    }
  });

  it('also renders sides that are not multiples of the pattern cell, down to 1x1', async () => {
    const renderer = createImageRenderer();
    for (const [width, height] of [
      [1001, 333],
      [1, 1],
      [17, 4000],
      [5503, 3037],
    ] as const) {
      const meta = await sharp(await renderer.render(request('sd45_odd', 0, width, height))).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
    }
  });

  it('is deterministic: separate renderers give byte-identical JPEGs for the same request', async () => {
    const req = request('sd45_0123456789abcdef', 2, 1600, 900);
    const a = await createImageRenderer().render(req);
    const b = await createImageRenderer().render(req);
    expect(a).not.toBe(b); // two encodings, not one cached buffer
    expect(a.equals(b)).toBe(true);
  });

  it('gives different images for different tasks, indexes and sizes', async () => {
    const renderer = createImageRenderer();
    const base = await renderer.render(request('sd45_0123456789abcdef', 0));
    const others = await Promise.all([
      renderer.render(request('sd45_0123456789abcdee', 0)),
      renderer.render(request('sd45_0123456789abcdef', 1)),
      renderer.render(request('sd45_0123456789abcdef', 0, 321, 240)),
    ]);
    for (const other of others) expect(other.equals(base)).toBe(false);
  });

  it('draws a coloured picture, not a flat or grey one, with colours that depend on the task', async () => {
    const renderer = createImageRenderer();
    const means: number[][] = [];
    for (const taskId of ['sd45_aaaaaaaaaaaaaaaa', 'sd45_bbbbbbbbbbbbbbbb']) {
      const { channels } = await sharp(await renderer.render(request(taskId))).stats();
      expect(channels).toHaveLength(3);
      for (const channel of channels) expect(channel.stdev).toBeGreaterThan(5); // not flat
      const [r, g, b] = channels.map((c) => c.mean) as [number, number, number];
      expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeGreaterThan(10); // not grey
      means.push([r, g, b]);
    }
    const distance = Math.hypot(...means[0]!.map((v, i) => v - means[1]![i]!));
    expect(distance).toBeGreaterThan(10);
  });

  it('encodes concurrent renders of the same request once, and gives all callers the same buffer', async () => {
    const perEncode = await sharpCallsPerEncode();
    const renderer = countedRenderer();
    const req = request('sd45_concurrent', 0, 2048, 2048);
    const results = await Promise.all([renderer.render(req), renderer.render(req), renderer.render(req)]);
    expect(encodes.count).toBe(perEncode);
    expect(results[1]).toBe(results[0]);
    expect(results[2]).toBe(results[0]);
  });

  it('serves a warmed request from the one background encoding', async () => {
    const perEncode = await sharpCallsPerEncode();
    const renderer = countedRenderer();
    const req = request('sd45_warm', 1, 640, 480);
    renderer.warm(req);
    const first = await renderer.render(req);
    const again = await renderer.render(req);
    expect(encodes.count).toBe(perEncode);
    expect(again).toBe(first);
    expect(renderer.cachedBytes()).toBe(first.length);
  });

  it('encodes again once a cached image was evicted, and evicts the least recently used first', async () => {
    const perEncode = await sharpCallsPerEncode();
    const sizes = countedRenderer();
    const a = request('sd45_lru_a', 0, 256, 256);
    const b = request('sd45_lru_b', 0, 256, 256);
    const c = request('sd45_lru_c', 0, 64, 64);
    const [aBytes, bBytes, cBytes] = (await Promise.all([a, b, c].map((r) => sizes.render(r)))).map(
      (jpeg) => jpeg.length,
    ) as [number, number, number];
    expect(cBytes).toBeLessThan(bBytes); // so adding c needs exactly one eviction

    const bound = aBytes + bBytes;
    const renderer = countedRenderer({ cacheBytes: bound });
    await renderer.render(a);
    await renderer.render(b);
    expect(renderer.cachedBytes()).toBe(bound);
    await renderer.render(a); // a is now the most recently used
    encodes.count = 0;

    await renderer.render(c); // evicts b
    expect(renderer.cachedBytes()).toBeLessThanOrEqual(bound);
    expect(renderer.cachedBytes()).toBe(aBytes + cBytes);
    expect(encodes.count).toBe(perEncode);

    await renderer.render(a);
    expect(encodes.count).toBe(perEncode); // still cached
    await renderer.render(b);
    expect(encodes.count).toBe(2 * perEncode); // evicted, encoded again
    expect(renderer.cachedBytes()).toBeLessThanOrEqual(bound);
  });

  it('keeps cachedBytes() within the bound over many renders', async () => {
    const bound = 40_000;
    const renderer = createImageRenderer({ cacheBytes: bound });
    let total = 0;
    for (let i = 0; i < 20; i++) {
      total += (await renderer.render(request(`sd45_many_${i}`, i % 4, 400, 300))).length;
      expect(renderer.cachedBytes()).toBeGreaterThan(0);
      expect(renderer.cachedBytes()).toBeLessThanOrEqual(bound);
    }
    expect(total).toBeGreaterThan(bound); // the bound was actually exercised
  });

  it('does not cache an image larger than the whole cache, but still returns it', async () => {
    const renderer = createImageRenderer({ cacheBytes: 100 });
    const jpeg = await renderer.render(request('sd45_big'));
    expect(jpeg.length).toBeGreaterThan(100);
    expect(renderer.cachedBytes()).toBe(0);
  });

  it('rejects invalid requests from render(), and warm() swallows them', async () => {
    const renderer = createImageRenderer();
    await expect(renderer.render(request('sd45_bad', 0, 0, 10))).rejects.toThrow(RangeError);
    await expect(renderer.render(request('sd45_bad', 0, 10, 20_000))).rejects.toThrow(RangeError);
    await expect(renderer.render(request('sd45_bad', 0, 10.5, 10))).rejects.toThrow(RangeError);
    await expect(renderer.render(request('sd45_bad', -1))).rejects.toThrow(RangeError);
    expect(() => renderer.warm(request('sd45_bad', 0, -5, 10))).not.toThrow();
    // An unhandled rejection from warm() would fail the run; give it the chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(renderer.cachedBytes()).toBe(0);
  });

  it('refuses invalid options', () => {
    expect(() => createImageRenderer({ cacheBytes: -1 })).toThrow(RangeError);
    expect(() => createImageRenderer({ jpegQuality: 0 })).toThrow(RangeError);
    expect(() => createImageRenderer({ jpegQuality: 101 })).toThrow(RangeError);
  });
});
