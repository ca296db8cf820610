/**
 * The documented lifecycle over HTTP: generate deducts the table's price, status goes from
 * IN_PROGRESS to SUCCESS on the virtual clock, image URLs download real JPEGs of the upstream's
 * size, failures refund exactly. Every response is checked against the spec.
 */
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { outputSize } from '../../mock-server/src/images/output-sizes.js';
import { SAMPLE_REQUEST, testSimulator, type TestSimulator } from '../support/harness.js';

const HOUR = 3600_000;

async function generate(sim: TestSimulator, body: object, key?: string) {
  return sim.conforms(await sim.http.post('/api/generate').set(sim.auth(key)).send(body));
}

async function status(sim: TestSimulator, taskId: string, key?: string) {
  return sim.conforms(await sim.http.get('/api/status').query({ task_id: taskId }).set(sim.auth(key)));
}

describe('POST /api/generate and the credit table', () => {
  let sim: TestSimulator;
  beforeEach(async () => {
    sim = await testSimulator();
  });

  it('accepts the documented sample, returns an sd45_ id and deducts 18 credits', async () => {
    const res = await generate(sim, SAMPLE_REQUEST);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      message: 'success',
      data: { task_id: expect.stringMatching(/^sd45_[0-9a-f]{16}$/) },
    });
    expect(await sim.balance()).toBe(1000 - 18);
  });

  it.each([
    ['text-to-image basic', { quality: 'basic' }, 12],
    ['text-to-image high', { quality: 'high' }, 18],
    ['edit basic', { quality: 'basic', imageUrls: ['https://example.com/a.jpg'] }, 18],
    [
      'edit high',
      { quality: 'high', imageUrls: ['https://example.com/a.jpg', 'https://example.com/b.png'] },
      24,
    ],
    ['burst', { quality: 'basic', numImages: 4 }, 48],
    [
      'burst at high quality with references',
      { quality: 'high', numImages: 4, imageUrls: ['https://example.com/a.jpg'] },
      48,
    ],
  ])('prices %s at the table price', async (_name, fields, price) => {
    const res = await generate(sim, { prompt: 'a red fox', aspectRatio: '1:1', ...fields });
    expect(res.status).toBe(200);
    expect(await sim.balance()).toBe(1000 - price);
    const record = (await status(sim, res.body.data.task_id)).body.data;
    expect(record.consumed_credits).toBe(price);
  });

  it('answers 402 when the balance cannot cover the price, and changes nothing', async () => {
    await sim.simulator.setBalance('sk-dreamcore-dev', 17);
    const before = await sim.taskCount();
    const res = await generate(sim, SAMPLE_REQUEST);
    expect(res.status).toBe(402);
    expect(res.body).toEqual({
      code: 402,
      message: 'Insufficient credits: this request costs 18, the balance is 17',
      data: { type: 'insufficient_credits', required_credits: 18, balance: 17 },
    });
    expect(await sim.balance()).toBe(17);
    expect(await sim.taskCount()).toBe(before);
    expect((await generate(sim, { ...SAMPLE_REQUEST, quality: 'basic' })).status).toBe(200);
    expect(await sim.balance()).toBe(5);
  });

  it('runs a balance down mid-batch: exactly floor(balance / price) tasks are accepted', async () => {
    await sim.simulator.setBalance('sk-dreamcore-dev', 100);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        sim.http
          .post('/api/generate')
          .set(sim.auth())
          .send({ ...SAMPLE_REQUEST, quality: 'basic' }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(8);
    expect(results.filter((r) => r.status === 402)).toHaveLength(4);
    expect(await sim.balance()).toBe(4);
  });
});

