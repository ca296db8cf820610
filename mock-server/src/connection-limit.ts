/**
 * The default connection cap, from the process's open-file limit: every connection is a file
 * descriptor, and so are the files, pipes and libraries the simulator itself opens. A cap at the
 * limit (Node has none by default) let 1,000 stalled sockets under a 1,024 limit fail every other
 * request with EMFILE, health checks included.
 */
import { readFileSync } from 'node:fs';

/**
 * Connections beyond the cap are accepted only to be told 503; beyond this many more, Node closes
 * them at once (`server.maxConnections`), since answering them would take the very file
 * descriptors the cap protects. The default cap leaves room for this margin under the file limit.
 */
export function refusalMargin(maxConnections: number): number {
  return Math.max(16, Math.ceil(maxConnections / 10));
}

/** Where the limit cannot be read (not Linux): a cap that fits the common 1,024 limits. */
export const FALLBACK_MAX_CONNECTIONS = 700;
/** Even when descriptors abound, memory does not; beyond this, pass --max-connections. */
export const MAX_DEFAULT_CONNECTIONS = 10_000;
/** Descriptors kept for the simulator's own use whatever the limit (stdio, libvips, files, DNS). */
const RESERVED_FDS = 128;

/**
 * The soft "Max open files" limit in /proc/self/limits (Node raises it to the hard limit at
 * start, so this is the limit in force); `unlimited`, or undefined where it cannot be read.
 */
export function openFileLimit(limits?: string): number | 'unlimited' | undefined {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)?.[1];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? 'unlimited' : Number(soft);
}

/**
 * 80 % of what is left once RESERVED_FDS are set aside: the sockets told 503 beyond the cap
 * (refusalMargin) fit in the rest, and so do the simulator's own files. 1,024 gives 716 (plus
 * up to 72 refused), 65,536 and more give MAX_DEFAULT_CONNECTIONS.
 */
export function defaultMaxConnections(limit: number | 'unlimited' | undefined): number {
  if (limit === undefined) return FALLBACK_MAX_CONNECTIONS;
  if (limit === 'unlimited') return MAX_DEFAULT_CONNECTIONS;
  const cap = Math.floor((limit - RESERVED_FDS) * 0.8);
  return Math.max(1, Math.min(MAX_DEFAULT_CONNECTIONS, cap));
}

/** For --help: the default here, and where it came from. */
export function describeDefaultMaxConnections(limit: number | 'unlimited' | undefined): string {
  const cap = defaultMaxConnections(limit);
  return limit === undefined
    ? `${cap}, the open-file limit being unknown`
    : `${cap}, from the open-file limit ${limit}`;
}
