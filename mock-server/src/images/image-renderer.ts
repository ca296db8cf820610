/**
 * Placeholder JPEGs for the images of succeeded tasks, at the upstream's exact pixel sizes, so that
 * clients exercise real downloads, decoders and layout against the simulator.
 *
 * Each image is a gradient with a few discs and rings, its colours and shapes taken from a hash of
 * the task id and image index: the same task always gets the same bytes, and different tasks are
 * told apart at a glance. A row of `index + 1` small squares in the bottom-left corner (up to 8)
 * tells the images of a burst apart. No text: fonts may be missing where the simulator runs.
 */
import { shortReason } from '../short-reason.js';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type SharpModule from 'sharp';

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
  /** Loads the encoder and encodes one tiny image, so libvips is initialised before a client asks. */
  warmUp(): Promise<void>;
  /** Bytes currently cached. */
  cachedBytes(): number;
  /** Whether the encoder is loaded, not needed yet, or failed to load last time (and why). */
  encoderHealth(): EncoderHealth;
}

export interface EncoderHealth {
  status: 'ok' | 'not_loaded' | 'failed';
  /** When failed: a short reason, one line, without paths or a stack. */
  error?: string;
}

/**
 * The encoder could not be loaded: now, or on the last attempt and the next one is not due yet.
 * Images are then unavailable for `retryAfterMs`; the rest of the simulator is not affected.
 */
export class EncoderUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterMs: number,
    options?: { cause: unknown },
  ) {
    super(`image encoder unavailable: ${reason}`, options);
    this.name = 'EncoderUnavailableError';
  }
}

export type Sharp = typeof SharpModule;

export interface ImageRendererOptions {
  /** Bound of the encoded-image cache, in bytes; 0 disables it. Default 256 MiB. */
  cacheBytes?: number;
  /** libjpeg quality, 1 to 100. Default 80. */
  jpegQuality?: number;
  /** Loads the encoder (sharp); tests give one that fails. Default: loadSharp. */
  loadEncoder?: () => Promise<Sharp>;
  /** Milliseconds on a monotonic clock, for the retry backoff. Default: performance.now. */
  now?: () => number;
}

const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
/** After a failed load, the next attempt waits 1 s, then twice as long after each failure, up to 30 s. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
const DEFAULT_JPEG_QUALITY = 80;

/**
 * Bound on each side: well above the largest upstream side (5504), low enough that a bad request
 * cannot ask for gigapixels.
 */
const MAX_SIDE = 16_384;

/**
 * The picture is drawn as an SVG, rasterised by librsvg at one pixel per CELL x CELL square, and
 * enlarged by sharp with nearest neighbour by that integer factor. Rasterising at full size costs
 * about 480 ms at 5504x3040, and interpolating a small image up about 230 ms; the integer zoom is
 * libvips' cheapest enlargement, and with a 16 px cell every 16x16 MCU of a 4:2:0 JPEG is one flat
 * colour, so the encoder writes little but DC coefficients: about 40 ms for 5504x3040 on 2 cores.
 * The steps do not show at the sizes people look at a placeholder, and librsvg's anti-aliasing
 * softens the edges of the shapes.
 *
 * The SVG goes to raw pixels first and the zoom is a second pipeline: given both in one, sharp took
 * 230 to 560 ms, as if rasterising at the output size.
 */
const CELL = 16;

/** Beyond this many, the squares that number a burst's images would cross the picture. */
const MAX_MARKS = 8;

/**
 * sharp runs each job on a thread of libuv's pool (4 threads by default), which fs, dns and crypto
 * share; a 4-image burst at 4K would take all of them. Encoding more images at once than there are
 * cores finishes none of them sooner, so at most that many run, and never more than 3, so that one
 * of the pool's default 4 threads stays free.
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

/**
 * Measured at 5504x3040 and 4096x4096 on 2 cores, against about 40 ms and 265 KiB for these:
 * Huffman optimisation gives 2.4 times smaller files (110 KiB) but takes a second pass, about
 * 200 ms; 4:4:4 chroma about twice the time and 465 KiB; mozjpeg 0.5 to 1 s. Quality 70 to 90
 * changes little of either, the MCUs being flat, so the default is the usual 80. A local simulator
 * pays for CPU time, not bytes on the wire.
 */
