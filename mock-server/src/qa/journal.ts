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
  requestBody: unknown;
  responseBody: unknown;
}

export interface JournalFilter {
  method?: string;
  path?: string;
  /** `429` or a class such as `4xx`. */
  status?: string;
  keyOwner?: string;
  taskId?: string;
  limit?: number;
}

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

const SECRET_PARAM = /key|token|secret|auth|password|signature/i;

const ACCOUNT_PATH = /^(\/__mock\/accounts\/)[^/?]+/i;

/**
 * A request URL safe to log: the control API names keys in its paths (/__mock/accounts/{apiKey}) and
 * queries (?apiKey=), and a client may send one in a query by mistake.
 */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path.replace(ACCOUNT_PATH, '$1[redacted]');
  if (query === undefined) return safePath;
  const params = new URLSearchParams(query);
  for (const name of [...params.keys()]) if (SECRET_PARAM.test(name)) params.set(name, '[redacted]');
  return `${safePath}?${params.toString()}`;
}

/** Query parameters as strings, with any whose name suggests a secret redacted (a key sent by mistake). */
function journalQuery(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).map(([k, v]) => [k, SECRET_PARAM.test(k) ? '[redacted]' : String(v)]),
  );
}

/** What the middleware hands over: the raw forms, materialised into a JournalEntry on read. */
export interface JournalRecord extends Omit<JournalEntry, 'id' | 'query' | 'requestBody' | 'responseBody'> {
  /** The URL's query string, without `?` (empty when none). */
  rawQuery: string;
  /** The request body's bytes as received, if any. */
  rawRequestBody: Buffer | undefined;
  /** The object sent with res.json, if any (handlers build a new one per response and never change it). */
  responseBody: unknown;
}

interface StoredEntry extends Omit<JournalRecord, 'rawRequestBody'> {
  id: number;
  /** Small bodies as bytes; a large one already truncated, so an entry stays small. */
  requestBody: Buffer | string | undefined;
}

/** Bytes kept of a request body: enough for MAX_BODY_CHARS characters of any UTF-8 text. */
const MAX_BODY_BYTES = MAX_BODY_CHARS * 4;

function materialise(e: StoredEntry): JournalEntry {
  const { rawQuery, requestBody, responseBody, ...rest } = e;
  return {
    ...rest,
    query: journalQuery(parseQueryString(rawQuery)),
    requestBody: typeof requestBody === 'string' ? requestBody : requestBody && bodyFromRaw(requestBody),
    responseBody: truncateBody(responseBody),
  };
}

export class Journal {
  private entries: StoredEntry[] = [];
  private next = 0;
  private nextId = 1;

  constructor(readonly capacity: number) {}

  record(entry: JournalRecord): void {
    if (this.capacity === 0) return;
    const { rawRequestBody: raw, ...rest } = entry;
    const requestBody =
      raw === undefined || raw.length <= MAX_BODY_BYTES ? raw : truncated(raw.toString('utf8'));
    const full: StoredEntry = { id: this.nextId++, ...rest, requestBody };
    if (this.entries.length < this.capacity) this.entries.push(full);
    else this.entries[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  query(filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    const limit = filter.limit ?? 100;
    const statusClass = /^([1-5])xx$/.exec(filter.status ?? '')?.[1];
    for (let i = 0; i < this.entries.length && out.length < limit; i++) {
      const index = (this.next - 1 - i + this.entries.length) % this.entries.length;
      const e = this.entries[index]!;
      if (filter.method && e.method !== filter.method) continue;
      if (filter.path && e.path !== filter.path) continue;
      if (
        filter.status &&
        (statusClass ? String(e.status)[0] !== statusClass : String(e.status) !== filter.status)
      )
        continue;
      if (filter.keyOwner && e.keyOwner !== filter.keyOwner) continue;
      if (filter.taskId && e.taskId !== filter.taskId) continue;
      out.push(materialise(e));
    }
    return out;
  }

  clear(): void {
    this.entries = [];
    this.next = 0;
    this.nextId = 1;
  }
}
