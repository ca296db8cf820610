/**
 * Heap held per retained task: builds a MemoryStore and a Simulator from the domain classes, accepts
 * N tasks with realistic prompts through Simulator.generate the way the HTTP path does (the body
 * parsed from JSON, the owner derived from the key per request), settles them all, and compares
 * heapUsed after a full GC with heapUsed before. Prints one JSON line.
 *
 *   node --expose-gc --max-old-space-size=8192 --import tsx scripts/bench/memory-per-task.ts [--tasks=N]
 *     [--snapshot-dir=DIR]
 *
 * --snapshot-dir also writes before.heapsnapshot and after.heapsnapshot there (use a small N), for
 * heap-breakdown.ts to say which objects the bytes are.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { VirtualClock } from '../../mock-server/src/domain/clock.js';
import { DEFAULT_FAILURE_RATE } from '../../mock-server/src/domain/latency.js';
import { createRng } from '../../mock-server/src/domain/rng.js';
import { Simulator } from '../../mock-server/src/domain/simulator.js';
import type { GenerateRequest } from '../../mock-server/src/domain/wire-types.js';
import { MemoryStore } from '../../mock-server/src/store/memory-store.js';
import { promptSource } from './prompts.js';

const BENCH_KEYS = ['sk-bench-key-0', 'sk-bench-key-1', 'sk-bench-key-2', 'sk-bench-key-3'];

const tasksArg = process.argv.find((a) => a.startsWith('--tasks='));
const TASKS = tasksArg ? Number(tasksArg.slice('--tasks='.length)) : 1_000_000;
if (!Number.isSafeInteger(TASKS) || TASKS < 1) throw new Error('--tasks takes a positive integer');

const snapshotArg = process.argv.find((a) => a.startsWith('--snapshot-dir='));
const SNAPSHOT_DIR = snapshotArg?.slice('--snapshot-dir='.length);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const clock = new VirtualClock();
const store = new MemoryStore(); // default retention: a million finished tasks, 10,000 ledger entries per key
const simulator = new Simulator({
  store,
  clock,
  seed: 'bench',
  createRng,
  latency: 'fast',
  failureRate: DEFAULT_FAILURE_RATE.fast,
  accounts: BENCH_KEYS.map((apiKey) => ({ apiKey, balance: 1_000_000_000_000 })),
});
// 10,000 distinct bodies, serialised once: parsing one per task still gives every task its own
// strings, as a request over HTTP would, without paying faker a million times.
const prompts = promptSource(3);
const BODIES = Array.from({ length: 10_000 }, () => JSON.stringify(prompts.body()));

async function accept(n: number): Promise<number> {
  let promptChars = 0;
  for (let i = 0; i < n; i++) {
    // As over HTTP: a fresh request object parsed from JSON, and the key's owner computed per request.
    const request = JSON.parse(BODIES[i % BODIES.length]!) as GenerateRequest;
    promptChars += request.prompt.length;
    const owner = await simulator.authenticate(BENCH_KEYS[i % BENCH_KEYS.length]!);
    const result = await simulator.generate(owner!, request);
    if (!result.ok) throw new Error(`generate refused: ${result.reason}`);
  }
  return promptChars / n;
}

// Warm every code path once, then start from an empty store.
await simulator.reset(); // opens the accounts, as compose() does
await accept(20_000);
clock.advance(3_600_000);
await simulator.settleDue();
await simulator.reset();

const before = heapAfterGc();
if (SNAPSHOT_DIR) writeHeapSnapshot(join(SNAPSHOT_DIR, 'before.heapsnapshot'));
const started = performance.now();
const promptLength = await accept(TASKS);
const acceptedMs = performance.now() - started;
clock.advance(3_600_000); // every task of the `fast` profile ends within seconds
const settled = await simulator.settleDue();
const settleMs = performance.now() - started - acceptedMs;
const afterSettle = heapAfterGc();
// settleDue keeps a due task's entry in the pending heap until the next call sees it settled.
await simulator.settleDue();
const after = heapAfterGc();
if (SNAPSHOT_DIR) writeHeapSnapshot(join(SNAPSHOT_DIR, 'after.heapsnapshot'));
const retained = await store.countTasks();
const statuses = await store.listTasks({ limit: 1 });

process.stdout.write(
  JSON.stringify({
    tasks: TASKS,
    retained,
    settled,
    lastStatus: statuses[0]?.status,
    promptLength,
    heapBefore: before,
    heapAfter: after,
    bytesPerTask: (after - before) / TASKS,
    bytesPerTaskBeforeHeapDrain: (afterSettle - before) / TASKS,
    rss: process.memoryUsage().rss,
    acceptedMs,
    settleMs,
  }) + '\n',
);
