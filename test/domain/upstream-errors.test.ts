import { describe, it, expect } from 'vitest';
import { createRng, type Rng } from '../../mock-server/src/domain/rng.js';
import {
  DEFAULT_FAILURE_MESSAGE,
  UPSTREAM_FAILURES,
  drawFailureMessage,
} from '../../mock-server/src/domain/upstream-errors.js';

function constantRng(value: number): Rng {
  const rng: Rng = { next: () => value, int: () => 0, hex: () => '', fork: () => rng };
  return rng;
}

const imageOnly = UPSTREAM_FAILURES.filter((f) => f.editOnly).map((f) => f.message);
const TIMEOUT = UPSTREAM_FAILURES.find((f) => f.code === 'InvalidParameter')!;

describe('UPSTREAM_FAILURES', () => {
  it('has distinct codes, positive weights, and output moderation as the most common failure', () => {
    expect(new Set(UPSTREAM_FAILURES.map((f) => f.code)).size).toBe(UPSTREAM_FAILURES.length);
    for (const f of UPSTREAM_FAILURES) expect(f.weight).toBeGreaterThan(0);
    const top = [...UPSTREAM_FAILURES].sort((a, b) => b.weight - a.weight)[0]!;
    expect(top.code).toBe('OutputImageSensitiveContentDetected');
    expect(DEFAULT_FAILURE_MESSAGE).toBe(top.message);
  });

  it('marks the three image failures as edit-only', () => {
    expect(UPSTREAM_FAILURES.filter((f) => f.editOnly).map((f) => f.code)).toEqual([
      'InputImageSensitiveContentDetected',
      'InputImageSensitiveContentDetected.PrivacyInformation',
      'InvalidParameter',
    ]);
  });
});

describe('drawFailureMessage', () => {
  it.each([
    ['absent', undefined],
    ['empty', []],
  ])('never draws an image-only failure for a text-to-image request (imageUrls %s)', (_name, urls) => {
    const rng = createRng(`t2i-${_name}`);
    const allowed = UPSTREAM_FAILURES.filter((f) => !f.editOnly).map((f) => f.message);
    const seen = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      const message = drawFailureMessage(rng, urls);
      expect(imageOnly).not.toContain(message);
      expect(allowed).toContain(message);
      seen.add(message);
    }
    expect(seen.size).toBe(allowed.length);
  });

  it('never draws an image-only failure, even at the top of the range', () => {
    expect(imageOnly).not.toContain(drawFailureMessage(constantRng(1 - 2 ** -52), undefined));
    expect(drawFailureMessage(constantRng(1 - 2 ** -52), [])).toBe(
      UPSTREAM_FAILURES.find((f) => f.code === 'InputTextSensitiveContentDetected')!.message,
    );
  });

  it('can draw every failure for an edit, in proportion to the weights', () => {
    const url = 'https://example.com/ref.jpg';
    const rng = createRng('edit-failures');
    const counts = new Map<string, number>();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const message = drawFailureMessage(rng, [url]);
      counts.set(message, (counts.get(message) ?? 0) + 1);
    }
    expect(counts.size).toBe(UPSTREAM_FAILURES.length);
    const total = UPSTREAM_FAILURES.reduce((s, f) => s + f.weight, 0);
    for (const f of UPSTREAM_FAILURES) {
      const message = f.message.replace('{url}', url);
      expect(counts.get(message)! / n).toBeCloseTo(f.weight / total, 1);
    }
  });

  it('is reproducible for a seed', () => {
    const a = createRng('replay');
    const b = createRng('replay');
    for (let i = 0; i < 50; i++) {
      expect(drawFailureMessage(a, ['https://example.com/x.png'])).toBe(
        drawFailureMessage(b, ['https://example.com/x.png']),
      );
    }
  });

  it('draws exactly one number', () => {
    let draws = 0;
    const rng: Rng = { next: () => (draws++, 0.5), int: () => 0, hex: () => '', fork: () => rng };
    drawFailureMessage(rng, ['https://example.com/x.png']);
    expect(draws).toBe(1);
  });

  it('substitutes the first reference URL in the download timeout message', () => {
    // 0.97 of a total weight of 100 lands in the last bucket: the download timeout.
    const message = drawFailureMessage(constantRng(0.97), [
      'https://cdn.example.com/cat.jpg',
      'https://other.example.com/b.jpg',
    ]);
    expect(message).toBe(
      'The parameter `image` specified in the request are not valid: Timeout while downloading url=https://cdn.example.com/cat.jpg',
    );
    expect(message).not.toContain('{url}');
    expect(TIMEOUT.message).toContain('{url}');
  });

  it.each([
    'https://cdn.example.com/a$&b.png',
    'https://cdn.example.com/price$$5.png',
    "https://cdn.example.com/x?q=$'",
  ])('substitutes the URL verbatim, even with $ in it (%s)', (url) => {
    // `$` is a legal URL character; String.replace with a string replacement expands $&, $$, $' and $`.
    const message = drawFailureMessage(constantRng(0.97), [url]);
    expect(message).toBe(
      `The parameter \`image\` specified in the request are not valid: Timeout while downloading url=${url}`,
    );
  });
});
