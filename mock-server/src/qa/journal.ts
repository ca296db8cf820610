/**
 * The recent requests and their responses, for QA to read back what a client did. A ring buffer
 * of bounded size; keys are stored redacted, bodies truncated, so it never holds a secret or grows.
 *
 * Every public request is recorded, and the journal is read rarely: so a record keeps the query
 * string, the request's bytes and the response object as they are, and they are parsed, serialised
 * and truncated when the journal is read. Recording is then a few field copies on the hot path
 * (parsing and serialising both bodies on every request cost more than validating it).
 */
import { parse as parseQueryString } from 'node:querystring';
import type { DriftFinding } from '../drift/spec-drift.js';
import type { WorldMeter } from '../store/memory-budget.js';

export interface JournalEntry {
  id: number;
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  durationMs: number;
  keyLabel: string | null;
  keyOwner: string | null;
  taskId: string | null;
  injected: string | null;
  /** The spec's operationId of the route the request matched, or null (an unknown path). */
  operation: string | null;
  /**
   * An allowlist of the request's headers (journalHeaders): content type, user agent, `Prefer`, the
   * `X-Mock-*` fault headers, and `Authorization` as the redacted key. Never a key or a token.
   */
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  responseBody: unknown;
  /** Proxy and replay modes: how the exchange departs from openapi.yaml (absent when it does not). */
  drift?: DriftFinding[];
}

export interface JournalFilter {
  method?: string;
  path?: string;
  /** `429` or a class such as `4xx`. */
  status?: string;
  keyOwner?: string;
  taskId?: string;
  /** Only entries older than this id (the `next` of the previous page). */
  before?: number;
  /** Only entries newer than this id. */
  after?: number;
  /** `true`: only answers QA injected (any source); `false`: only the others; a string: that source exactly (`header`, `chaos`, `rate-limit`, `rule_3`). */
  injected?: boolean | string;
  /** Only entries of this operationId. */
  operation?: string;
  /**
   * Free text: entries where it occurs, ignoring the case of ASCII letters, in the path, the query
   * string, the request or response body (as sent, possibly truncated), a recorded header value, the
   * task id, the key's redacted label, the operation or what injected it.
   */
  text?: string;
  limit?: number;
}

/** The longest free-text filter accepted (the control API refuses longer ones). */
export const MAX_JOURNAL_TEXT = 200;

const HEADER_VALUE_CHARS = 256;
const MAX_MOCK_HEADERS = 16;
const JOURNAL_HEADERS = new Set(['content-type', 'user-agent', 'prefer']);

/**
 * The request headers a journal entry keeps: an allowlist, so that no header that can carry a secret
 * (cookies, proxies' credentials, X-Mock-Token) is ever stored. `Authorization` is kept as what it
 * authenticates with, the key's redacted label (`Bearer sk-d…-dev#d88b21`), never the key; each value is cut
 * to 256 characters and at most 16 `X-Mock-*` headers are kept.
 */
export function journalHeaders(
  headers: Record<string, string | string[] | undefined>,
  redact: (key: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  let mock = 0;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    const value = (Array.isArray(raw) ? raw.join(', ') : raw).slice(0, HEADER_VALUE_CHARS);
    if (lower === 'authorization') {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(value);
      out[lower] = bearer ? `Bearer ${redact(bearer[1]!)}` : '[redacted]';
    } else if (JOURNAL_HEADERS.has(lower)) out[lower] = value;
    else if (lower.startsWith('x-mock-') && lower !== 'x-mock-token' && mock < MAX_MOCK_HEADERS) {
      out[lower] = value;
      mock++;
    }
  }
  return out;
}

/** The most entries one read returns: larger reads page, so one read never stalls the server. */
export const MAX_JOURNAL_PAGE = 500;
/**
 * The most entries one read examines: a filter that matches little returns a short page (with
 * `next`) instead of walking a million entries while every other request waits.
 */
export const MAX_JOURNAL_SCAN = 20_000;

const MAX_BODY_CHARS = 2048;

function truncated(text: string): string {
  return `${text.slice(0, MAX_BODY_CHARS)}… (${text.length} characters)`;
}

/** Small bodies are kept as they are; a large one as its first characters. */
function truncateBody(body: unknown): unknown {
  if (body === undefined) return undefined;
  const text = JSON.stringify(body);
  if (text === undefined || text.length <= MAX_BODY_CHARS) return body;
  return truncated(text);
}

