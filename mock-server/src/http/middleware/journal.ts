/**
 * Records each public request and its response in its world's journal (keys redacted, bodies
 * truncated), rendered by request-rendering.ts like every log line.
 *
 * The entry is written before the response's last byte is handed to the socket, so a client that has
 * its answer can read the entry at once, from this process or from any other on the same store (the
 * journal is in the Store). Requests that get no answer (a network fault, a client that left) are
 * recorded when the connection closes, with status 0.
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { Redactor } from '../../cassette/redaction.js';
import { nowOf } from '../../domain/clock.js';
import { ownerOf, redactKey } from '../../domain/keys.js';
import { journalHeaders, type JournalRecord } from '../../qa/journal.js';
import { StoreUnavailableError } from '../../store/store.js';
import type { RequestRenderer } from '../request-rendering.js';
import { maybeWorldOf, type World, type Worlds } from '../world.js';
import { bearerToken } from './auth.js';
import { rawBodyOf } from './json-body.js';
import type { QaLocals } from './fault-injection.js';
import type { DriftLocals } from '../../proxy/gateway.js';

const TASK_ID = /^sd45_[0-9a-f]{16}$/;
const TASK_ID_IN_RESPONSE = /"task_id":"(sd45_[0-9a-f]{16})"/;
const TASK_IN_PATH = /^\/files\/(sd45_[0-9a-f]{16})\//;

/**
 * Whether a path is the control API's (or the reference page's, `/docs`) under any spelling the
 * router or a proxy might accept (case, percent-encoding, repeated slashes, dot segments). Control
 * calls are not journaled: their bodies can carry keys (a fault rule's `match.apiKey`); nor are the
 * pages the simulator serves about itself, which no client of the API makes.
 */
export function isControlPath(rawPath: string): boolean {
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // keep it undecoded: the router refuses it too
  }
  const segments: string[] = [];
  for (const segment of path.toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments[0] === '__mock' || segments[0] === 'docs';
}

function taskIdOf(
  query: unknown,
  body: unknown,
  responseText: string | undefined,
  path: string,
): string | null {
  const candidates = [
    (query as { task_id?: unknown } | undefined)?.task_id,
    (body as { task_id?: unknown } | undefined)?.task_id,
    responseText && TASK_ID_IN_RESPONSE.exec(responseText)?.[1],
    TASK_IN_PATH.exec(path)?.[1],
  ];
  for (const c of candidates) if (typeof c === 'string' && TASK_ID.test(c)) return c;
  return null;
}

function textOf(res: Response, chunk: unknown): string | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (!/json/i.test(String(res.getHeader('content-type') ?? ''))) return undefined;
  return typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
}

/** The caller's key, as sent and percent-encoded: what must not be kept of a request. */
interface CallerKey {
  key: string;
  encoded: string;
}

function keyOfCaller(token: string | undefined): CallerKey | undefined {
  return token === undefined ? undefined : { key: token, encoded: encodeURIComponent(token) };
}

function textWithoutKey(text: string, caller: CallerKey | undefined): string {
  return caller === undefined || (!text.includes(caller.key) && !text.includes(caller.encoded))
    ? text
    : new Redactor(caller.key).redact(text);
}

function withoutKey(body: Buffer | undefined, caller: CallerKey | undefined): Buffer | undefined {
  if (body === undefined || caller === undefined) return body;
  if (!body.includes(caller.key) && !body.includes(caller.encoded)) return body;
  return Buffer.from(new Redactor(caller.key).redact(body.toString('utf8')));
}

/** The kept headers (journalHeaders: an allowlist, the key as its label), and no copy of the key. */
function headersWithoutKey(
  headers: Record<string, string | string[] | undefined>,
  caller: CallerKey | undefined,
): Record<string, string> {
  const kept = journalHeaders(headers, redactKey);
  if (caller !== undefined) for (const name in kept) kept[name] = textWithoutKey(kept[name]!, caller);
  return kept;
}

export function journalRequests(deps: {
  worlds: Worlds;
  render: RequestRenderer;
  enabled: boolean;
  logger: Logger;
}): RequestHandler {
  const { worlds, render, logger } = deps;
  return (req, res, next) => {
    if (!deps.enabled) return next();
    const rendered = render(req);
    if (isControlPath(rendered.template ?? (req.originalUrl ?? req.url).split('?', 1)[0]!)) return next();
    const started = performance.now();
    const startedAt = Date.now();
    let recorded = false;

    const recordOf = (world: World, answered: boolean, responseText: string | undefined): JournalRecord => {
      const token = bearerToken(req);
      const caller = keyOfCaller(token);
      return {
        at: nowOf(world.view.clock, startedAt),
        method: rendered.method,
        path: rendered.path,
        rawQuery: rendered.query,
        status: answered ? res.statusCode : 0,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        keyLabel: token === undefined ? null : redactKey(token),
        // Authentication already hashed a known key; only refused ones are hashed here.
        keyOwner: (res.locals as { owner?: string }).owner ?? (token === undefined ? null : ownerOf(token)),
        taskId: taskIdOf(req.query, req.body, responseText, rendered.path),
        injected: (res.locals as QaLocals).injected ?? null,
        operation: rendered.operationId ?? null,
        // A key the client put in a kept header anyway is not kept either.
        requestHeaders: headersWithoutKey(req.headers, caller),
        // A key the client put into a body (or that an answer names back) is not kept either.
        rawRequestBody: withoutKey(rawBodyOf(req), caller),
        responseText: responseText === undefined ? undefined : textWithoutKey(responseText, caller),
        // Proxy and replay modes: the exchange's drift findings (proxy/exchange.ts), already redacted.
        ...((res.locals as DriftLocals).drift ? { drift: (res.locals as DriftLocals).drift } : {}),
      };
    };
    const record = async (answered: boolean, responseText?: string): Promise<void> => {
      const world = maybeWorldOf(res.locals) ?? (await worlds.defaultWorld());
      await world.store.appendJournal(recordOf(world, answered, responseText));
    };

    const notJournaled = (err: unknown): void => {
      // A store that is down or full is logged once per episode (its connection, the error handler),
      // not once per request with a stack.
      if (err instanceof StoreUnavailableError) return;
      logger.warn({ err }, 'could not journal a request');
    };

    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      if (recorded) return end(...args);
      recorded = true;
      record(true, textOf(res, args[0])).then(
        () => end(...args),
        (err: unknown) => {
          notJournaled(err);
          end(...args);
        },
      );
      return res;
    }) as Response['end'];
    res.once('close', () => {
      if (recorded) return;
      recorded = true;
      record(res.headersSent).catch(notJournaled);
    });
    next();
  };
}
