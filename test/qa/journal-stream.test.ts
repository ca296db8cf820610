/**
 * GET /__mock/journal/stream over real sockets: entries as server-sent events, oldest first, filtered,
 * scoped to the caller's world, resumable with Last-Event-ID, a heartbeat, a gap instead of unbounded
 * buffering, polling for stores that cannot notify, and nothing left behind when the client goes.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamJournal } from '../../mock-server/src/http/admin/journal-stream.js';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import type { JournalRecord } from '../../mock-server/src/qa/journal.js';
import { MemoryStore } from '../../mock-server/src/store/memory-store.js';
import type { Store } from '../../mock-server/src/store/store.js';
import { BOUND_MS, openStream, type Stream } from './journal-follow-support.js';

const entries = (s: Stream) => s.events.filter((e) => e.event === 'entry').map((e) => JSON.parse(e.data));
const BODY = JSON.stringify({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });

async function generate(sim: SimulatorHandle, headers: Record<string, string> = {}, key = sim.key) {
  const res = await fetch(`${sim.url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers },
    body: BODY,
  });
  return ((await res.json()) as { data: { task_id?: string } }).data.task_id;
}

describe('the journal stream of a simulator', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'stream',
      rateLimit: 'off',
      validateResponses: true,
    });
  });
  afterAll(() => sim.stop());

  it('sends each new entry once, oldest first, with its id, and only those after it started', async () => {
    const before = await generate(sim);
    const stream = await openStream(`${sim.url}/__mock/journal/stream`);
    const a = await generate(sim);
    const b = await generate(sim, { 'X-Mock-Status': '500' });
    await stream.until((s) => entries(s).length >= 2);
    const got = entries(stream);
    expect(got.map((e) => e.task_id)).toEqual([a, null]);
    expect(got[1]).toMatchObject({ status: 500, injected: 'header', operation: 'createGenerationTask' });
    expect(got.map((e) => e.task_id)).not.toContain(before);
    expect(stream.events.filter((e) => e.event === 'entry').map((e) => Number(e.id))).toEqual(
      got.map((e) => e.id),
    );
    expect(b).toBeUndefined();
    stream.close();
  });

  it('applies the filters of GET /__mock/journal', async () => {
    const stream = await openStream(`${sim.url}/__mock/journal/stream?injected=true&status=5xx`);
    await generate(sim);
    await generate(sim, { 'X-Mock-Status': '500' });
    await generate(sim, { 'X-Mock-Status': '429' });
    await generate(sim, { 'X-Mock-Status': '500' });
    await stream.until((s) => entries(s).length >= 2);
    expect(entries(stream).map((e) => [e.status, e.injected])).toEqual([
      [500, 'header'],
      [500, 'header'],
    ]);
    stream.close();
  });

  it('resumes after the Last-Event-ID a reconnecting EventSource sends (or `after`)', async () => {
    await sim.reset();
    for (let i = 0; i < 3; i++) await generate(sim);
    const resumed = await openStream(`${sim.url}/__mock/journal/stream`, { 'Last-Event-ID': '1' });
    await resumed.until((s) => entries(s).length >= 2);
    expect(entries(resumed).map((e) => e.id)).toEqual([2, 3]);
    resumed.close();
    const after = await openStream(`${sim.url}/__mock/journal/stream?after=2`);
    await after.until((s) => entries(s).length >= 1);
    expect(entries(after).map((e) => e.id)).toEqual([3]);
    after.close();
  });

  it('says when the journal was reset, and goes on from its new entries', async () => {
    await sim.reset();
    for (let i = 0; i < 3; i++) await generate(sim);
    const stream = await openStream(`${sim.url}/__mock/journal/stream`);
    await sim.reset();
    const fresh = await generate(sim);
    await stream.until((s) => entries(s).some((e) => e.task_id === fresh));
    expect(stream.events.map((e) => e.event)).toContain('reset');
    expect(entries(stream).at(-1)).toMatchObject({ id: 1, task_id: fresh });
    stream.close();
  });

  it("is scoped to the caller's world: a tenant's stream shows its own requests only", async () => {
    const created = (await (
      await fetch(`${sim.url}/__mock/tenants`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      })
    ).json()) as { data: unknown };
    const { token, keys } = created.data as { token: string; keys: Array<{ apiKey: string }> };
    const theirs = await openStream(`${sim.url}/__mock/journal/stream`, { 'X-Mock-Token': token });
    const mine = await openStream(`${sim.url}/__mock/journal/stream`);
    const inDefault = await generate(sim);
    const inTenant = await generate(sim, {}, keys[0]!.apiKey);
    await theirs.until((s) => entries(s).length >= 1);
    await mine.until((s) => entries(s).length >= 1);
    expect(entries(theirs).map((e) => e.task_id)).toEqual([inTenant]);
    expect(entries(mine).map((e) => e.task_id)).toEqual([inDefault]);
    theirs.close();
    mine.close();
  });
});

/** A journal record, as the middleware hands one over. */
function record(i: number): JournalRecord {
  return {
    at: i,
    method: 'GET',
    path: '/api/status',
    rawQuery: '',
    status: 200,
    durationMs: 1,
    keyLabel: null,
    keyOwner: null,
    taskId: null,
    injected: null,
    operation: 'getTaskStatus',
    requestHeaders: {},
    rawRequestBody: undefined,
    responseText: undefined,
  };
}

