/**
 * Pixel sizes of the images the upstream model returns, so clients that lay out, store or bill by
 * size meet the same numbers against the simulator as against the live API.
 *
 * Source: the upstream Seedream (Seedream 4.5) size table; `basic` is its 2K tier, `high` its 4K tier.
 * The DreamCore documentation only names the aspect ratios and the two qualities, not the pixels.
 */

export type AspectRatio = '1:1' | '3:4' | '4:3' | '9:16' | '16:9';
export type Quality = 'basic' | 'high';

export interface OutputSize {
  readonly width: number;
  readonly height: number;
}

export const OUTPUT_SIZES = {
  '1:1': { basic: { width: 2048, height: 2048 }, high: { width: 4096, height: 4096 } },
  '3:4': { basic: { width: 1728, height: 2304 }, high: { width: 3520, height: 4704 } },
  '4:3': { basic: { width: 2304, height: 1728 }, high: { width: 4704, height: 3520 } },
  '9:16': { basic: { width: 1600, height: 2848 }, high: { width: 3040, height: 5504 } },
  '16:9': { basic: { width: 2848, height: 1600 }, high: { width: 5504, height: 3040 } },
} as const satisfies Record<AspectRatio, Record<Quality, OutputSize>>;

/** Every aspect ratio of the table, in the order the API documentation lists them. */
export const ASPECT_RATIOS: readonly AspectRatio[] = ['1:1', '3:4', '4:3', '9:16', '16:9'];
export const QUALITIES: readonly Quality[] = ['basic', 'high'];

export function outputSize(aspectRatio: AspectRatio, quality: Quality): { width: number; height: number } {
  const size: OutputSize | undefined = OUTPUT_SIZES[aspectRatio]?.[quality];
  // The types already forbid other values; this guards callers that pass unvalidated JSON through.
  if (!size) throw new RangeError(`No upstream size for aspectRatio ${aspectRatio}, quality ${quality}`);
  // A copy, so no caller can alter the shared table.
  return { width: size.width, height: size.height };
}
