/**
 * The request path's counter and histogram (fast-metrics.ts) must expose exactly what prom-client's
 * own Counter and Histogram would for the same observations: same series, same cumulative buckets,
 * same sums, same text. Compared on random observations, and after a reset.
 */
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from '../../mock-server/src/http/metrics/fast-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const observation = fc.record({
  operation: fc.constantFrom('createGenerationTask', 'getTaskStatus', 'unmatched'),
  status: fc.constantFrom('200', '402', '0'),
  // Bounds themselves included: `le` is inclusive.
  seconds: fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 5, noNaN: true })),
});

function pair() {
  const fast = new Registry();
  const reference = new Registry();
  return {
    fast,
    reference,
    counter: new FastCounter('t_requests_total', 'help', ['operation', 'status'], [fast]),
    histogram: new FastHistogram('t_duration_seconds', 'help', ['operation'], BUCKETS, [fast]),
    refCounter: new Counter({
      name: 't_requests_total',
      help: 'help',
      labelNames: ['operation', 'status'],
      registers: [reference],
    }),
    refHistogram: new Histogram({
      name: 't_duration_seconds',
      help: 'help',
      labelNames: ['operation'],
      buckets: BUCKETS,
      registers: [reference],
    }),
  };
}

describe('FastCounter and FastHistogram', () => {
  it('expose what prom-client would, observation for observation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const m = pair();
        for (const { operation, status, seconds } of observations) {
          m.counter.inc({ operation, status });
          m.refCounter.inc({ operation, status });
          m.histogram.observe(m.histogram.series({ operation }), seconds);
          m.refHistogram.observe({ operation }, seconds);
        }
        expect(await m.fast.metrics()).toBe(await m.reference.metrics());
      }),
      { numRuns: 200 },
    );
  });

  it('give the same series object for the same labels, which counts from zero after a reset', async () => {
    const m = pair();
    const a = m.histogram.series({ operation: 'getTaskStatus' });
    expect(m.histogram.series({ operation: 'getTaskStatus' })).toBe(a);
    expect(m.histogram.series({ operation: 'createGenerationTask' })).not.toBe(a);
    m.histogram.observe(a, 0.5);
    m.counter.inc({ operation: 'getTaskStatus', status: '200' }, 3);
    m.fast.resetMetrics();
    m.histogram.observe(a, 0.002);
    const text = await m.fast.metrics();
    expect(text).toContain('t_requests_total{operation="getTaskStatus",status="200"} 0');
    expect(text).toContain('t_duration_seconds_bucket{le="0.001",operation="getTaskStatus"} 0');
    expect(text).toContain('t_duration_seconds_bucket{le="0.01",operation="getTaskStatus"} 1');
    expect(text).toContain('t_duration_seconds_sum{operation="getTaskStatus"} 0.002');
    expect(text).toContain('t_duration_seconds_count{operation="getTaskStatus"} 1');
  });
});
