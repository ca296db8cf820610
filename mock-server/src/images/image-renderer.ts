/**
 * Placeholder JPEGs for the images of succeeded tasks, at the upstream's exact pixel sizes, so that
 * clients exercise real downloads, decoders and layout against the simulator.
 *
 * Each image is a gradient with a few discs and rings, its colours and shapes taken from a hash of
 * the task id and image index: the same task always gets the same bytes, and different tasks are
 * told apart at a glance. A row of `index + 1` small squares in the bottom-left corner (up to 8)
 * tells the images of a burst apart. No text: fonts may be missing where the simulator runs.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';

export interface ImageRequest {
  taskId: string;
  index: number;
  width: number;
  height: number;
}

export interface ImageRenderer {
  /** JPEG bytes of the image, deterministic for the same request (byte-identical). */
  render(req: ImageRequest): Promise<Buffer>;
  /** Starts rendering in the background so a later render() is served from cache; never rejects. */
  warm(req: ImageRequest): void;
  /** Bytes currently cached. */
  cachedBytes(): number;
}

export interface ImageRendererOptions {
  /** Bound of the encoded-image cache, in bytes; 0 disables it. Default 256 MiB. */
  cacheBytes?: number;
  /** libjpeg quality, 1 to 100. Default 80. */
  jpegQuality?: number;
}

const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
const DEFAULT_JPEG_QUALITY = 80;

/**
 * Bound on each side: well above the largest upstream side (5504), low enough that a bad request
 * cannot ask for gigapixels.
 */
const MAX_SIDE = 16_384;

/**
 * The pattern is computed once per square cell, in JS, and sharp enlarges it by the cell's side
 * with nearest neighbour. That lets libvips take its integer zoom path instead of a resampling
 * kernel, and, the side being a multiple of 16, makes every 16x16 MCU of a 4:2:0 JPEG one flat
 * colour, so the encoder writes little but DC coefficients. Measured on 2 cores, 5504x3040: about
 * 35 ms, against about 230 ms interpolating linearly from a small image and about 480 ms
 * rasterising an SVG gradient.
 *
 * The side doubles until there are at most MAX_CELLS cells (16 px at 2K, 32 px at 4K: about 170 x
 * 95 cells at 16:9 in both tiers), because the painting loop is the only work on the event loop and
 * its first runs, before V8 optimises it, cost about 0.5 us a cell (32 ms for 65k cells).
 */
const MIN_CELL = 16;
const MAX_CELLS = 20_000;

/** Beyond this many, the squares that number a burst's images would cross the picture. */
const MAX_MARKS = 8;

/**
 * sharp runs each job on a thread of libuv's pool (4 threads by default), which fs, dns and crypto
 * share; a 4-image burst at 4K would take all of them. Encoding more images at once than there are
 * cores finishes none of them sooner, so at most that many run, and at least one pool thread stays free.
 */
const MAX_PARALLEL_ENCODES = Math.max(1, Math.min(availableParallelism(), 3));

let runningEncodes = 0;
const waitingEncodes: (() => void)[] = [];

/** Runs `job` once fewer than MAX_PARALLEL_ENCODES encodings run, across all renderers (one pool). */
async function limitEncodes<T>(job: () => Promise<T>): Promise<T> {
  if (runningEncodes < MAX_PARALLEL_ENCODES) runningEncodes++;
  else await new Promise<void>((resolve) => waitingEncodes.push(resolve));
  try {
    return await job();
  } finally {
    // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
    const next = waitingEncodes.shift();
    if (next) next();
    else runningEncodes--;
  }
}

const JPEG_OPTIONS = {
  // Measured on 5504x3040: Huffman optimisation makes files about 2.4 times smaller (111 KiB vs
  // 266 KiB) but encodes two passes, 60 to 440 ms instead of about 35 ms; mozjpeg takes about 1 s.
  // A local simulator pays for CPU time, not bytes on the wire.
  optimiseCoding: false,
  mozjpeg: false,
  chromaSubsampling: '4:2:0',
} as const;

let sharpConfigured = false;

/** These settings are process-wide; the simulator has no other sharp user. */
function configureSharp(): void {
  if (sharpConfigured) return;
  sharpConfigured = true;
  // libvips' operation cache keeps recent operations and their pixels for identical later calls.
  // Every call here starts from a new raw buffer, so nothing could ever hit; it would only hold up
  // to 50 MB of 4K pixels. This module caches the encoded JPEGs instead.
  sharp.cache(false);
  // One libvips thread per image: the pipeline is a zoom feeding libjpeg's sequential encoder, and
  // a second thread per image measured no faster. Parallelism comes from encoding several images
  // at once (MAX_PARALLEL_ENCODES). It is also sharp's own default on glibc without jemalloc, where
  // more threads fragment the heap; setting it explicitly keeps the measured behaviour everywhere.
  sharp.concurrency(1);
}

