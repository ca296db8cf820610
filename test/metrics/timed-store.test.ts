/**
 * The metrics' store decorator changes no behaviour: the whole Store conformance suite passes on a
 * memory store seen through it, and each operation is timed once, by backend and operation.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import { SimulatorMetrics } from '../../mock-server/src/http/metrics/metrics.js';
import { MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { CONFORMANCE_SPEC, describeStore } from '../support/store-conformance.js';

const metrics = new SimulatorMetrics({ worldStats: async () => [] });

describeStore('memory, timed by the metrics', async ({ retention, journal, spec, verdict, caps }) => {
  const store = new MemoryStore({
    ...(retention ? { retention } : {}),
    ...(journal ? { journal } : {}),
    ...(caps ? { caps } : {}),
    spec: spec ?? CONFORMANCE_SPEC,
    clock: new VirtualClock(),
    ...(verdict ? { verdict } : {}),
  });
  await store.reset();
  return metrics.timeStore(store, 'memory');
});

describe('the timed store', () => {
  it('is still the store it wraps (instanceof, its own properties) and times each call once', async () => {
    const own = new SimulatorMetrics({ worldStats: async () => [] });
    const store = new MemoryStore();
    const timed = own.timeStore(store, 'memory');
    expect(timed instanceof MemoryStore).toBe(true);
    expect((timed as MemoryStore).clock).toBe(store.clock);
    await timed.setBalance('o' as never, 'label', 10, 0);
    await timed.getAccount('o' as never);
    await timed.getAccount('o' as never);
    const text = await own.registry.metrics();
    expect(text).toContain(
      'dreamcore_store_operation_duration_seconds_count{backend="memory",operation="getAccount"} 2',
    );
    expect(text).toContain(
      'dreamcore_store_operation_duration_seconds_count{backend="memory",operation="setBalance"} 1',
    );
  });
});