const JPEG_OPTIONS = {
  optimiseCoding: false,
  mozjpeg: false,
  chromaSubsampling: '4:2:0',
} as const;

const requireModule = createRequire(import.meta.url);

/**
 * sharp (and libvips behind it) is loaded on first use, not at start: it is about 80 ms of the
 * simulator's start-up and only images need it. main.ts calls warmUp() right after the server
 * listens, so the first image request does not pay for it either.
 *
 * Through require(), not import(): a failed import() is kept by the ESM loader and every later
 * import() rejects with the same error without trying again, whereas a module whose require()
 * threw is dropped from the cache, so a later attempt really loads it again (after EMFILE, say).
 */
export async function loadSharp(): Promise<Sharp> {
  return requireModule('sharp') as Sharp;
}

/** These settings are process-wide; the simulator has no other sharp user. */
function configureSharp(sharp: Sharp): void {
  // libvips' operation cache keeps recent operations and their pixels for identical later calls.
  // Every call here starts from a new input buffer (an SVG, raw cells), so nothing could ever hit;
  // it would only hold up to 50 MB of 4K pixels. This module caches the encoded JPEGs instead.
  sharp.cache(false);
  // One libvips thread per image: the pipeline is a zoom feeding libjpeg's sequential encoder, and
  // two threads per image measured within noise of one. Parallelism comes from encoding several
  // images at once (MAX_PARALLEL_ENCODES), without oversubscribing the cores. It is also sharp's
  // own default on glibc without jemalloc, where more threads fragment the heap; setting it
  // explicitly keeps the measured behaviour on every platform.
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

  // A Map iterates in insertion order, so re-inserting an entry on each hit leaves the least
  // recently used entry first: an LRU without a linked list.
  const loadEncoder = options.loadEncoder ?? loadSharp;
  const now = options.now ?? (() => performance.now());
  // A failed load is not kept: the next use after the backoff tries again. Concurrent uses share
  // the one attempt in progress.
  let loaded: Sharp | undefined;
  let loading: Promise<Sharp> | undefined;
  let failure: { reason: string; retryAt: number; failures: number } | undefined;

  function encoder(): Promise<Sharp> {
    if (loaded) return Promise.resolve(loaded);
    if (loading) return loading;
    if (failure && now() < failure.retryAt) {
      return Promise.reject(new EncoderUnavailableError(failure.reason, failure.retryAt - now()));
    }
    const attempt = (async () => loadEncoder())().then(
      (sharp) => {
        configureSharp(sharp);
        loaded = sharp;
        failure = undefined;
        return sharp;
      },
      (err: unknown) => {
        const failures = (failure?.failures ?? 0) + 1;
        const waitMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));
        failure = { reason: shortReason(err), retryAt: now() + waitMs, failures };
        throw new EncoderUnavailableError(failure.reason, waitMs, { cause: err });
      },
    );
    loading = attempt.finally(() => {
      loading = undefined;
    });
    return loading;
  }

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
      job = encoder()
        .then((sharp) => limitEncodes(() => encode(sharp, req, quality)))
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
    async warmUp() {
      const sharp = await encoder();
      await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
        .jpeg({ ...JPEG_OPTIONS })
        .toBuffer();
    },
    cachedBytes: () => bytes,
    encoderHealth: () =>
      loaded
        ? { status: 'ok' }
        : failure
          ? { status: 'failed', error: failure.reason }
          : { status: 'not_loaded' },
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

