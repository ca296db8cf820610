/**
 * Hardening issue, item 17: `42`, `"x"`, `null` and `[]` are valid JSON that is not an object. They get
 * a 400 that says so (naming `body`), never "is not valid JSON"; real syntax errors still do.
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_REQUEST, testSimulator } from '../support/harness.js';

const NOT_OBJECTS = ['42', '"x"', 'null', '[]', 'true', '[1,2]'];

describe('JSON bodies that parse but are not objects', () => {
  it.each(NOT_OBJECTS)('POST /api/generate with %s: 400 naming body, as an object expected', async (text) => {
    const sim = await testSimulator();
    const res = sim.conforms(
      await sim.http.post('/api/generate').set(sim.auth()).set('Content-Type', 'application/json').send(text),
    );
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    expect(res.body.message).toBe('Invalid request: body must be a JSON object');
    expect(await sim.taskCount()).toBe(0);
    expect(await sim.balance()).toBe(1000);
  });

  it.each(NOT_OBJECTS)('POST /api/status and the control API with %s: the same 400', async (text) => {
    const sim = await testSimulator();
    for (const [path, headers] of [
      ['/api/status', sim.auth()],
      ['/__mock/faults', {}],
      ['/__mock/clock/advance', {}],
    ] as const) {
      const res = await sim.http.post(path).set(headers).set('Content-Type', 'application/json').send(text);
      expect(res.status, path).toBe(400);
      expect(res.body.data.errors, path).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    }
  });

  it('a syntax error is still "not valid JSON", and an object still works', async () => {
    const sim = await testSimulator();
    for (const text of ['{', '{"a":}', 'nul', "{'a':1}"]) {
      const res = sim.conforms(
        await sim.http
          .post('/api/generate')
          .set(sim.auth())
          .set('Content-Type', 'application/json')
          .send(text),
      );
      expect(res.status, text).toBe(400);
      expect(res.body.data.errors, text).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    }
    const ok = await sim.http.post('/api/generate').set(sim.auth()).send(SAMPLE_REQUEST);
    expect(ok.status).toBe(200);
  });
});
