/**
 * Over HTTP: while the image encoder cannot load, image files answer 503 with Retry-After in the
 * envelope and the health check says `degraded` (still 200: the public API works); once a retry
 * loads it, images are served and health is `ok` again. Every response is checked against the spec.
 */
import { describe, expect, it } from 'vitest';
import { createImageRenderer, loadSharp } from '../../mock-server/src/images/image-renderer.js';
import { controlConforms, newTask } from '../qa/qa-support.js';
import { testSimulator } from '../support/harness.js';

describe('image files and health while the image encoder fails to load', () => {
  it('503 and degraded while it fails; 200 and ok after a retry loads it', async () => {
    let now = 0;
    let calls = 0;
    const images = createImageRenderer({
      now: () => now,
      loadEncoder: async () => {
        if (++calls === 1) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
        return loadSharp();
      },
    });
    const sim = await testSimulator(['--latency=instant'], { images });
    const taskId = await newTask(sim);
    const file = `/files/${taskId}/0.jpg`;

    const health = async () => (await controlConforms(await sim.http.get('/__mock/health'))).body.data;
    expect(await health()).toMatchObject({ status: 'ok', components: { images: { status: 'not_loaded' } } });

    const failed = await controlConforms(await sim.http.get(file));
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(failed.body).toMatchObject({
      code: 503,
      message: expect.stringMatching(/image encoder/i),
      data: { type: 'service_unavailable', retry_after_seconds: Number(failed.headers['retry-after']) },
    });
    const degraded = await controlConforms(await sim.http.get('/__mock/health'));
    expect(degraded.status).toBe(200);
    expect(degraded.body.data).toMatchObject({
      status: 'degraded',
      components: { images: { status: 'failed', error: expect.stringMatching(/EMFILE/) } },
    });

    now += 60_000;
    const served = await controlConforms(await sim.http.get(file));
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(await health()).toMatchObject({ status: 'ok', components: { images: { status: 'ok' } } });
  });
});
