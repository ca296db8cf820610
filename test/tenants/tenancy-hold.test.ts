/**
 * Tenancy.hold: an open journal stream or wait is activity of its world. The sweep of the process that
 * holds it never drops it, and the holder touches it periodically (a quarter of its idle time-out
 * apart, not on every entry sent), so that another replica's sweep sees it used. Time is moved by
 * hand (the system clock the tenancy is given, and fake timers): nothing sleeps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBackend } from '../../mock-server/src/store/memory-backend.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import { Tenancy } from '../../mock-server/src/tenancy/tenancy.js';
import { CONFORMANCE_SPEC } from '../support/store-conformance.js';

afterEach(() => vi.useRealTimers());

function replicas(count: number) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const systemNow = () => clock.now;
  const backend = new MemoryBackend({ retention: DEFAULT_RETENTION, journal: DEFAULT_JOURNAL, systemNow });
  const touches = vi.spyOn(backend, 'touchWorld');
  const tenancies = Array.from(
    { length: count },
    () =>
      new Tenancy({
        backend,
        defaultSpec: CONFORMANCE_SPEC,
        tenantDefaults: { clock: 'virtual', latency: 'fast', failureRate: 0 },
        idleTimeoutMs: 60_000,
        maxTenants: 10,
        systemNow,
      }),
  );
  return { clock, backend, touches, tenancies };
}

/** Moves the system clock and the timers together, a second at a time. */
async function pass(clock: { now: number }, ms: number, each: () => Promise<void> = async () => undefined) {
  for (let t = 0; t < ms; t += 1_000) {
    clock.now += 1_000;
    await vi.advanceTimersByTimeAsync(1_000);
    await each();
  }
}

describe('a world held open by a journal follower', () => {
  it("is kept by this process's sweep, and touched a quarter of its idle time-out apart for the others", async () => {
    vi.useFakeTimers();
    const { clock, backend, touches, tenancies } = replicas(2);
    const [holder, other] = tenancies as [Tenancy, Tenancy];
    await holder.start();
    const created = await holder.create({ idleTimeoutS: 60 });
    if (!created.ok) throw new Error('not created');
    const id = created.tenant.record.id;

    const release = holder.hold(id);
    const second = holder.hold(id); // a second follower: one hold, one touch schedule
    touches.mockClear();
    let worstLagMs = 0;
    await pass(clock, 300_000, async () => {
      const seen = (await backend.getWorld(id))!.lastSeenAt;
      worstLagMs = Math.max(worstLagMs, clock.now - seen);
      expect(await other.sweep()).toEqual([]); // another replica's sweep sees it used
      expect(await holder.sweep()).toEqual([]);
    });
    expect(worstLagMs).toBeLessThanOrEqual(15_000 + 1_000);
    // Five minutes held: about 20 touches (one per 15 s), not one per second or per entry.
    expect(touches.mock.calls.length).toBeGreaterThanOrEqual(19);
    expect(touches.mock.calls.length).toBeLessThanOrEqual(21);

    release();
    release(); // idempotent: the second hold still holds
    await pass(clock, 120_000);
    expect(clock.now - (await backend.getWorld(id))!.lastSeenAt).toBeLessThanOrEqual(16_000);
    expect(await other.sweep()).toEqual([]);

    second();
    touches.mockClear();
    await pass(clock, 120_000);
    expect(touches).not.toHaveBeenCalled();
    expect(await other.sweep()).toEqual([id]);
  });

  it('tells the listeners of each tenant dropped, and a drop ends nothing else', async () => {
    const { tenancies } = replicas(1);
    const [tenancy] = tenancies as [Tenancy];
    await tenancy.start();
    const dropped: string[] = [];
    const stop = tenancy.onDropped((id) => dropped.push(id));
    const a = await tenancy.create({});
    const b = await tenancy.create({});
    if (!a.ok || !b.ok) throw new Error('not created');
    expect(await tenancy.drop(a.tenant.record.id)).toBe(true);
    expect(await tenancy.drop('default')).toBe(false);
    expect(dropped).toEqual([a.tenant.record.id]);
    await tenancy.resetAll();
    expect(dropped).toEqual([a.tenant.record.id, b.tenant.record.id]);
    stop();
  });
});
