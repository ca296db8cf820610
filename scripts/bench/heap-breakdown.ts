/**
 * Which objects the bytes of retained tasks are: compares two V8 heap snapshots (as written by
 * memory-per-task.ts --snapshot-dir) by node type and constructor/string kind, divided by the tasks.
 *
 *   npx tsx scripts/bench/heap-breakdown.ts before.heapsnapshot after.heapsnapshot --tasks=N [--top=25]
 */
import { readFileSync } from 'node:fs';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count by `type name` (strings grouped by type only: their names are their contents). */
function aggregate(file: string): Map<string, { bytes: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + TYPE]!]!;
    const name = snap.strings[snap.nodes[i + NAME]!]!;
    const key =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? `${type} (length ${name.length < 24 ? name.length : '24+'})`
        : `${type} ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
    const entry = out.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += snap.nodes[i + SIZE]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

const [beforeFile, afterFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const num = (name: string, fallback: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.slice(name.length + 3)) : fallback;
};
if (!beforeFile || !afterFile) {
  process.stderr.write(
    'usage: heap-breakdown.ts before.heapsnapshot after.heapsnapshot --tasks=N [--top=25]\n',
  );
  process.exit(2);
}
const tasks = num('tasks', 1);
const top = num('top', 25);
const before = aggregate(beforeFile);
const after = aggregate(afterFile);
const rows = [...after.entries()]
  .map(([key, a]) => {
    const b = before.get(key) ?? { bytes: 0, count: 0 };
    return { key, bytes: a.bytes - b.bytes, count: a.count - b.count };
  })
  .sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
process.stdout.write(`${(total / tasks).toFixed(0)} bytes of self size per task in all (${tasks} tasks)\n`);
process.stdout.write('bytes/task  objects/task  type and constructor\n');
for (const r of rows.slice(0, top)) {
  process.stdout.write(
    `${(r.bytes / tasks).toFixed(1).padStart(10)}  ${(r.count / tasks).toFixed(2).padStart(12)}  ${r.key}\n`,
  );
}