async function encode(sharp: Sharp, req: ImageRequest, quality: number): Promise<Buffer> {
  const cols = Math.ceil(req.width / CELL);
  const rows = Math.ceil(req.height / CELL);
  const svg = placeholderSvg(seedOf(req), req.index, req.width, req.height, cols, rows);
  const cells = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  let pipeline = sharp(cells, { raw: { width: cols, height: rows, channels: 3 } }).resize(
    cols * CELL,
    rows * CELL,
    { kernel: 'nearest' },
  );
  // Sides that are not multiples of CELL are cut from the enlarged image, keeping the integer zoom.
  if (cols * CELL !== req.width || rows * CELL !== req.height) {
    pipeline = pipeline.extract({ left: 0, top: 0, width: req.width, height: req.height });
  }
  return pipeline.jpeg({ ...JPEG_OPTIONS, quality }).toBuffer();
}

/** The size is left out, so a task's image looks the same at 2K and at 4K. */
function seedOf({ taskId, index }: ImageRequest): Buffer {
  return createHash('sha256').update(`dreamcore-placeholder\0${index}\0${taskId}`).digest();
}

type Rgb = [number, number, number];

/**
 * An SVG of cols x rows pixels whose viewBox is the image in its own pixels, padded to whole
 * cells. It holds only numbers derived from the hash, never the task id, so a request cannot
 * inject markup. Building the string is the renderer's only work on the event loop: a few
 * microseconds, whatever the image size.
 */
function placeholderSvg(
  seed: Buffer,
  index: number,
  width: number,
  height: number,
  cols: number,
  rows: number,
): string {
  const at = (i: number) => seed.readUInt8(i) / 255;
  const n = (v: number) => v.toFixed(1);
  const hue = at(0) * 360;
  const accent = hsl(hue + 150 + at(2) * 60, 0.75, 0.6);
  const short = Math.min(width, height);

  // A linear gradient along a hashed direction, from one side of the image to the other.
  const angle = at(3) * 2 * Math.PI;
  const half = (Math.abs(Math.cos(angle)) * width + Math.abs(Math.sin(angle)) * height) / 2;
  const [dx, dy] = [Math.cos(angle) * half, Math.sin(angle) * half];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${cols}" height="${rows}" viewBox="0 0 ${cols * CELL} ${rows * CELL}">`,
    `<linearGradient id="g" gradientUnits="userSpaceOnUse" x1="${n(width / 2 - dx)}" y1="${n(height / 2 - dy)}" x2="${n(width / 2 + dx)}" y2="${n(height / 2 + dy)}">`,
    `<stop offset="0" stop-color="${css(hsl(hue, 0.55, 0.28))}"/>`,
    `<stop offset="1" stop-color="${css(hsl(hue + 40 + at(1) * 80, 0.65, 0.62))}"/>`,
    `</linearGradient>`,
    `<rect width="100%" height="100%" fill="url(#g)"/>`,
  ];
  for (let k = 0; k < 3; k++) {
    const cx = n((0.12 + 0.76 * at(4 + 4 * k)) * width);
    const cy = n((0.12 + 0.76 * at(7 + 4 * k)) * height);
    const r = (0.08 + 0.2 * at(5 + 4 * k)) * short;
    const colour = css(k === 1 ? mix(accent, [255, 255, 255], 0.35) : accent);
    parts.push(
      at(6 + 4 * k) >= 0.5
        ? `<circle cx="${cx}" cy="${cy}" r="${n(r)}" fill="none" stroke="${colour}" stroke-width="${n(r * 0.32)}" stroke-opacity="0.85"/>`
        : `<circle cx="${cx}" cy="${cy}" r="${n(r)}" fill="${colour}" fill-opacity="0.55"/>`,
    );
  }
  // index + 1 squares in the bottom-left corner, so the images of a burst are told apart.
  const side = 0.04 * short;
  for (let m = 0; m < Math.min(index + 1, MAX_MARKS); m++) {
    const x = 0.05 * short + m * 1.6 * side;
    const y = height - 0.05 * short - side;
    parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(side)}" height="${n(side)}" fill="#fff" fill-opacity="0.85"/>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function css([r, g, b]: Rgb): string {
  return `rgb(${r},${g},${b})`;
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