describe('task lifecycle on the virtual clock', () => {
  it('stays IN_PROGRESS until its time is up, then SUCCESS with one image URL per image', async () => {
    const sim = await testSimulator();
    const { task_id } = (await generate(sim, SAMPLE_REQUEST)).body.data;
    const first = (await status(sim, task_id)).body.data;
    expect(first).toMatchObject({
      task_id,
      status: 'IN_PROGRESS',
      response: [],
      consumed_credits: 18,
      error_message: null,
      request: { prompt: SAMPLE_REQUEST.prompt, aspectRatio: '4:3', quality: 'high' },
    });
    expect(first.request).not.toHaveProperty('imageUrls'); // sanitized like the provider's sample
    expect(first.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    sim.advance(HOUR);
    const done = (await status(sim, task_id)).body.data;
    expect(done.status).toBe('SUCCESS');
    expect(done.response).toEqual([expect.stringMatching(new RegExp(`/files/${task_id}/0\\.jpg$`))]);
    expect(done.consumed_credits).toBe(18);
    expect(done.created_at).toBe(first.created_at);
  });

  it('serves each image as a JPEG of the upstream size for its ratio and quality', async () => {
    const sim = await testSimulator(['--latency=instant']);
    for (const aspectRatio of ['1:1', '3:4', '4:3', '9:16', '16:9'] as const) {
      for (const quality of ['basic', 'high'] as const) {
        const { task_id } = (await generate(sim, { prompt: 'a lighthouse', aspectRatio, quality })).body.data;
        const [url] = (await status(sim, task_id)).body.data.response as string[];
        const image = await sim.http.get(new URL(url!).pathname).buffer(true);
        expect(image.status).toBe(200);
        expect(image.headers['content-type']).toBe('image/jpeg');
        const meta = await sharp(image.body as Buffer).metadata();
        expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
          format: 'jpeg',
          ...outputSize(aspectRatio, quality),
        });
      }
    }
  });

  it('gives the burst four distinct images', async () => {
    const sim = await testSimulator(['--latency=instant']);
    const { task_id } = (
      await generate(sim, { prompt: 'four foxes', aspectRatio: '16:9', quality: 'basic', numImages: 4 })
    ).body.data;
    const record = (await status(sim, task_id)).body.data;
    expect(record.request.numImages).toBe(4);
    expect(record.response).toHaveLength(4);
    const bodies = await Promise.all(
      (record.response as string[]).map(
        async (u) => (await sim.http.get(new URL(u).pathname).buffer(true)).body as Buffer,
      ),
    );
    expect(new Set(bodies.map((b) => b.toString('base64'))).size).toBe(4);
  });

  it('fails with an upstream message and refunds exactly, once', async () => {
    const sim = await testSimulator(['--failure-rate=1']);
    const { task_id } = (await generate(sim, { ...SAMPLE_REQUEST, quality: 'basic' })).body.data;
    expect(await sim.balance()).toBe(988);
    sim.advance(HOUR);
    for (let i = 0; i < 3; i++) {
      const record = (await status(sim, task_id)).body.data;
      expect(record.status).toBe('FAILED');
      expect(record.consumed_credits).toBe(0);
      expect(record.response).toEqual([]);
      expect(record.error_message).toMatch(/^The (request failed|service encountered)/);
    }
    expect(await sim.balance()).toBe(1000);
    const ledger = (await sim.simulator.account('sk-dreamcore-dev'))!.ledger.map((e) => [e.kind, e.amount]);
    expect(ledger).toEqual([
      ['set', 1000],
      ['debit', -12],
      ['refund', 12],
    ]);
  });

  it('refunds a failed task even if nobody polls it', async () => {
    const sim = await testSimulator(['--failure-rate=1']);
    await generate(sim, SAMPLE_REQUEST);
    sim.advance(HOUR);
    expect(await sim.balance()).toBe(1000);
  });

  it('does not serve images of unfinished or failed tasks, and expires links after the TTL', async () => {
    const sim = await testSimulator(['--image-ttl=60']);
    const { task_id } = (await generate(sim, SAMPLE_REQUEST)).body.data;
    expect((await sim.http.get(`/files/${task_id}/0.jpg`)).status).toBe(404);
    sim.advance(HOUR);
    await status(sim, task_id);
    expect((await sim.http.get(`/files/${task_id}/1.jpg`)).status).toBe(404);
    sim.advance(61_000);
    const expired = await sim.http.get(`/files/${task_id}/0.jpg`);
    expect(expired.status).toBe(410);
    expect(expired.body.data.type).toBe('gone');
  });
});

describe('GET and POST /api/status', () => {
  let sim: TestSimulator;
  let taskId: string;
  beforeEach(async () => {
    sim = await testSimulator(['--key=sk-other-team-key=100']);
    taskId = (await generate(sim, SAMPLE_REQUEST)).body.data.task_id;
  });

  it('accepts task_id in the query of a POST', async () => {
    const res = sim.conforms(await sim.http.post('/api/status').query({ task_id: taskId }).set(sim.auth()));
    expect(res.status).toBe(200);
    expect(res.body.data.task_id).toBe(taskId);
  });

  it('accepts task_id in a JSON body of a POST, and the same id in both', async () => {
    const byBody = sim.conforms(await sim.http.post('/api/status').set(sim.auth()).send({ task_id: taskId }));
    expect(byBody.body.data.task_id).toBe(taskId);
    const both = sim.conforms(
      await sim.http.post('/api/status').query({ task_id: taskId }).set(sim.auth()).send({ task_id: taskId }),
    );
    expect(both.status).toBe(200);
  });

  it('refuses a POST whose query and body name different tasks, or none', async () => {
    const differ = sim.conforms(
      await sim.http
        .post('/api/status')
        .query({ task_id: taskId })
        .set(sim.auth())
        .send({ task_id: 'sd45_0000000000000000' }),
    );
    expect(differ.status).toBe(400);
    expect(differ.body.data.errors[0].field).toBe('body.task_id');
    const none = sim.conforms(await sim.http.post('/api/status').set(sim.auth()));
    expect(none.status).toBe(400);
    expect(none.body.data.errors[0].field).toBe('query.task_id');
  });

  it("answers 404 alike for an unknown task and for another key's task", async () => {
    const unknown = await status(sim, 'sd45_0123456789abcdef');
    const foreign = await status(sim, taskId, 'sk-other-team-key');
    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(unknown.body);
  });

  it('answers 400 for a malformed task id, naming query.task_id', async () => {
    const res = await status(sim, 'not-a-task');
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual([
      { field: 'query.task_id', message: expect.stringContaining('pattern') },
    ]);
  });
});