/** A request body from its raw bytes: parsed when it is small JSON, else its first characters. */
function bodyFromRaw(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.length > MAX_BODY_CHARS) return truncated(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Defence in depth only: the middleware hands over a query already rendered safe by
 * request-rendering.ts (values of undeclared or secret parameters replaced); this also hides any
 * value whose name suggests a secret, should a record come from elsewhere.
 */
const SECRET_PARAM = /key|token|secret|auth|password|signature/i;

/** Query parameters as strings, with any whose name suggests a secret redacted (a key sent by mistake). */
function journalQuery(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).map(([k, v]) => [k, SECRET_PARAM.test(k) ? '[redacted]' : String(v)]),
  );
}

/** What the middleware hands over: the raw forms, materialised into a JournalEntry on read. */
export interface JournalRecord extends Omit<JournalEntry, 'id' | 'query' | 'requestBody' | 'responseBody'> {
  /** The URL's query string, without `?` (empty when none), rendered safe by request-rendering.ts. */
  rawQuery: string;
  /** The request body's bytes as received, if any. */
  rawRequestBody: Buffer | undefined;
  /** The response body as sent (the JSON text), if any. */
  responseText?: string | undefined;
  /** The response as an object, when it was not sent as text (tests). */
  responseBody?: unknown;
}

export interface StoredEntry extends Omit<JournalRecord, 'rawRequestBody' | 'responseText'> {
  id: number;
  /** Small bodies as bytes; a large one already truncated, so an entry stays small. */
  requestBody: Buffer | string | undefined;
  responseText: string | undefined;
  /** What this entry is counted as against the journal's byte bound. */
  bytes: number;
}

/** Bytes kept of a request body: enough for MAX_BODY_CHARS characters of any UTF-8 text. */
const MAX_BODY_BYTES = MAX_BODY_CHARS * 4;

export function materialise(e: StoredEntry): JournalEntry {
  const { rawQuery, requestBody, responseBody, responseText, bytes: _bytes, ...rest } = e;
  return {
    ...rest,
    query: journalQuery(parseQueryString(rawQuery)),
    requestBody: typeof requestBody === 'string' ? requestBody : requestBody && bodyFromRaw(requestBody),
    responseBody: responseText === undefined ? truncateBody(responseBody) : bodyFromText(responseText),
  };
}

