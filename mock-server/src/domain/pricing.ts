/** The documented credit table (read from the spec's x-credit-cost), and which preset a request is. */
import { CREDIT_TABLE, type Preset } from '../../../generated/credit-table.js';
import type { GenerateRequest } from './wire-types.js';

export type { Preset };

/**
 * The burst (`numImages: 4`) is one price whatever the quality or references (the table gives one);
 * otherwise references make it an edit; otherwise text-to-image. See README, gaps 4 and 5.
 */
export function presetOf(request: GenerateRequest): Preset {
  if (request.numImages === 4) return 'burst';
  const edit = (request.imageUrls?.length ?? 0) > 0;
  if (edit) return request.quality === 'high' ? 'edit-high' : 'edit-basic';
  return request.quality === 'high' ? 'text-to-image-high' : 'text-to-image-basic';
}

export function priceOf(preset: Preset): number {
  return CREDIT_TABLE[preset];
}

export function imageCountOf(preset: Preset): number {
  return preset === 'burst' ? 4 : 1;
}
