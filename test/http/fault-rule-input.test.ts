/**
 * Hardening issue, item 15: a fault rule that would do nothing is refused (400, naming the field), not
 * stored: `task: {}` (control-api.yaml's TaskScenario has minProperties 1), or an action whose only
 * property changes nothing (`retryAfterSeconds` without a status, `delayMs: 0`).
 */
import { describe, expect, it } from 'vitest';
import { loadControlConformance } from '../support/conformance.js';
import { testSimulator } from '../support/harness.js';

describe('POST /__mock/faults refuses a rule with nothing to do', () => {
  it.each([
    [{ action: { task: {} } }, 'body.action.task'],
    [{ match: { path: '/api/generate' }, action: { task: {} }, times: 1 }, 'body.action.task'],
    [{ action: { retryAfterSeconds: 5 } }, 'body.action'],
    [{ action: { delayMs: 0 } }, 'body.action'],
    [{ action: {} }, 'body.action'],
  ])('%j: 400 naming %s, no rule stored', async (input, field) => {
    const sim = await testSimulator();
    const conformance = await loadControlConformance();
    const res = await sim.http.post('/__mock/faults').send(input);
    expect(res.status, res.text).toBe(400);
    expect(res.body.data.type).toBe('invalid_request');
    expect(res.body.data.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(conformance.check('POST', '/__mock/faults', res)).toEqual([]);
    expect(await sim.store.listRules()).toHaveLength(0);
  });

  it('accepts the actions that do something', async () => {
    const sim = await testSimulator();
    for (const action of [
      { task: { outcome: 'failed' } },
      { status: 429, retryAfterSeconds: 5 },
      { delayMs: 1 },
      { fault: 'reset' },
    ]) {
      expect((await sim.http.post('/__mock/faults').send({ action })).status, JSON.stringify(action)).toBe(
        201,
      );
    }
  });
});
