/**
 * Following the journal over real sockets, for the tests of GET /__mock/journal/stream and
 * /__mock/journal/wait: a stream read with fetch and parsed as server-sent events, a wait held open
 * until it answers or is given up, and the store operations a simulator has run (its metrics), which
 * is how these tests count work instead of timing it.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';

/** Waiting for real events (a socket's bytes): a generous bound, never a speed claim. */
export const BOUND_MS = 15_000;

export interface Stream {
  events: EventSourceMessage[];
  comments: string[];
  /** Resolves once `predicate` holds for what has arrived (rejects after the bound). */
  until(predicate: (s: Stream) => boolean): Promise<void>;
  /** Resolves when the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  expect(res.status, await (res.ok ? Promise.resolve('') : res.text())).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const stream: Stream = {
    events: [],
    comments: [],
    until: (predicate) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(stream)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `stream: not there after ${BOUND_MS} ms: ${JSON.stringify(stream.events.map((e) => e.event))}`,
            ),
          );
        }, BOUND_MS);
        waiters.add(check);
        check();
      }),
    ended: Promise.resolve(),
    close: () => ctrl.abort(),
  };
  const parser = createParser({
    onEvent: (e) => {
      stream.events.push(e);
      notify();
    },
    onComment: (c) => {
      stream.comments.push(c);
      notify();
    },
  });
  stream.ended = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        parser.feed(value);
      }
    } catch {
      // aborted
    }
    notify();
  })();
  return stream;
}

/** The `entry` events' data, parsed. */
export const entries = (s: Stream) =>
  s.events
    .filter((e) => e.event === 'entry')
    .map((e) => JSON.parse(e.data) as { id: number } & Record<string, unknown>);

/** A wait's answer body: the success envelope, or an error's. */
export interface WaitBody {
  code: number;
  message: string;
  data: {
    timed_out?: boolean;
    entries?: Array<{ id: number; request_body?: { prompt?: string } } & Record<string, unknown>>;
    type?: string;
    retry_after_seconds?: number;
  };
}

export interface HeldWait {
  /** The answer: its status, Retry-After header and body. */
  answer: Promise<{ status: number; retryAfter: string | null; body: WaitBody }>;
  abort(): void;
}

/** GET /__mock/journal/wait, held open until it answers (or `abort`). */
export function holdWait(
  url: string,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): HeldWait {
  const ctrl = new AbortController();
  const answer = fetch(`${url}/__mock/journal/wait?${new URLSearchParams(query)}`, {
    headers,
    signal: ctrl.signal,
  }).then(async (res) => ({
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as WaitBody,
  }));
  answer.catch(() => undefined); // an aborted wait is given up on purpose
  return { answer, abort: () => ctrl.abort() };
}

/** How many times the simulator at `url` has run a store operation (its metrics' histogram count). */
export async function storeOperations(url: string, operation: string): Promise<number> {
  const text = await (await fetch(`${url}/__mock/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(
    /^dreamcore_store_operation_duration_seconds_count\{([^}]*)\} ([0-9.e+]+)$/gm,
  ))
    if (m[1]!.includes(`operation="${operation}"`)) total += Number(m[2]);
  return total;
}

/** Polls `check` (a request to the simulator, not a timer of it) until it holds, within the bound. */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > BOUND_MS) throw new Error(`not within ${BOUND_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Pair {
  /** Where requests are sent. */
  a: string;
  /** Where they are followed (the same simulator on the memory store, another replica on Redis). */
  b: string;
  stop(): Promise<void>;
}

/** A simulator (or a fleet) with these extra arguments, for the suite below. */
export type StartPair = (args: string[]) => Promise<Pair>;

export async function generate(url: string, prompt: string, key = DEV_KEY): Promise<void> {
  const res = await fetch(`${url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, aspectRatio: '1:1', quality: 'basic' }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

export async function createTenant(url: string, body: object = {}) {
  const res = await fetch(`${url}/__mock/tenants`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  const { data } = (await res.json()) as {
    data: { tenant: { id: string }; token: string; keys: Array<{ apiKey: string }> };
  };
  return { id: data.tenant.id, token: data.token, key: data.keys[0]!.apiKey };
}

export const prompts = (s: Stream) => entries(s).map((e) => (e.request_body as { prompt: string }).prompt);

/**
 * What waits and streams cost, their bounds, and what a dropped tenant's followers see: the same on
 * every store. Entries are written through `a` and followed on `b`.
 */
export function describeFollowers(name: string, start: StartPair): void {
  describe(`journal followers on ${name}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await start([]);
    }, 30_000);
    afterAll(() => pair?.stop());

    it('a held wait costs no store query while requests it does not match come', async () => {
      const { a, b } = pair;
      const before = await storeOperations(b, 'queryJournal');
      const waits = Array.from({ length: 10 }, (_, i) =>
        holdWait(b, { q: `needle-${i}`, timeoutMs: '60000' }),
      );
      try {
        // Each wait looks at the journal once, when it starts: the entry may be there already.
        await eventually(
          async () => (await storeOperations(b, 'queryJournal')) >= before + 10,
          'every wait looked at the journal',
        );
        for (let i = 0; i < 20; i++) await generate(a, `a plain prompt ${i}`);
        await generate(a, 'the needle-3 prompt');
        const answered = await waits[3]!.answer;
        expect(answered.status).toBe(200);
        expect(answered.body.data.timed_out).toBe(false);
        expect(answered.body.data.entries!.map((e) => e.request_body?.prompt)).toEqual([
          'the needle-3 prompt',
        ]);
        // 21 requests journaled while 10 waits were held: not one more query than the waits' first looks.
        expect(await storeOperations(b, 'queryJournal')).toBe(before + 10);
      } finally {
        for (const w of waits) w.abort();
      }
    });

    it('an idle stream costs no store query per request; a matching one gets each entry once', async () => {
      const { a, b } = pair;
      const idle = await Promise.all(
        Array.from({ length: 10 }, () => openStream(`${b}/__mock/journal/stream?path=/nowhere`)),
      );
      const needles = await Promise.all([0, 1].map(() => openStream(`${b}/__mock/journal/stream?q=needle`)));
      try {
        await generate(a, 'needle one');
        for (const n of needles) await n.until((s) => entries(s).length >= 1);
        const before = await storeOperations(b, 'queryJournal');
        for (let i = 0; i < 20; i++) await generate(a, `a plain prompt ${i}`);
        await generate(a, 'needle two');
        for (const n of needles) await n.until((s) => entries(s).length >= 2);
        expect(await storeOperations(b, 'queryJournal')).toBe(before);
        expect(prompts(needles[0]!)).toEqual(['needle one', 'needle two']);
        expect(needles[1]!.events).toEqual(needles[0]!.events);
        for (const s of idle) expect(s.events).toEqual([]);
      } finally {
        for (const s of [...idle, ...needles]) s.close();
      }
    });

    it("ends a dropped tenant's streams with a `dropped` event and answers its waits 410", async () => {
      const { a, b } = pair;
      const tenant = await createTenant(a);
      const headers = { 'X-Mock-Token': tenant.token };
      const stream = await openStream(`${b}/__mock/journal/stream`, headers);
      const before = await storeOperations(b, 'queryJournal');
      const wait = holdWait(b, { path: '/nowhere', timeoutMs: '60000' }, headers);
      await eventually(async () => (await storeOperations(b, 'queryJournal')) > before, 'the wait is held');
      await generate(a, 'in the tenant', tenant.key);
      await stream.until((s) => entries(s).length === 1);

      const dropped = await fetch(`${a}/__mock/tenants/${tenant.id}`, { method: 'DELETE' });
      expect(dropped.status).toBe(200);

      await stream.until((s) => s.events.some((e) => e.event === 'dropped'));
      await stream.ended;
      expect(stream.events.at(-1)!.event).toBe('dropped');
      expect(JSON.parse(stream.events.at(-1)!.data)).toMatchObject({ tenant: tenant.id });
      const answered = await wait.answer;
      expect(answered.status).toBe(410);
      expect(answered.body).toMatchObject({ code: 410, data: { type: 'gone' } });
      expect(answered.body.message).toContain(tenant.id);
    });
  });

  describe(`bounds on journal followers on ${name}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await start(['--max-journal-waits=2', '--max-journal-streams=2']);
    }, 30_000);
    afterAll(() => pair?.stop());

    it('holds at most --max-journal-waits waits per world; beyond, 429 naming the limit, with Retry-After', async () => {
      const { a, b } = pair;
      const before = await storeOperations(b, 'queryJournal');
      const held = [
        holdWait(b, { path: '/nowhere', timeoutMs: '60000' }),
        holdWait(b, { path: '/nowhere', timeoutMs: '60000' }),
      ];
      try {
        await eventually(
          async () => (await storeOperations(b, 'queryJournal')) >= before + 2,
          'both waits are held',
        );
        const refused = await holdWait(b, { path: '/nowhere', timeoutMs: '0' }).answer;
        expect(refused.status).toBe(429);
        expect(refused.body).toMatchObject({ code: 429, data: { type: 'rate_limited' } });
        expect(refused.body.message).toContain('--max-journal-waits');
        expect(refused.retryAfter).toBe(String(refused.body.data.retry_after_seconds));
        // Another world's waits are its own.
        const tenant = await createTenant(a);
        const theirs = await holdWait(
          b,
          { path: '/nowhere', timeoutMs: '0' },
          { 'X-Mock-Token': tenant.token },
        ).answer;
        expect(theirs.status).toBe(200);
        // A wait given up makes room.
        held[0]!.abort();
        await eventually(
          async () => (await holdWait(b, { path: '/nowhere', timeoutMs: '0' }).answer).status === 200,
          'a wait is accepted again',
        );
      } finally {
        for (const w of held) w.abort();
      }
    });

    it('holds at most --max-journal-streams streams per world; beyond, 429 naming the limit, with Retry-After', async () => {
      const { a, b } = pair;
      const open = [
        await openStream(`${b}/__mock/journal/stream`),
        await openStream(`${b}/__mock/journal/stream`),
      ];
      try {
        const refused = await fetch(`${b}/__mock/journal/stream`);
        expect(refused.status).toBe(429);
        expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await refused.json()) as {
          message: string;
          data: { type: string; retry_after_seconds: number };
        };
        expect(body.data.type).toBe('rate_limited');
        expect(body.message).toContain('--max-journal-streams');
        expect(refused.headers.get('retry-after')).toBe(String(body.data.retry_after_seconds));
        const tenant = await createTenant(a);
        const theirs = await openStream(`${b}/__mock/journal/stream`, { 'X-Mock-Token': tenant.token });
        theirs.close();
        open[0]!.close();
        await eventually(async () => {
          const res = await fetch(`${b}/__mock/journal/stream`);
          if (res.status !== 200) return false;
          await res.body!.cancel();
          return true;
        }, 'a stream is accepted again');
      } finally {
        for (const s of open) s.close();
      }
    });
  });
}
