/**
 * What the things a world holds really cost, against what the memory budget charges for them
 * (mock-server/src/store/memory-costs.ts, qa/journal.ts journalEntryBytes): builds the simulator in
 * this process, serves it on a loopback port, makes N things of each kind through the real HTTP path
 * (so that the bodies are the Buffers the body parser hands over), and compares the V8 heap after a
 * full GC (plus the external memory of ArrayBuffers) before and after with the budget's count.
 *
 *   node --expose-gc --import tsx scripts/bench/memory-costs.ts [--n=2000] [--warm=N] [--json]
 *
 * Prints one line per kind: bytes measured and charged per thing, and measured/charged. With --json,
 * one JSON object instead (test/store/memory-costs.test.ts reads it). About 40 s for N=2000 on a
 * 2-core VM (20,000 requests and 18 full GCs).
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { compose, type Composition } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const nArg = process.argv.find((a) => a.startsWith('--n='));
const N = nArg ? Number(nArg.slice('--n='.length)) : 2000;
const JSON_OUT = process.argv.includes('--json');
const warmArg = process.argv.find((a) => a.startsWith('--warm='));
/**
 * Things made first, then dropped, so that code paths and caches are warm before measuring. As many
 * as are measured by default: with 100, V8 was still optimising the rule handlers while the measured
 * rules were made, and that code (about 160 KB on Node 22) was counted against 500 small rules (951 B
 * measured each in CI, 445 B once warm).
 */
const WARM = warmArg ? Number(warmArg.slice('--warm='.length)) : N;

interface Served {
  sim: Composition;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<string>;
  close(): void;
}

async function serve(args: string[]): Promise<Served> {
  const sim = await compose(
    parseConfig(
      [
        '--clock=virtual',
        '--seed=memory-costs',
        '--log-level=silent',
        '--request-log=off',
        '--rate-limit=off',
        '--max-tenants=100000',
        '--max-rules=10000',
        '--max-accounts=100000',
        '--memory-budget-mb=8192',
        '--key=sk-memory-costs=1000000000',
        ...args,
      ],
      {},
    ),
  );
  const server = createServer(sim.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: {
            ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
            'user-agent': 'memory-costs/1.0 (node)',
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return {
    sim,
    call,
    close: () => {
      server.close();
      agent.destroy();
    },
  };
}

function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

const auth = { authorization: 'Bearer sk-memory-costs' };
const results: Record<string, { measured: number; charged: number; ratio: number }> = {};

/** Makes WARM things (code paths warmed), resets, then N: the heap's growth against the budget's. */
async function measure(name: string, served: Served, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARM; i++) await make(-1 - i);
  await served.call('POST', '/__mock/reset');
  const charged = () => served.sim.backend.memory!().usedBytes;
  const [heapBefore, chargedBefore] = [heap(), charged()];
  for (let i = 0; i < N; i++) await make(i);
  const measured = (heap() - heapBefore) / N;
  const per = (charged() - chargedBefore) / N;
  results[name] = { measured: Math.round(measured), charged: Math.round(per), ratio: measured / per };
  await served.call('POST', '/__mock/reset');
  if (!JSON_OUT) {
    process.stdout.write(
      `${name.padEnd(40)} measured ${Math.round(measured).toString().padStart(6)} B   charged ${Math.round(
        per,
      )
        .toString()
        .padStart(6)} B   measured/charged ${(measured / per).toFixed(2)}\n`,
    );
  }
}

const mockHeaders = Object.fromEntries(
  Array.from({ length: 16 }, (_, i) => [`x-mock-note-${i}`, 'h'.repeat(256)]),
);

// Journal entries: a simulator whose journal keeps everything.
const journaled = await serve(['--journal-size=1000000', '--journal-max-mb=65536']);
const created = JSON.parse(
  await journaled.call(
    'POST',
    '/api/generate',
    { prompt: 'a fox', aspectRatio: '1:1', quality: 'basic' },
    auth,
  ),
) as { data: { task_id: string } };
const taskId = created.data.task_id;
await measure('journal: status poll', journaled, () =>
  journaled.call('GET', `/api/status?task_id=${taskId}`, undefined, auth),
);
await measure('journal: generate refused, 1,600-char prompt', journaled, (i) =>
  journaled.call(
    'POST',
    '/api/generate',
    { prompt: `${i} ${'y'.repeat(1600)}`, aspectRatio: '1:1', quality: 'basic' },
    auth,
  ),
);
await measure('journal: 8 KB body, 16 X-Mock headers', journaled, (i) =>
  journaled.call(
    'POST',
    '/api/generate',
    { prompt: `${i} ${'x'.repeat(8000)}`, aspectRatio: '1:1', quality: 'basic' },
    { ...auth, ...mockHeaders },
  ),
);
journaled.close();

// Everything else without a journal, so that each kind is measured alone.
const quiet = await serve(['--journal-size=0']);
await measure('rule: 2,000-character message', quiet, (i) =>
  quiet.call('POST', '/__mock/faults', {
    match: { path: '/api/generate' },
    action: { status: 500, message: `${i} ${'m'.repeat(1990)}` },
  }),
);
await measure('rule: small', quiet, () =>
  quiet.call('POST', '/__mock/faults', { match: { path: '/api/status' }, action: { status: 503 }, times: 5 }),
);
await measure('account (with its set entry)', quiet, (i) =>
  quiet.call('PUT', `/__mock/accounts/sk-account-${i}-${'k'.repeat(24)}`, { balance: 100 }),
);
await measure('task: 80-character prompt (with its debit)', quiet, (i) =>
  quiet.call(
    'POST',
    '/api/generate',
    {
      prompt: `${i} Cinematic photo of an obsidian smartwatch on a marble plinth, volumetric light`,
      aspectRatio: '4:3',
      quality: 'high',
    },
    auth,
  ),
);
await measure('task: 1,500-character prompt, 2 image URLs', quiet, (i) =>
  quiet.call(
    'POST',
    '/api/generate',
    {
      prompt: `${i} ${'z'.repeat(1490)}`,
      aspectRatio: '4:3',
      quality: 'basic',
      imageUrls: [`https://example.com/a/${i}/${'u'.repeat(100)}.png`, `https://example.com/b/${i}.png`],
    },
    auth,
  ),
);
await measure('tenant (one key)', quiet, () =>
  quiet.call('POST', '/__mock/tenants', { keys: [{ balance: 10 }] }),
);
quiet.close();

if (JSON_OUT) process.stdout.write(`${JSON.stringify({ n: N, results })}\n`);
