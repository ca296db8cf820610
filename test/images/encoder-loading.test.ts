/**
 * The encoder (sharp) is loaded lazily; a failed load (seen with the file-descriptor limit reached
 * in the first second) must not be kept for ever: it is retried on a later use, after a backoff so
 * a broken install is not retried on every request, and its state is there for the health check.
 * The backoff runs on an injected clock: nothing here waits.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  createImageRenderer,
  loadSharp,
  type ImageRequest,
  type Sharp,
} from '../../mock-server/src/images/image-renderer.js';

const REQ: ImageRequest = { taskId: 'sd45_0011223344556677', index: 0, width: 64, height: 48 };

/** What a dlopen under EMFILE looks like: a code, a path with a user name, a multi-line help text. */
function emfile(): Error {
  return Object.assign(
    new Error(
      "EMFILE: too many open files, open '/home/alice/.secret/app/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node'\n\nPossible solutions:\n- Ensure optional dependencies can be installed",
    ),
    { code: 'EMFILE' },
  );
}

/** A loader that fails its first `failures` calls, then loads the real sharp. */
function flakyLoader(failures: number) {
  const loader = {
    calls: 0,
    load: async (): Promise<Sharp> => {
      loader.calls++;
      if (loader.calls <= failures) throw emfile();
      return loadSharp();
    },
  };
  return loader;
}

describe('a failed load of the image encoder', () => {
  it('is retried on a later render once the backoff has passed, and then images work', async () => {
    let now = 0;
    const loader = flakyLoader(1);
    const renderer = createImageRenderer({ loadEncoder: loader.load, now: () => now });
    expect(renderer.encoderHealth()).toEqual({ status: 'not_loaded' });

    await expect(renderer.render(REQ)).rejects.toThrow(/EMFILE/);
    expect(renderer.encoderHealth()).toMatchObject({ status: 'failed' });
    // Within the backoff, renders fail at once without another attempt, saying when to retry.
    await expect(renderer.render(REQ)).rejects.toMatchObject({ retryAfterMs: expect.any(Number) });
    expect(loader.calls).toBe(1);

    now += 60_000;
    const jpeg = await renderer.render(REQ);
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
    expect(loader.calls).toBe(2);
    expect(renderer.encoderHealth()).toEqual({ status: 'ok' });
  });

  it('waits longer after each failure, up to a bound', async () => {
    let now = 0;
    const loader = flakyLoader(Infinity);
    const renderer = createImageRenderer({ loadEncoder: loader.load, now: () => now });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      await expect(renderer.render(REQ)).rejects.toThrow(/EMFILE/);
      const refused = (await renderer.render(REQ).catch((err: unknown) => err)) as { retryAfterMs: number };
      waits.push(refused.retryAfterMs);
      now += refused.retryAfterMs;
    }
    expect(loader.calls).toBe(12);
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000);
    expect(waits.at(-1)).toBe(Math.max(...waits));
  });

  it('is reported with a short reason: no stack, no path, one line', async () => {
    const renderer = createImageRenderer({ loadEncoder: flakyLoader(1).load, now: () => 0 });
    await renderer.render(REQ).catch(() => undefined);
    const { error } = renderer.encoderHealth();
    expect(error).toMatch(/EMFILE/);
    expect(error).not.toMatch(/\/home|alice|secret|node_modules|\n/);
    expect(error!.length).toBeLessThanOrEqual(200);
  });

  it('warmUp() that fails leaves the same state, and a later render retries', async () => {
    let now = 0;
    const loader = flakyLoader(1);
    const renderer = createImageRenderer({ loadEncoder: loader.load, now: () => now });
    await expect(renderer.warmUp()).rejects.toThrow(/EMFILE/);
    expect(renderer.encoderHealth().status).toBe('failed');
    now += 60_000;
    await renderer.render(REQ);
    expect(renderer.encoderHealth().status).toBe('ok');
  });
});
