import { describe, it, expect } from 'vitest';
import { CREDIT_TABLE } from '../../generated/credit-table.js';
import { imageCountOf, presetOf, priceOf, type Preset } from '../../mock-server/src/domain/pricing.js';
import type { GenerateRequest } from '../../mock-server/src/domain/wire-types.js';

const base: GenerateRequest = { prompt: 'a cat', aspectRatio: '1:1', quality: 'basic' };
const refs = ['https://example.com/a.jpg'];

describe('presetOf', () => {
  it.each<[string, GenerateRequest, Preset]>([
    ['text-to-image, basic', base, 'text-to-image-basic'],
    ['text-to-image, high', { ...base, quality: 'high' }, 'text-to-image-high'],
    ['edit, basic', { ...base, imageUrls: refs }, 'edit-basic'],
    ['edit, high', { ...base, quality: 'high', imageUrls: refs }, 'edit-high'],
    ['burst', { ...base, numImages: 4 }, 'burst'],
    ['empty imageUrls is text-to-image (basic)', { ...base, imageUrls: [] }, 'text-to-image-basic'],
    [
      'empty imageUrls is text-to-image (high)',
      { ...base, quality: 'high', imageUrls: [] },
      'text-to-image-high',
    ],
    ['numImages 1 is a single image', { ...base, numImages: 1 }, 'text-to-image-basic'],
    ['numImages 1 with references is an edit', { ...base, numImages: 1, imageUrls: refs }, 'edit-basic'],
    ['burst wins over high quality', { ...base, quality: 'high', numImages: 4 }, 'burst'],
    ['burst wins over references', { ...base, imageUrls: refs, numImages: 4 }, 'burst'],
    [
      'burst wins over references and high quality',
      { ...base, quality: 'high', imageUrls: refs, numImages: 4 },
      'burst',
    ],
  ])('%s', (_name, request, preset) => {
    expect(presetOf(request)).toBe(preset);
  });
});

describe('priceOf', () => {
  it('has exactly the five documented presets', () => {
    expect(Object.keys(CREDIT_TABLE).sort()).toEqual(
      ['burst', 'edit-basic', 'edit-high', 'text-to-image-basic', 'text-to-image-high'].sort(),
    );
  });

  it.each<[Preset, number]>([
    ['text-to-image-basic', 12],
    ['text-to-image-high', 18],
    ['edit-basic', 18],
    ['edit-high', 24],
    ['burst', 48],
  ])('%s costs %i credits', (preset, price) => {
    expect(priceOf(preset)).toBe(price);
  });

  it('prices a request end to end', () => {
    expect(priceOf(presetOf({ ...base, quality: 'high' }))).toBe(18);
    expect(priceOf(presetOf({ ...base, quality: 'high', imageUrls: refs, numImages: 4 }))).toBe(48);
  });
});

describe('imageCountOf', () => {
  it('is four for the burst and one otherwise', () => {
    expect(imageCountOf('burst')).toBe(4);
    for (const preset of ['text-to-image-basic', 'text-to-image-high', 'edit-basic', 'edit-high'] as const) {
      expect(imageCountOf(preset)).toBe(1);
    }
  });
});
