/**
 * How long a task stays IN_PROGRESS. The shape follows the upstream's published latencies
 * (docs/provider/upstream-facts.md): basic about 22 s median (p95 45 s), high about 45 s (p95 70 s),
 * edits 3 to 8 s more, and the 4-image burst four renders one after another.
 *
 * Each image's time is drawn from a log-normal whose median and p95 match those figures, from the
 * seeded Rng, so a seed replays the same durations.
 */
import type { Preset } from './pricing.js';
import type { Rng } from './rng.js';
import type { Quality } from './wire-types.js';

export const LATENCY_PROFILES = ['realistic', 'fast', 'instant'] as const;
export type LatencyProfileName = (typeof LATENCY_PROFILES)[number];

interface ImageLatency {
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

const UPSTREAM: Record<Quality, ImageLatency> = {
  basic: { medianMs: 22_000, p95Ms: 45_000, minMs: 12_000, maxMs: 90_000 },
  high: { medianMs: 45_000, p95Ms: 70_000, minMs: 30_000, maxMs: 120_000 },
};
const EDIT_EXTRA_MS = { min: 3_000, max: 8_000 };
const Z95 = 1.6448536269514722;

/** `fast` keeps the upstream's shape at a fifteenth of its length: seconds, for local development. */
const SCALE: Record<LatencyProfileName, number> = { realistic: 1, fast: 1 / 15, instant: 0 };

function standardNormal(rng: Rng): number {
  // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function imageMs(quality: Quality, rng: Rng): number {
  const { medianMs, p95Ms, minMs, maxMs } = UPSTREAM[quality];
  const sigma = Math.log(p95Ms / medianMs) / Z95;
  const ms = medianMs * Math.exp(sigma * standardNormal(rng));
  return Math.min(maxMs, Math.max(minMs, ms));
}

export function taskDurationMs(
  profile: LatencyProfileName,
  preset: Preset,
  quality: Quality,
  rng: Rng,
): number {
  const scale = SCALE[profile];
  if (scale === 0) return 0;
  const images = preset === 'burst' ? 4 : 1;
  let total = 0;
  for (let i = 0; i < images; i++) total += imageMs(quality, rng);
  if (preset === 'edit-basic' || preset === 'edit-high') {
    total += EDIT_EXTRA_MS.min + rng.next() * (EDIT_EXTRA_MS.max - EDIT_EXTRA_MS.min);
  }
  return Math.round(total * scale);
}

/** Share of tasks that fail when the configuration does not say: the upstream estimate for `realistic`. */
export const DEFAULT_FAILURE_RATE: Record<LatencyProfileName, number> = {
  realistic: 0.03,
  fast: 0,
  instant: 0,
};