/** streamJournal alone, on a bare Express app over one store, with short timers. */
async function bareStream(store: Store) {
  const opened: string[] = [];
  const app = express();
  app.get('/stream', (req, res) =>
    streamJournal(store, req, res, {
      heartbeatMs: 30,
      pollMs: 20,
      onOpen: () => opened.push('open'),
      onClose: () => opened.push('close'),
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  return {
    url,
    opened,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The store with its notifications counted, or hidden (a store that can only be polled). */
function observed(store: MemoryStore, { notifies }: { notifies: boolean }) {
  const watching = { now: 0 };
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === 'watchJournal') {
        if (!notifies) return undefined;
        return (listener: () => void) => {
          watching.now++;
          const stop = target.watchJournal(listener);
          return () => {
            watching.now--;
            stop();
          };
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy as Store, watching };
}

describe('the stream itself', () => {
  it('keeps an idle stream open with a comment line, and stops listening when the client goes', async () => {
    const { store, watching } = observed(new MemoryStore(), { notifies: true });
    const bare = await bareStream(store);
    const stream = await openStream(bare.url);
    await stream.until((s) => s.comments.filter((c) => c.includes('keep-alive')).length >= 2);
    expect(watching.now).toBe(1);
    stream.close();
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () =>
        bare.opened.includes('close')
          ? resolve()
          : Date.now() - started > BOUND_MS
            ? reject(new Error('still open'))
            : setTimeout(check, 10);
      check();
    });
    expect(watching.now).toBe(0);
    expect(bare.opened).toEqual(['open', 'close']);
    await bare.close();
  });

  it('reads a store that cannot notify by polling it (a store another process writes)', async () => {
    const memory = new MemoryStore();
    const { store } = observed(memory, { notifies: false });
    const bare = await bareStream(store);
    const stream = await openStream(bare.url);
    await memory.appendJournal(record(1));
    await memory.appendJournal(record(2));
    await stream.until((s) => entries(s).length >= 2);
    expect(entries(stream).map((e) => e.id)).toEqual([1, 2]);
    stream.close();
    await bare.close();
  });

  it('never buffers more than a round: beyond 1000 new entries it reports a gap and sends the newest', async () => {
    const memory = new MemoryStore({ journal: { maxEntries: 5_000, maxBytes: 64 * 1024 * 1024 } });
    for (let i = 1; i <= 1_500; i++) await memory.appendJournal(record(i));
    const bare = await bareStream(memory);
    const stream = await openStream(`${bare.url}?after=0`);
    await stream.until((s) => entries(s).length >= 1_000);
    const gap = stream.events.find((e) => e.event === 'gap');
    expect(JSON.parse(gap!.data)).toEqual({ after: 0, before: 501 });
    const ids = entries(stream).map((e) => e.id);
    expect(ids[0]).toBe(501);
    expect(ids.at(-1)).toBe(1_500);
    expect(ids).toHaveLength(1_000);
    // And it goes on from there.
    await memory.appendJournal(record(1_501));
    await stream.until((s) => entries(s).length >= 1_001);
    expect(entries(stream).at(-1).id).toBe(1_501);
    stream.close();
    await bare.close();
  });
});
