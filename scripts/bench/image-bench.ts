/**
 * Benchmark of the simulator's image renderer: cold and cached render times at every upstream size,
 * and how long the event loop is held up while 4K images render.
 *
 *   npx tsx scripts/bench/image-bench.ts [--runs N]
 *
 * Cold renders use a new task id each time, so neither the renderer's cache nor its in-flight
 * sharing can serve them. Figures are wall-clock milliseconds on this machine; they are for people
 * (tests make no timing assertions).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { createImageRenderer, type ImageRequest } from '../../mock-server/src/images/image-renderer.js';
import { ASPECT_RATIOS, QUALITIES, outputSize } from '../../mock-server/src/images/output-sizes.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive integer');

let nextTask = 0;
const freshTaskId = () => `sd45_bench${(nextTask++).toString(16).padStart(11, '0')}`;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `median ${median.toFixed(1)}  min ${sorted[0]?.toFixed(1)}  max ${sorted.at(-1)?.toFixed(1)}`;
}

/** Runs `work` while the event loop's delay is sampled every millisecond; figures in ms. */
async function loopDelayDuring(work: () => Promise<unknown>): Promise<string> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const [elapsed] = await timed(work);
  histogram.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  return (
    `over ${elapsed.toFixed(0)} ms: mean ${ms(histogram.mean)}  p50 ${ms(histogram.percentile(50))}  ` +
    `p99 ${ms(histogram.percentile(99))}  max ${ms(histogram.max)}  (samples ${histogram.count})`
  );
}

const renderer = createImageRenderer();
const big = outputSize('16:9', 'high');

console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, availableParallelism ${availableParallelism()}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\nsharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, ` +
    `sharp.concurrency ${sharp.concurrency()}, ${RUNS} runs per size\n`,
);

// The very first render also pays for libvips' start-up and the first allocation of its pools.
const [first, firstJpeg] = await timed(() => renderer.render({ taskId: freshTaskId(), index: 0, ...big }));
console.log(
  `first render in the process, ${big.width}x${big.height}: ${first.toFixed(1)} ms (${(firstJpeg.length / 1024).toFixed(0)} KiB)\n`,
);

console.log('size                         cold render (ms)                        cached (ms)   JPEG');
for (const quality of QUALITIES) {
  for (const aspectRatio of ASPECT_RATIOS) {
    const { width, height } = outputSize(aspectRatio, quality);
    const cold: number[] = [];
    const cached: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const req: ImageRequest = { taskId: freshTaskId(), index: 0, width, height };
      const [coldMs, jpeg] = await timed(() => renderer.render(req));
      cold.push(coldMs);
      bytes = jpeg.length;
      cached.push((await timed(() => renderer.render(req)))[0]);
    }
    const label = `${aspectRatio} ${quality} ${width}x${height}`.padEnd(28);
    const cachedMedian = [...cached].sort((a, b) => a - b)[Math.floor(cached.length / 2)] ?? NaN;
    console.log(
      `${label} ${summary(cold).padEnd(40)} ${cachedMedian.toFixed(3).padStart(8)}   ${(bytes / 1024).toFixed(0)} KiB`,
    );
  }
}

console.log(
  '\nmain-thread time of render() up to its first await (key, hash, SVG string, first pipeline set-up)',
);
const sync: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const pending = renderer.render({ taskId: freshTaskId(), index: 0, ...big });
  sync.push(performance.now() - start);
  await pending;
}
console.log(`  4K (5504x3040), cold: ${summary(sync)} ms`);

console.log('\nevent-loop delay (monitorEventLoopDelay, 1 ms resolution; an idle loop reads about 1 ms)');
const delays: [string, () => Promise<unknown>][] = [
  ['idle, 500 ms', () => new Promise((resolve) => setTimeout(resolve, 500))],
  ['one 4K render (5504x3040), cold', () => renderer.render({ taskId: freshTaskId(), index: 0, ...big })],
  [
    `${RUNS} 4K renders one after the other`,
    async () => {
      for (let i = 0; i < RUNS; i++) {
        const size = outputSize(i % 2 ? '1:1' : '16:9', 'high');
        await renderer.render({ taskId: freshTaskId(), index: 0, ...size });
      }
    },
  ],
  [
    'a 4-image 4K burst, in parallel',
    () => {
      const taskId = freshTaskId();
      return Promise.all([0, 1, 2, 3].map((index) => renderer.render({ taskId, index, ...big })));
    },
  ],
];
for (const [label, work] of delays) console.log(`  ${label.padEnd(36)} ${await loopDelayDuring(work)}`);
console.log(`\ncache holds ${(renderer.cachedBytes() / 1024 / 1024).toFixed(1)} MiB`);