/** A response's text: parsed when it is small JSON, else its first characters. */
function bodyFromText(text: string): unknown {
  if (text.length > MAX_BODY_CHARS) return truncated(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Bytes an entry is counted as (against the journal's byte bound and the memory budget): its variable
 * parts, texts at two bytes a character, plus a fixed allowance for the object and its small fields.
 * Measured (scripts/bench/memory-costs.ts, heap and Buffers): a status poll 851 bytes (counted 960), a
 * refused generate with a 1,600-character prompt 2,629 (2,959), an 8 KB body with 16 X-Mock headers
 * 13,438 (18,747). It was half the real cost while a kept body pinned the socket's 64 KiB read
 * buffer (ownBytes).
 */
export function journalEntryBytes(e: {
  path: string;
  rawQuery: string;
  keyLabel: string | null;
  injected: string | null;
  requestHeaders?: Record<string, string>;
  requestBody: Buffer | string | undefined;
  responseText: string | undefined;
  drift?: readonly DriftFinding[] | undefined;
}): number {
  const text = (s: string | null | undefined) => (s ? s.length * 2 : 0);
  const body = e.requestBody;
  // A finding is a small object of short strings: about 200 bytes plus its texts.
  const drift = (e.drift ?? []).reduce(
    (n, f) => n + 200 + text(f.where) + text(f.message) + text(f.pointer) + text(f.schemaPath),
    0,
  );
  let headers = 0;
  for (const [name, value] of Object.entries(e.requestHeaders ?? {}))
    headers += 48 + text(name) + text(value);
  return (
    512 +
    headers +
    text(e.path) +
    text(e.rawQuery) +
    text(e.keyLabel) +
    text(e.injected) +
    (typeof body === 'string' ? text(body) : (body?.length ?? 0)) +
    text(e.responseText) +
    drift
  );
}

/**
 * The bytes of `raw` in a buffer of their own. The body parser hands over a view into the socket's
 * 64 KiB read buffer (or a pool slab, 64 KiB on Node 24): kept as it is, a 200-byte body held a share
 * of a whole one (21 KB per 8 KB body measured, scripts/bench/memory-costs.ts).
 */
function ownBytes(raw: Buffer): Buffer {
  if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) return raw;
  const own = Buffer.allocUnsafeSlow(raw.length); // never from the pool, whose slabs are 64 KiB on Node 24
  raw.copy(own);
  return own;
}

/**
 * Entries kept so that the journal never holds more than its count or its bytes allow: the entry as
 * stored, with bodies already cut to what a read can show (a huge body costs its first bytes only).
 */
export function storedEntry(id: number, record: JournalRecord): StoredEntry {
  const { rawRequestBody: raw, responseText: text, ...rest } = record;
  const requestBody =
    raw === undefined
      ? undefined
      : raw.length <= MAX_BODY_BYTES
        ? ownBytes(raw)
        : truncated(raw.toString('utf8'));
  const responseText =
    text !== undefined
      ? text.length <= MAX_BODY_CHARS * 2
        ? text
        : truncated(text)
      : rest.responseBody === undefined
        ? undefined
        : JSON.stringify(rest.responseBody);
  const entry = { ...rest, id, requestBody, responseText, responseBody: undefined, bytes: 0 };
  entry.bytes = journalEntryBytes(entry);
  return entry;
}

/** Whether an entry's `injected` marker passes the `injected` filter. */
export function injectedMatches(injected: string | null, wanted: boolean | string): boolean {
  if (wanted === true) return injected !== null;
  if (wanted === false) return injected === null;
  return injected === wanted;
}

/** Lower-cases ASCII letters only, so that every store (a Lua script too) folds case the same way. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * The query string as a person reads it (`prompt=a red fox`, not `prompt=a%20red%20fox`): `+` a
 * space, each `%XX` its byte, the bytes read as UTF-8. Lenient (a malformed escape stays as it is),
 * and byte for byte what the Redis store's script does, so both stores find the same entries.
 */
export function decodedQuery(raw: string): string {
  const src = Buffer.from(raw.replace(/\+/g, ' '), 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length && isHex(src[i + 1]!) && isHex(src[i + 2]!)) {
      out[n++] = parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n).toString('utf8');
}

/** The free-text filter over everything an entry shows (JournalFilter.text); `needle` is asciiLower'd. */
function containsText(e: StoredEntry, needle: string): boolean {
  const has = (s: string | null | undefined) =>
    s !== null && s !== undefined && asciiLower(s).includes(needle);
  if (has(e.path) || has(decodedQuery(e.rawQuery)) || has(e.taskId) || has(e.keyLabel)) return true;
  if (has(e.injected) || has(e.operation)) return true;
  const body = e.requestBody;
  if (body !== undefined && has(typeof body === 'string' ? body : body.toString('utf8'))) return true;
  if (has(e.responseText)) return true;
  return Object.values(e.requestHeaders ?? {}).some(has);
}

/**
 * The texts the free-text filter searches (containsText, field for field), ASCII lower-cased, each
 * apart so that a match never spans two: computed once per entry when many filters test it.
 */
export function searchableTexts(e: StoredEntry): string[] {
  const body = e.requestBody;
  return [
    e.path,
    decodedQuery(e.rawQuery),
    e.taskId,
    e.keyLabel,
    e.injected,
    e.operation,
    body === undefined || typeof body === 'string' ? body : body.toString('utf8'),
    e.responseText,
    ...Object.values(e.requestHeaders ?? {}),
  ]
    .filter((s): s is string => s !== null && s !== undefined)
    .map(asciiLower);
}

/**
 * Whether a stored entry passes a filter's conditions on its content (`before`, `after` and `limit`
 * are the reader's). `texts`, when given, are the entry's searchableTexts, shared by every filter
 * tested against the same entry.
 */
export type JournalMatcher = (e: StoredEntry, texts?: () => readonly string[]) => boolean;

/** A filter compiled once (its status class and free text prepared), then tested against entries. */
export function compileJournalFilter(filter: JournalFilter): JournalMatcher {
  const { method, path, status, keyOwner, taskId, operation, injected } = filter;
  const statusClass = /^([1-5])xx$/.exec(status ?? '')?.[1];
  const needle = filter.text ? asciiLower(filter.text) : undefined;
  return (e, texts) => {
    if (method && e.method !== method) return false;
    if (path && e.path !== path) return false;
    if (status && (statusClass ? String(e.status)[0] !== statusClass : String(e.status) !== status))
      return false;
    if (keyOwner && e.keyOwner !== keyOwner) return false;
    if (taskId && e.taskId !== taskId) return false;
    if (operation && e.operation !== operation) return false;
    if (injected !== undefined && !injectedMatches(e.injected, injected)) return false;
    if (needle && !(texts ? texts().some((t) => t.includes(needle)) : containsText(e, needle))) return false;
    return true;
  };
}

export interface JournalBounds {
  /** Entries kept at most; 0 turns the journal off. */
  capacity: number;
  /** Bytes kept at most (journalEntryBytes); the oldest entries go first. */
  maxBytes: number;
  /**
   * Where the entries' bytes are charged (the world's share of the memory budget). The journal gives
   * way there: over the world's share, or when the whole budget is full, its oldest entries go.
   */
  meter?: WorldMeter;
}

/**
 * The memory store's journal: a queue of entries, oldest evicted first when a bound is passed (its
 * count, its bytes, or the memory budget: see JournalBounds.meter). The newest entry always stays.
 * Ids are consecutive, so a page's `before` finds its place without a search.
 */
export class Journal {
  private entries: StoredEntry[] = [];
  /** Index of the oldest kept entry in `entries` (evicted ones before it are compacted away lazily). */
  private head = 0;
  private nextId = 1;
  private bytes = 0;
  readonly capacity: number;
  readonly maxBytes: number;
  private readonly meter: WorldMeter | undefined;

  constructor(bounds: number | JournalBounds) {
    const b = typeof bounds === 'number' ? { capacity: bounds, maxBytes: Infinity } : bounds;
    this.capacity = b.capacity;
    this.maxBytes = b.maxBytes;
    this.meter = b.meter;
    this.meter?.setShedder((bytes) => this.shed(bytes));
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Keeps the entry; returns its id, or null when the journal is off. */
  record(record: JournalRecord): number | null {
    if (this.capacity === 0) return null;
    const entry = storedEntry(this.nextId++, record);
    this.entries.push(entry);
    this.bytes += entry.bytes;
    while (this.size > 1 && (this.size > this.capacity || this.bytes > this.maxBytes)) this.evictOldest();
    // Charged last: over the world's share or the budget, the meter calls shed() back.
    this.meter?.charge('journal', entry.bytes);
    this.compact();
    return entry.id;
  }

  /**
   * Frees at least `bytes` if it can, the oldest entries first, never the newest (the memory budget's
   * shedder); returns the bytes freed.
   */
  shed(bytes: number): number {
    let freed = 0;
    while (freed < bytes && this.size > 1) freed += this.evictOldest();
    this.compact();
    return freed;
  }

  private evictOldest(): number {
    const cost = this.entries[this.head]!.bytes;
    this.bytes -= cost;
    this.entries[this.head++] = undefined as unknown as StoredEntry;
    this.meter?.release('journal', cost);
    return cost;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Newest first, one page. */
  page(filter: JournalFilter = {}): { entries: JournalEntry[]; next?: number } {
    const out: JournalEntry[] = [];
    const limit = Math.min(filter.limit ?? 100, MAX_JOURNAL_PAGE);
    const matches = compileJournalFilter(filter);
    const firstId = this.size === 0 ? this.nextId : this.entries[this.head]!.id;
    // Entries are consecutive: the one with id `before - 1` is at a known index.
    const startId = Math.min(this.nextId - 1, (filter.before ?? Infinity) - 1);
    let i = this.head + (startId - firstId);
    let scanned = 0;
    for (; i >= this.head && out.length < limit && scanned < MAX_JOURNAL_SCAN; i--, scanned++) {
      const e = this.entries[i]!;
      if (filter.after !== undefined && e.id <= filter.after) {
        i = this.head - 1; // older entries are all at or before `after`: nothing more to read
        break;
      }
      if (matches(e)) out.push(materialise(e));
    }
    // Entries from index i down are still to be read: the next page starts with entries[i].
    return i >= this.head ? { entries: out, next: this.entries[i]!.id + 1 } : { entries: out };
  }

  /**
   * The entries newer than `after`, as stored, oldest first, at most `limit` (the oldest of them, so
   * that a reader pages forward), and the newest id (below `after`: the journal was cleared since).
   * Entries already evicted are skipped: the first one returned then comes after a gap.
   */
  tail(after: number, limit: number): { entries: StoredEntry[]; newest: number } {
    const newest = this.nextId - 1;
    if (this.size === 0 || limit <= 0 || newest <= after) return { entries: [], newest };
    const firstId = this.entries[this.head]!.id;
    const from = Math.max(after, firstId - 1); // entries from `from + 1` on are kept
    const start = this.head + (from + 1 - firstId);
    return { entries: this.entries.slice(start, start + Math.min(limit, newest - from)), newest };
  }

  /** Newest first (the first page). */
  query(filter: JournalFilter = {}): JournalEntry[] {
    return this.page(filter).entries;
  }

  clear(): void {
    this.meter?.release('journal', this.bytes);
    this.entries = [];
    this.head = 0;
    this.nextId = 1;
    this.bytes = 0;
  }
}
