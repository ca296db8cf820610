/** Records each public request and its response in the QA journal (keys redacted, bodies truncated). */
import type { RequestHandler } from 'express';
import type { Clock } from '../../domain/clock.js';
import { ownerOf, redactKey } from '../../domain/keys.js';
import type { Journal } from '../../qa/journal.js';
import { bearerToken } from './auth.js';
import { rawBodyOf } from './json-body.js';
import type { QaLocals } from './fault-injection.js';

const CONTROL_PATH = /^\/__mock(\/|$)/i;
const TASK_IN_PATH = /^\/files\/(sd45_[0-9a-f]{16})\//;

function taskIdOf(query: unknown, body: unknown, response: unknown, path: string): string | null {
  const fromQuery = (query as { task_id?: unknown })?.task_id;
  if (typeof fromQuery === 'string') return fromQuery;
  const fromBody = (body as { task_id?: unknown } | undefined)?.task_id;
  if (typeof fromBody === 'string') return fromBody;
  const fromResponse = (response as { data?: { task_id?: unknown } } | undefined)?.data?.task_id;
  if (typeof fromResponse === 'string') return fromResponse;
  return TASK_IN_PATH.exec(path)?.[1] ?? null;
}

export function journalRequests(journal: Journal, clock: Clock): RequestHandler {
  return (req, res, next) => {
    // Control calls are not journaled: their paths and bodies carry keys. Case-insensitive, so no
    // spelling of /__mock can put a key into the journal.
    if (journal.capacity === 0 || CONTROL_PATH.test(req.path)) return next();
    const started = performance.now();
    const at = clock.now();
    let responseBody: unknown;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      responseBody = body;
      return json(body);
    };
    res.once('close', () => {
      const token = bearerToken(req);
      const url = req.originalUrl;
      const queryAt = url.indexOf('?');
      journal.record({
        at,
        method: req.method,
        path: req.path,
        rawQuery: queryAt === -1 ? '' : url.slice(queryAt + 1),
        status: res.headersSent ? res.statusCode : 0,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        keyLabel: token === undefined ? null : redactKey(token),
        // Authentication already hashed a known key; only refused ones are hashed here.
        keyOwner: (res.locals as { owner?: string }).owner ?? (token === undefined ? null : ownerOf(token)),
        taskId: taskIdOf(req.query, req.body, responseBody, req.path),
        injected: (res.locals as QaLocals).injected ?? null,
        rawRequestBody: rawBodyOf(req),
        responseBody,
      });
    });
    next();
  };
}
