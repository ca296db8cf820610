/**
 * 4K image serving over HTTP: tasks made to succeed on their first poll (`X-Mock-Polls: 1`), then
 * each image URL fetched twice, timing the whole download: the first fetch renders, the second
 * should come from the renderer's cache.
 */
import { performance } from 'node:perf_hooks';
import { BENCH_KEYS, type Target } from './targets.js';

export interface ImageTiming {
  size: string;
  bytes: number;
  /** ms, one per task, in order; the very first is the first render of the process if `fresh`. */
  first: number[];
  cached: number[];
}

const SIZES = [
  { aspectRatio: '1:1', label: '4096x4096' },
  { aspectRatio: '16:9', label: '5504x3040' },
] as const;

async function fetchTimed(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const start = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - start, bytes: body.byteLength, status: res.status };
}

export async function measureImages(target: Target, perSize = 3): Promise<ImageTiming[]> {
  const key = BENCH_KEYS[0];
  const headers = { authorization: `Bearer ${key}` };
  const out: ImageTiming[] = [];
  for (const { aspectRatio, label } of SIZES) {
    const timing: ImageTiming = { size: label, bytes: 0, first: [], cached: [] };
    for (let i = 0; i < perSize; i++) {
      const gen = await fetch(`${target.url}/api/generate`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-mock-polls': '1' },
        body: JSON.stringify({ prompt: `4K serving benchmark ${label} #${i}`, aspectRatio, quality: 'high' }),
      });
      const { data } = (await gen.json()) as { data: { task_id: string } };
      const status = await fetch(`${target.url}/api/status?task_id=${data.task_id}`, { headers });
      const record = (await status.json()) as { data: { status: string; response: string[] } };
      const url = record.data.response[0];
      if (record.data.status !== 'SUCCESS' || !url)
        throw new Error(`task not SUCCESS: ${JSON.stringify(record)}`);
      const first = await fetchTimed(url);
      const cached = await fetchTimed(url);
      if (first.status !== 200 || cached.status !== 200)
        throw new Error(`image ${url}: ${first.status}/${cached.status}`);
      timing.bytes = first.bytes;
      timing.first.push(first.ms);
      timing.cached.push(cached.ms);
    }
    out.push(timing);
  }
  return out;
}
