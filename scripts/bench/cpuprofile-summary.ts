/**
 * Where a V8 .cpuprofile's time goes: self time by function, by file and by package, inclusive time
 * of the project's own functions, and every sample attributed to the nearest project frame on its
 * stack (so a library's cost is charged to the project code that called it).
 *
 *   npx tsx scripts/bench/cpuprofile-summary.ts <file.cpuprofile> [--top=25] [--from-ms=N] [--to-ms=N]
 *     [--requests=N]
 *
 * --from-ms/--to-ms keep the samples of that window (ms since the profile started), e.g. to leave
 * out start-up; --requests divides the busy time by the requests served in the window.
 *
 * Caveat on the inclusive figures: Express middleware that calls next() synchronously has the rest
 * of the chain on its stack, so its inclusive time (and the "nearest project frame") includes the
 * middleware after it. Self time is exact.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)']);

function shortPath(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  const m = /\/(dist\/)?(mock-server|scripts|generated|test|contracts)\/.*/.exec(path);
  return m ? m[0].slice(1) : path;
}

/** A package for node_modules, `node:*` for Node's own code, a folder of the project for ours. */
function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: (Node.js internals)';
  const path = url.replace(/^file:\/\//, '');
  const nm = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nm) return nm[1]!;
  const ours = /\/(?:dist\/)?mock-server\/src\/(.*\/)?[^/]+$/.exec(path);
  if (ours) return `project: mock-server/src/${ours[1] ?? ''}`;
  return shortPath(url);
}

function isProject(frame: CallFrame): boolean {
  return /\/(?:dist\/)?mock-server\/src\//.test(frame.url) && !frame.url.includes('/node_modules/');
}

const label = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'}  ${shortPath(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

export interface SummaryOptions {
  top?: number;
  /** Window to keep, in ms since the profile started. */
  fromMs?: number;
  toMs?: number;
  /** Requests served in the window, for CPU time per request. */
  requests?: number;
}

export function summarize(profile: CpuProfile, options: SummaryOptions = {}): string {
  const { top = 25, fromMs = 0, toMs = Infinity, requests } = options;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time of each node: the time delta that follows each sample belongs to that sample.
  const selfUs = new Map<number, number>();
  let at = 0; // us since the profile started
  let kept = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromMs * 1000 || at > toMs * 1000) continue;
    kept++;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    total += us;
    if (IDLE.has(byId.get(id)!.callFrame.functionName)) idle += us;
  }
  const busy = total - idle;

  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusiveProject = new Map<string, number>();
  const inclusivePackage = new Map<string, number>();
  const nearestProject = new Map<string, number>();

  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (IDLE.has(frame.functionName)) continue;
    add(byFunction, label(frame), us);
    add(byFile, frame.url ? shortPath(frame.url) : `(native) ${frame.functionName}`, us);
    add(byPackage, packageOf(frame), us);
    // Walk the stack once per node (weighted by its self time).
    const seen = new Set<string>();
    const packages = new Set<string>();
    let nearest: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const pkg = packageOf(f);
      if (!packages.has(pkg)) {
        packages.add(pkg);
        add(inclusivePackage, pkg, us);
      }
      if (!isProject(f)) continue;
      const key = label(f);
      nearest ??= key;
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusiveProject, key, us);
      }
    }
    add(nearestProject, nearest ?? '(no project frame on the stack: Node/Express/library/GC)', us);
  }

  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const msOf = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const table = (title: string, m: Map<string, number>) => {
    const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    return [`## ${title}`, ...rows.map(([k, us]) => `${pct(us)} ${msOf(us)}  ${k}`), ''].join('\n');
  };

  const window =
    Number.isFinite(toMs) || fromMs > 0 ? `window ${fromMs.toFixed(0)}-${toMs.toFixed(0)} ms, ` : '';
  const perRequest = requests
    ? ` ${requests} requests in the window: ${(busy / requests).toFixed(1)} us of CPU per request.`
    : '';
  return [
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${window}${kept} samples; ` +
      `busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms.${perRequest} Percentages are of busy time.`,
    '',
    table(`self time by function (top ${top})`, byFunction),
    table(`self time by file (top ${top})`, byFile),
    table(`self time by package / project folder (top ${top})`, byPackage),
    table(`inclusive time by package (any of its frames on the stack) (top ${top})`, inclusivePackage),
    table(`inclusive time of project functions (top ${top})`, inclusiveProject),
    table(`self time charged to the nearest project frame on the stack (top ${top})`, nearestProject),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary.ts <file.cpuprofile> [--top=25]\n');
    process.exit(2);
  }
  const num = (name: string) => {
    const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
    return hit ? Number(hit.slice(name.length + 3)) : undefined;
  };
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(
    summarize(profile, {
      top: num('top'),
      fromMs: num('from-ms'),
      toMs: num('to-ms'),
      requests: num('requests'),
    }),
  );
}
