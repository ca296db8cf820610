/**
 * The nearest recorded request, for a replay miss's message, at the cost of a hit: the cassette is
 * indexed once, at load, by what a request is matched on (its operation and whether it carries a key,
 * its route, path and method, each query parameter's value and each body field's), and a miss scores
 * only the exchanges that share something with it: the first NEAREST_PER_FEATURE recorded of each
 * such feature, at most NEAREST_CANDIDATES in all, however long the cassette.
 *
 * Scores are the ones the exhaustive search used (a different path weighs most, then the method, the
 * key's presence, each query parameter, a whole body, each body field), ties going to the exchange
 * recorded first. LIMITATION: a nearer exchange that shares only values recorded more often than
 * NEAREST_PER_FEATURE times may be passed over for another as near or a little further; the message
 * still names a recorded request of the operation and what differs from it.
 */
import { createHash } from 'node:crypto';
import type { CassetteExchange, CassetteRequest } from './cassette.js';

/** The most recorded exchanges any one miss reads (the regression test holds it to 256). */
export const NEAREST_CANDIDATES = 256;
/** The exchanges kept per feature: the first recorded ones (ties go to the first). */
const NEAREST_PER_FEATURE = 32;
/** The query parameters and body fields of one request that are looked up. */
const MAX_FIELDS = 48;
/** Longer feature values are kept as a digest (a long prompt costs its index no more than a short one). */
const MAX_FEATURE_LENGTH = 200;

/** What a miss is compared on: the replay's normalised request, or a recorded one. */
export interface AskedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  hasKey: boolean;
  /** The body as JSON, or its text; undefined when none. */
  bodyValue: unknown;
}

export interface Nearest {
  exchange: CassetteExchange;
  /** How it differs from the request, most weighty first (`body.aspectRatio (recorded "4:3", sent "16:9")`). */
  reasons: string[];
}

/** JSON with every object's keys sorted, so two bodies that mean the same compare equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A value as a message shows it: quoted, shortened. */
export function shown(value: unknown): string {
  if (value === undefined) return 'absent';
  const text = typeof value === 'string' ? JSON.stringify(value) : canonical(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Leaves of a JSON value by path (`body.quality`, `body.imageUrls[0]`). */
function leaves(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
  else out.set(path, value);
  return out;
}

function recordedBody(request: CassetteRequest): unknown {
  return request.body !== undefined ? request.body : request.bodyText;
}

/** A recorded request as a miss is compared with it. */
export function askedOf(request: CassetteRequest): AskedRequest {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    hasKey: request.headers.authorization !== undefined,
    bodyValue: recordedBody(request),
  };
}

function feature(name: string, value: string): string {
  const text = `${name}=${value}`;
  return text.length <= MAX_FEATURE_LENGTH
    ? text
    : `${name}#${createHash('sha256').update(value).digest('base64url')}`;
}

/** What a request can share with a recorded one, the most telling first. */
function featuresOf(r: AskedRequest): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(r.query))
    fields.push(feature(`query.${name}`, canonical(value)));
  if (r.bodyValue !== undefined) {
    fields.push(feature('body', canonical(r.bodyValue)));
    for (const [path, value] of leaves(r.bodyValue, 'body', new Map()))
      fields.push(feature(path, canonical(value)));
  }
  return [
    `op ${r.method} ${r.path} ${r.hasKey ? 'key' : 'no key'}`,
    ...fields.slice(0, MAX_FIELDS),
    `route ${r.method} ${r.path}`,
    `path ${r.path}`,
    `method ${r.method}`,
    'any',
  ];
}

export class NearestIndex {
  /** Each feature's first recorded exchanges (at most NEAREST_PER_FEATURE). */
  private readonly byFeature = new Map<string, CassetteExchange[]>();

  constructor(exchanges: readonly CassetteExchange[]) {
    for (const exchange of exchanges) {
      for (const f of new Set(featuresOf(askedOf(exchange.request)))) {
        const list = this.byFeature.get(f);
        if (!list) this.byFeature.set(f, [exchange]);
        else if (list.length < NEAREST_PER_FEATURE) list.push(exchange);
      }
    }
  }

  /** The recorded exchange nearest to `asked` among those that share something with it; undefined when none is recorded. */
  nearest(asked: AskedRequest): Nearest | undefined {
    const candidates = new Set<CassetteExchange>();
    for (const f of featuresOf(asked)) {
      for (const exchange of this.byFeature.get(f) ?? []) {
        if (candidates.size >= NEAREST_CANDIDATES) break;
        candidates.add(exchange);
      }
      if (candidates.size >= NEAREST_CANDIDATES) break;
    }
    let best: (Nearest & { score: number }) | undefined;
    for (const exchange of [...candidates].sort((a, b) => a.id - b.id)) {
      const { score, reasons } = difference(asked, askedOf(exchange.request));
      if (!best || score < best.score) best = { exchange, score, reasons };
    }
    return best && { exchange: best.exchange, reasons: best.reasons };
  }
}

/** How far a recorded request is from the one asked, and in what. */
function difference(req: AskedRequest, recorded: AskedRequest): { score: number; reasons: string[] } {
  const reasons: string[] = [];
  let score = 0;
  if (recorded.path !== req.path) {
    score += 1000;
    reasons.push(`the path (recorded ${recorded.path})`);
  }
  if (recorded.method !== req.method) {
    score += 100;
    reasons.push(`the method (recorded ${recorded.method})`);
  }
  if (recorded.hasKey !== req.hasKey) {
    score += 50;
    reasons.push(
      `Authorization (recorded ${recorded.hasKey ? 'with a key' : 'without one'}, sent ${req.hasKey ? 'with one' : 'without'})`,
    );
  }
  for (const name of new Set([...Object.keys(recorded.query), ...Object.keys(req.query)])) {
    if (canonical(recorded.query[name]) === canonical(req.query[name])) continue;
    score += 10;
    reasons.push(`query.${name} (recorded ${shown(recorded.query[name])}, sent ${shown(req.query[name])})`);
  }
  if (canonical(recorded.bodyValue ?? '') !== canonical(req.bodyValue ?? '')) {
    const isObject = (v: unknown) => typeof v === 'object' && v !== null;
    if (isObject(recorded.bodyValue) && isObject(req.bodyValue)) {
      const a = leaves(recorded.bodyValue, 'body', new Map());
      const b = leaves(req.bodyValue, 'body', new Map());
      for (const path of new Set([...a.keys(), ...b.keys()])) {
        if (canonical(a.get(path)) === canonical(b.get(path))) continue;
        score += 1;
        reasons.push(`${path} (recorded ${shown(a.get(path))}, sent ${shown(b.get(path))})`);
      }
    } else {
      score += 20;
      reasons.push(`the body (recorded ${shown(recorded.bodyValue)}, sent ${shown(req.bodyValue)})`);
    }
  }
  return { score, reasons };
}
