/**
 * Realistic, seeded prompts for the benchmarks (about 110 characters, like a client's product or
 * scene description), and the request bodies built from them.
 */
import { Faker, en } from '@faker-js/faker';

const STYLES = [
  'Cinematic photo',
  'Watercolor painting',
  'Studio product shot',
  'Isometric illustration',
  '35mm film still',
] as const;
const FINISHES = [
  'soft shadows',
  'volumetric fog',
  'shallow depth of field',
  'golden hour',
  'high detail',
] as const;
export const ASPECT_RATIOS = ['1:1', '3:4', '4:3', '9:16', '16:9'] as const;
export const QUALITIES = ['basic', 'high'] as const;

export interface GenerateBody {
  prompt: string;
  aspectRatio: (typeof ASPECT_RATIOS)[number];
  quality: (typeof QUALITIES)[number];
}

/** A generator of prompts and generate bodies, deterministic for a seed. */
export function promptSource(seed: number) {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const prompt = (): string =>
    `${faker.helpers.arrayElement(STYLES)} of ${faker.word.adjective()} ` +
    `${faker.commerce.productName().toLowerCase()} in ${faker.location.city()}, ${faker.color.human()} palette, ` +
    `${faker.word.adjective()} lighting, ${faker.helpers.arrayElement(FINISHES)}`;
  const body = (): GenerateBody => ({
    prompt: prompt(),
    aspectRatio: faker.helpers.arrayElement(ASPECT_RATIOS),
    quality: faker.helpers.arrayElement(QUALITIES),
  });
  return { prompt, body };
}
