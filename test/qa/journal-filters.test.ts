/**
 * The journal's new filters over HTTP (issue 14): injected or not (or one source), operation, free
 * text; and what an entry now keeps: its operation and an allowlist of its headers, never a key.
 */
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { addRule, generate, journal, resetBeforeEach } from './qa-support.js';

describe('GET /__mock/journal filters', () => {
  const sim = resetBeforeEach();

  it('by injected, operation and free text, each answered per spec', async () => {
    const s = sim();
    await generate(s, {}, { prompt: 'a blue whale', aspectRatio: '1:1', quality: 'basic' });
    await generate(s, { 'X-Mock-Status': '500' });
    await addRule(s, { match: { path: '/api/generate' }, action: { status: 402 }, times: 1 });
    await generate(s);
    await s.http.get('/api/status').query({ task_id: 'sd45_0000000000000000' }).set(s.auth());
    const statuses = async (query: Record<string, string>) =>
      (await journal(s, query)).entries.map((e) => e.status);
    expect(await statuses({ injected: 'true' })).toEqual([402, 500]);
    expect(await statuses({ injected: 'false' })).toEqual([404, 200]);
    expect(await statuses({ injected: 'header' })).toEqual([500]);
    expect(await statuses({ injected: 'rule_1' })).toEqual([402]);
    expect(await statuses({ operation: 'getTaskStatus' })).toEqual([404]);
    expect(await statuses({ operation: 'createGenerationTask', injected: 'false' })).toEqual([200]);
    expect(await statuses({ q: 'BLUE WHALE' })).toEqual([200]);
    expect(await statuses({ q: 'sd45_0000000000000000' })).toEqual([404]);
    const refused = await s.http.get('/__mock/journal').query({ q: 'x'.repeat(201) });
    expect(refused.status).toBe(400);
  });

  it('keeps the operation and the allowlisted headers: the key as its label, never X-Mock-Token or a cookie', async () => {
    const s = sim();
    await s.http
      .post('/api/generate')
      .set(s.auth())
      .set({
        'X-Mock-Delay-Ms': '0',
        'X-Mock-Token': 'not-to-be-kept',
        Cookie: 'session=secret',
        'User-Agent': 'qa-bot/1',
      })
      .send({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
    const [entry] = (await journal(s)).entries;
    expect(entry!.operation).toBe('createGenerationTask');
    expect(entry!.request_headers).toEqual({
      authorization: 'Bearer sk-d…-dev#d88b21',
      'content-type': 'application/json',
      'user-agent': 'qa-bot/1',
      'x-mock-delay-ms': '0',
    });
    expect(JSON.stringify(entry)).not.toContain(DEV_KEY);
    expect(JSON.stringify(entry)).not.toContain('not-to-be-kept');
    expect(JSON.stringify(entry)).not.toContain('secret');
  });
});
