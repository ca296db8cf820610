/**
 * The price of a request, from the spec's credit table (`x-credit-cost`, generated into
 * `generated/credit-table.ts`) and the spec's rule for choosing the preset: `numImages: 4` is the
 * burst whatever else is asked; otherwise a non-empty `imageUrls` is an edit; otherwise text-to-image.
 * The live runner budgets with it; provider states fund accounts with it.
 *
 * The same rule as mock-server/src/domain/pricing.ts, written again on purpose: the contract suite is
 * the simulator's oracle and must not share its code, or a wrong preset rule would agree with itself.
 * Only the table, which is the spec's, is shared (generated/credit-table.ts).
 */
import { CREDIT_TABLE, type Preset } from '../../generated/credit-table.js';
import type { GenerateRequest } from '../client/types.js';

export { CREDIT_TABLE, type Preset };

export function presetOf(request: GenerateRequest): Preset {
  if (request.numImages === 4) return 'burst';
  const edit = (request.imageUrls?.length ?? 0) > 0;
  if (edit) return request.quality === 'high' ? 'edit-high' : 'edit-basic';
  return request.quality === 'high' ? 'text-to-image-high' : 'text-to-image-basic';
}

export function priceOf(request: GenerateRequest): number {
  return CREDIT_TABLE[presetOf(request)];
}

/** Images a SUCCESS task of this preset returns. */
export function imageCountOf(preset: Preset): number {
  return preset === 'burst' ? 4 : 1;
}