export function createImageRenderer(options: ImageRendererOptions = {}): ImageRenderer {
  const cacheLimit = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const quality = options.jpegQuality ?? DEFAULT_JPEG_QUALITY;
  if (!Number.isFinite(cacheLimit) || cacheLimit < 0) {
    throw new RangeError(`cacheBytes must be a non-negative number, got ${cacheLimit}`);
  }
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new RangeError(`jpegQuality must be an integer from 1 to 100, got ${quality}`);
  }
  configureSharp();

  // A Map iterates in insertion order, so re-inserting an entry on each hit leaves the least
  // recently used entry first: an LRU without a linked list.
  const cache = new Map<string, Buffer>();
  const inFlight = new Map<string, Promise<Buffer>>();
  let bytes = 0;

  function remember(key: string, jpeg: Buffer): void {
    if (jpeg.length > cacheLimit) return; // would evict everything and still not fit
    cache.set(key, jpeg);
    bytes += jpeg.length;
    for (const [oldKey, old] of cache) {
      if (bytes <= cacheLimit) break;
      cache.delete(oldKey);
      bytes -= old.length;
    }
  }

  // async, so that an invalid request rejects rather than throws, as warm() relies on.
  async function render(req: ImageRequest): Promise<Buffer> {
    const key = cacheKey(req);
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    // Callers share the one encoding, and so receive the same Buffer instance (also from the cache):
    // they must not modify it.
    let job = inFlight.get(key);
    if (!job) {
      job = limitEncodes(() => encode(req, quality))
        .then((jpeg) => {
          remember(key, jpeg);
          return jpeg;
        })
        // Cached before it leaves inFlight, so a concurrent caller always finds one or the other.
        .finally(() => inFlight.delete(key));
      inFlight.set(key, job);
    }
    return job;
  }

  return {
    render,
    warm(req) {
      // A failure is not lost: the later render() of the same request fails the same way.
      render(req).catch(() => undefined);
    },
    cachedBytes: () => bytes,
  };
}

function cacheKey({ taskId, index, width, height }: ImageRequest): string {
  if (typeof taskId !== 'string') throw new TypeError('taskId must be a string');
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`index must be a non-negative integer, got ${index}`);
  }
  for (const [name, side] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(side) || side < 1 || side > MAX_SIDE) {
      throw new RangeError(`${name} must be an integer from 1 to ${MAX_SIDE}, got ${side}`);
    }
  }
  // taskId last, so whatever characters it holds the key stays unambiguous.
  return `${width}x${height}:${index}:${taskId}`;
}

async function encode(req: ImageRequest, quality: number): Promise<Buffer> {
  let cell = MIN_CELL;
  while (Math.ceil(req.width / cell) * Math.ceil(req.height / cell) > MAX_CELLS) cell *= 2;
  const cols = Math.ceil(req.width / cell);
  const rows = Math.ceil(req.height / cell);
  const cells = paintCells(seedOf(req), req.index, req.width, req.height, cell, cols, rows);
  let pipeline = sharp(cells, { raw: { width: cols, height: rows, channels: 3 } }).resize(
    cols * cell,
    rows * cell,
    { kernel: 'nearest' },
  );
  // Sides that are not multiples of the cell are cut from the enlarged image, keeping the integer zoom.
  if (cols * cell !== req.width || rows * cell !== req.height) {
    pipeline = pipeline.extract({ left: 0, top: 0, width: req.width, height: req.height });
  }
  return pipeline.jpeg({ ...JPEG_OPTIONS, quality }).toBuffer();
}

/** Not the size: a task's image looks the same at 2K and at 4K. */
function seedOf({ taskId, index }: ImageRequest): Buffer {
  return createHash('sha256').update(`dreamcore-placeholder\0${index}\0${taskId}`).digest();
}

type Rgb = [number, number, number];

const WHITE: Rgb = [255, 255, 255];

interface Shape {
  cx: number;
  cy: number;
  /** Squared distances from the centre between which a cell is inside: 0 to r² for a disc, a band for a ring. */
  inner2: number;
  outer2: number;
  r: number;
  g: number;
  b: number;
  alpha: number;
}

