/**
 * Waits (GET /__mock/journal/wait) and streams (GET /__mock/journal/stream) on a shared simulator,
 * on the memory store (test/fleet/journal-followers.test.ts runs the same on two replicas of a
 * Redis): one feed per world reads each new entry once and matches it once against each follower's
 * filter, so a held wait or an idle stream costs no store query per request, whoever makes them; at
 * most --max-journal-waits waits and --max-journal-streams streams per world; a dropped tenant's
 * followers are told so; an open follower keeps its tenant from the idle sweep.
 *
 * Work is counted, never timed: the store operations the simulator ran, from its metrics.
 */
import { describe, expect, it } from 'vitest';
import { compose } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import { BASE_ARGS, testSimulator } from '../support/harness.js';
import { listenOnLoopback } from '../properties/support.js';
import {
  createTenant,
  describeFollowers,
  eventually,
  holdWait,
  openStream,
  storeOperations,
} from './journal-follow-support.js';

describeFollowers('the memory store', async (args) => {
  const sim = await testSimulator(args);
  const listening = await listenOnLoopback(sim.app);
  return { a: listening.origin, b: listening.origin, stop: () => listening.close() };
});

describe('an open follower is activity of its world', () => {
  it('the idle sweep keeps a tenant while a stream or a wait is open, and drops it once they are gone', async () => {
    let now = Date.UTC(2026, 0, 1);
    const config = parseConfig([...BASE_ARGS, '--tenant-idle-timeout=60'], {});
    const { app } = await compose(config, { systemNow: () => now });
    const listening = await listenOnLoopback(app);
    const url = listening.origin;
    const tenantIds = async () =>
      (
        (await (await fetch(`${url}/__mock/tenants`)).json()) as { data: { tenants: Array<{ id: string }> } }
      ).data.tenants.map((t) => t.id);
    try {
      const watched = await createTenant(url);
      const waited = await createTenant(url);
      const stream = await openStream(`${url}/__mock/journal/stream`, { 'X-Mock-Token': watched.token });
      const before = await storeOperations(url, 'queryJournal');
      const wait = holdWait(url, { path: '/nowhere', timeoutMs: '60000' }, { 'X-Mock-Token': waited.token });
      await eventually(async () => (await storeOperations(url, 'queryJournal')) > before, 'the wait is held');

      now += 10 * 60_000; // far beyond the idle time-out, without a request
      const kept = await tenantIds();
      expect(kept).toContain(watched.id);
      expect(kept).toContain(waited.id);

      stream.close();
      wait.abort();
      await eventually(async () => {
        now += 10 * 60_000;
        const ids = await tenantIds();
        return !ids.includes(watched.id) && !ids.includes(waited.id);
      }, 'both are dropped once their followers have gone');
    } finally {
      await listening.close();
    }
  });
});
