/**
 * A replay miss costs close to a hit: the cassette is indexed at load, and a request it cannot answer
 * looks at a bounded set of recorded exchanges for its "nearest recorded request" message, however
 * many the cassette holds. Work is counted (the recorded exchanges a request reads), never timed.
 */
import { describe, expect, it } from 'vitest';
import type { Cassette, CassetteExchange } from '../../mock-server/src/cassette/cassette.js';
import { CassetteReplay } from '../../mock-server/src/cassette/replay.js';
import type { UpstreamContext, UpstreamRequest } from '../../mock-server/src/proxy/upstream.js';
import { MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { BODY, cassetteOf } from './support.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const AUTH = { authorization: 'Bearer sk-l…aves', 'content-type': 'application/json' };

/** The most recorded exchanges a miss may read, whatever the cassette's size. */
const BOUND = 256;

const taskId = (i: number) => `sd45_${i.toString(16).padStart(16, '0')}`;

/**
 * `n` exchanges, as a long recording holds them: two thirds generates (each its own prompt and task),
 * one third polls of those tasks; every exchange counts each read of its request or response.
 */
function bigCassette(n: number): { cassette: Cassette; examined: Set<number> } {
  const generates = Math.ceil((n * 2) / 3);
  const loose: Array<Record<string, unknown>> = [];
  for (let i = 0; i < generates; i++) {
    loose.push({
      request: {
        method: 'POST',
        path: '/api/generate',
        query: {},
        headers: AUTH,
        body: { ...BODY, prompt: `fox ${i}` },
      },
      response: {
        status: 200,
        headers: JSON_TYPE,
        body: { code: 200, message: 'success', data: { task_id: taskId(i) } },
      },
    });
  }
  for (let i = 0; loose.length < n; i++) {
    loose.push({
      request: { method: 'GET', path: '/api/status', query: { task_id: taskId(i) }, headers: AUTH },
      response: {
        status: 200,
        headers: JSON_TYPE,
        body: {
          code: 200,
          message: 'success',
          data: {
            task_id: taskId(i),
            status: 'IN_PROGRESS',
            request: { ...BODY, prompt: `fox ${i}` },
            response: [],
            consumed_credits: 18,
            error_message: null,
            created_at: '2026-01-01T00:00:00Z',
          },
        },
      },
    });
  }
  const cassette = cassetteOf(loose);
  const examined = new Set<number>();
  for (const exchange of cassette.exchanges) watch(exchange, examined);
  return { cassette, examined };
}

/** Counts the exchange in `examined` whenever its request or response is read. */
function watch(exchange: CassetteExchange, examined: Set<number>): void {
  for (const field of ['request', 'response'] as const) {
    const value = exchange[field];
    Object.defineProperty(exchange, field, {
      enumerable: true,
      get: () => {
        examined.add(exchange.id);
        return value;
      },
    });
  }
}

function request(method: string, url: string, body?: unknown): UpstreamRequest {
  const [path, search = ''] = url.split('?') as [string, string?];
  return {
    method,
    url,
    path,
    search,
    headers: { authorization: 'Bearer sk-ci-replay', 'content-type': 'application/json' },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    key: 'sk-ci-replay',
  };
}

const context = (): UpstreamContext => ({
  worldId: 'default',
  store: new MemoryStore(),
  now: 0,
  baseUrl: 'http://127.0.0.1:4010',
});

/** What each request reads of the cassette, and what it answers. */
async function costOf(n: number) {
  const { cassette, examined } = bigCassette(n);
  const replay = new CassetteReplay(cassette, 'clock', `big-${n}.json`);
  const last = Math.ceil((n * 2) / 3) - 1;
  const probe = async (req: UpstreamRequest) => {
    examined.clear();
    const result = await replay.exchange(req, context());
    return { result, examined: examined.size };
  };
  return {
    hit: await probe(request('POST', '/api/generate', { ...BODY, prompt: `fox ${last}` })),
    bodyMiss: await probe(
      request('POST', '/api/generate', { ...BODY, prompt: `fox ${last}`, aspectRatio: '16:9' }),
    ),
    queryMiss: await probe(request('GET', `/api/status?task_id=${taskId(10 ** 9)}`)),
    pathMiss: await probe(request('GET', '/api/elsewhere')),
    last,
    generates: last + 1,
  };
}

describe('a replay miss on a cassette of 60,000 exchanges', () => {
  it('reads a bounded number of recorded exchanges, the same as on a cassette ten times smaller', async () => {
    const big = await costOf(60_000);
    const small = await costOf(6_000);
    expect(big.hit.result.kind).toBe('answer');
    expect(big.hit.examined).toBeLessThanOrEqual(1);
    for (const miss of ['bodyMiss', 'queryMiss', 'pathMiss'] as const) {
      expect(big[miss].result.kind, miss).toBe('miss');
      expect(big[miss].examined, miss).toBe(small[miss].examined);
      expect(big[miss].examined, miss).toBeLessThanOrEqual(BOUND);
    }
  });

  it('still names the nearest recorded request and the field that differs', async () => {
    const { bodyMiss, queryMiss, pathMiss, last, generates } = await costOf(60_000);
    const message = (r: typeof bodyMiss) => (r.result.kind === 'miss' ? r.result.message : '');
    expect(message(bodyMiss)).toContain(
      `The nearest recorded request is #${last + 1} POST /api/generate, which differs in body.aspectRatio (recorded "4:3", sent "16:9")`,
    );
    // Every poll differs from it in its task id alone: the first recorded is the nearest.
    expect(message(queryMiss)).toContain(
      `The nearest recorded request is #${generates + 1} GET /api/status?task_id=${taskId(0)}, which differs in query.task_id (recorded "${taskId(0)}", sent "${taskId(10 ** 9)}")`,
    );
    expect(message(pathMiss)).toContain('which differs in the path (recorded /api/status)');
  });
});