/**
 * RGB samples, one per cell, taken at the cell's centre in the full image's pixel coordinates.
 * This loop is the only work on the event loop, hence plain numbers, squared distances and no
 * allocation per cell: written with small arrays and Math.hypot, 65k cells held the loop for 10 to
 * 50 ms.
 */
function paintCells(
  seed: Buffer,
  index: number,
  width: number,
  height: number,
  cell: number,
  cols: number,
  rows: number,
): Buffer {
  const at = (i: number) => seed.readUInt8(i) / 255;
  const hue = at(0) * 360;
  const [dr, dg, db] = hsl(hue, 0.55, 0.28);
  const [lr, lg, lb] = hsl(hue + 40 + at(1) * 80, 0.65, 0.62);
  const accent = hsl(hue + 150 + at(2) * 60, 0.75, 0.6);
  const paleAccent = mix(accent, WHITE, 0.35);
  const angle = at(3) * 2 * Math.PI;
  const dirX = Math.cos(angle);
  const dirY = Math.sin(angle);
  const reach = (Math.abs(dirX) * width + Math.abs(dirY) * height) / 2;
  const short = Math.min(width, height);

  const shapes: Shape[] = [0, 1, 2].map((k) => {
    const radius = (0.08 + 0.2 * at(5 + 4 * k)) * short;
    const ring = at(6 + 4 * k) >= 0.5;
    const band = radius * 0.16;
    const [r, g, b] = k === 1 ? paleAccent : accent;
    return {
      cx: (0.12 + 0.76 * at(4 + 4 * k)) * width,
      cy: (0.12 + 0.76 * at(7 + 4 * k)) * height,
      inner2: ring ? (radius - band) ** 2 : -1,
      outer2: ring ? (radius + band) ** 2 : radius ** 2,
      r,
      g,
      b,
      alpha: ring ? 0.85 : 0.55,
    };
  });

  const marks = Math.min(index + 1, MAX_MARKS);
  const markSide = 0.04 * short;
  const markStep = 1.6 * markSide;
  const markLeft = 0.05 * short;
  const markTop = height - 0.05 * short - markSide;
  const markAlpha = 0.85;

  const out = Buffer.allocUnsafe(cols * rows * 3);
  let o = 0;
  for (let row = 0; row < rows; row++) {
    const y = (row + 0.5) * cell;
    const inMarkRow = y >= markTop && y <= markTop + markSide;
    for (let col = 0; col < cols; col++) {
      const x = (col + 0.5) * cell;
      // -1..1 across the image along the gradient's direction, then 0..1.
      const t = (((x - width / 2) * dirX + (y - height / 2) * dirY) / reach + 1) / 2;
      let r = dr + (lr - dr) * t;
      let g = dg + (lg - dg) * t;
      let b = db + (lb - db) * t;
      for (const s of shapes) {
        const d2 = (x - s.cx) ** 2 + (y - s.cy) ** 2;
        if (d2 > s.inner2 && d2 <= s.outer2) {
          r += (s.r - r) * s.alpha;
          g += (s.g - g) * s.alpha;
          b += (s.b - b) * s.alpha;
        }
      }
      if (inMarkRow) {
        const mark = Math.floor((x - markLeft) / markStep);
        if (mark >= 0 && mark < marks && x - markLeft - mark * markStep <= markSide) {
          r += (255 - r) * markAlpha;
          g += (255 - g) * markAlpha;
          b += (255 - b) * markAlpha;
        }
      }
      out[o++] = Math.round(r);
      out[o++] = Math.round(g);
      out[o++] = Math.round(b);
    }
  }
  return out;
}

function mix(a: Rgb, b: Rgb, weight: number): Rgb {
  return [
    Math.round(a[0] + (b[0] - a[0]) * weight),
    Math.round(a[1] + (b[1] - a[1]) * weight),
    Math.round(a[2] + (b[2] - a[2]) * weight),
  ];
}

/** hue in degrees (any value), saturation and lightness 0..1. */
function hsl(hue: number, saturation: number, lightness: number): Rgb {
  const h = (((hue % 360) + 360) % 360) / 60;
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const second = chroma * (1 - Math.abs((h % 2) - 1));
  const [r, g, b]: Rgb =
    h < 1
      ? [chroma, second, 0]
      : h < 2
        ? [second, chroma, 0]
        : h < 3
          ? [0, chroma, second]
          : h < 4
            ? [0, second, chroma]
            : h < 5
              ? [second, 0, chroma]
              : [chroma, 0, second];
  const m = lightness - chroma / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
