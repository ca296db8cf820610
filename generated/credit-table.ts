/**
 * GENERATED FILE: DO NOT EDIT.
 * Source: openapi.yaml, x-credit-cost of POST /api/generate. Regenerate with `npm run generate`;
 * the test suite fails when this file drifts from its source.
 */

/** Credits deducted per preset, as the provider's credit table states them. */
export const CREDIT_TABLE = {
  'text-to-image-basic': 12,
  'text-to-image-high': 18,
  'edit-basic': 18,
  'edit-high': 24,
  'burst': 48,
} as const;

export type Preset = keyof typeof CREDIT_TABLE;
