/**
 * `--record <file>`: every proxied exchange written to a cassette as it completes, incrementally and
 * atomically (the whole document to a temporary file, then renamed over the cassette), so the file is
 * a complete, valid cassette at every moment, even if the process is killed. The write happens before
 * the answer goes back to the client: a client that has its answer finds it recorded.
 *
 * LIMITATION: each exchange rewrites the whole cassette (it is small JSON, kept whole for review and
 * diffs); a recording of many thousands of exchanges costs milliseconds per exchange. Record one
 * session per file.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CASSETTE_FORMAT,
  CASSETTE_VERSION,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  cassetteText,
  type Cassette,
  type CassetteExchange,
} from './cassette.js';
import { Redactor, authorizationLabel, redactedQuery } from './redaction.js';
import type { UpstreamAnswer, UpstreamFailure, UpstreamRequest } from '../proxy/upstream.js';

/** Lower-case names kept, sorted, each value redacted. */
function keptHeaders(
  headers: Iterable<[string, string]>,
  allowed: readonly string[],
  redactor: Redactor,
): Record<string, string> {
  const kept = new Map<string, string>();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (!allowed.includes(n)) continue;
    const shown = n === 'authorization' ? (authorizationLabel(value) ?? '') : redactor.redact(value);
    kept.set(n, kept.has(n) ? `${kept.get(n)}, ${shown}` : shown);
  }
  return Object.fromEntries([...kept].sort(([a], [b]) => a.localeCompare(b)));
}

/** A body as JSON when it parses as JSON, else as text; redacted either way. */
function bodyOf(bytes: Buffer | undefined, redactor: Redactor): { body?: unknown; bodyText?: string } {
  if (bytes === undefined || bytes.length === 0) return {};
  const text = bytes.toString('utf8');
  // JSON whatever the Content-Type says (the replay compares bodies as JSON); text otherwise.
  try {
    return { body: redactor.redactJson(JSON.parse(text)) };
  } catch {
    return { bodyText: redactor.redact(text) };
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface RecordedTiming {
  id: number;
  startOffsetMs: number;
}

export class CassetteRecorder {
  private readonly cassette: Cassette;
  private readonly startedAt: number;
  private nextId = 1;

  constructor(
    readonly file: string,
    target: string,
    recorder: string,
    private readonly systemNow: () => number = Date.now,
  ) {
    this.startedAt = systemNow();
    this.cassette = {
      format: CASSETTE_FORMAT,
      version: CASSETTE_VERSION,
      target,
      recordedAt: new Date(this.startedAt).toISOString(),
      recorder,
      exchanges: [],
    };
    mkdirSync(dirname(file), { recursive: true });
    this.write(); // an empty, valid cassette from the start
  }

  /** Called when a request is about to be forwarded: its id and offset, in arrival order. */
  begin(): RecordedTiming {
    return { id: this.nextId++, startOffsetMs: Math.max(0, this.systemNow() - this.startedAt) };
  }

  /** Records one exchange (an answer, or the failure that stood for one) and writes the cassette. */
  record(
    timing: RecordedTiming,
    request: UpstreamRequest,
    outcome: { answer: UpstreamAnswer } | { failure: UpstreamFailure },
  ): CassetteExchange {
    const redactor = new Redactor(request.key);
    const requestHeaders: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(request.headers)) {
      const v = single(value);
      if (v !== undefined) requestHeaders.push([name, v]);
    }
    const exchange: CassetteExchange = {
      id: timing.id,
      startOffsetMs: timing.startOffsetMs,
      durationMs: 'answer' in outcome ? outcome.answer.durationMs : outcome.failure.durationMs,
      request: {
        method: request.method,
        path: redactor.redact(request.path),
        query: redactedQuery(request.search, redactor),
        headers: keptHeaders(requestHeaders, REQUEST_HEADERS, redactor),
        ...bodyOf(request.body, redactor),
      },
    };
    if ('answer' in outcome) {
      const { answer } = outcome;
      exchange.response = {
        status: answer.status,
        headers: keptHeaders(answer.headers, RESPONSE_HEADERS, redactor),
        ...bodyOf(answer.body, redactor),
      };
    } else {
      exchange.error = { kind: outcome.failure.kind, message: redactor.redact(outcome.failure.message) };
    }
    // In arrival order, whatever order the answers came back in.
    const list = this.cassette.exchanges;
    let at = list.length;
    while (at > 0 && list[at - 1]!.id > exchange.id) at--;
    list.splice(at, 0, exchange);
    this.write();
    return exchange;
  }

  private write(): void {
    const partial = `${this.file}.${process.pid}.tmp`;
    writeFileSync(partial, cassetteText(this.cassette));
    renameSync(partial, this.file);
  }
}
