/**
 * `--replay <file>`: the public API answered from a cassette, without any network.
 *
 * Matching. A request is matched by method, path, query (normalised: sorted, secret-named values
 * redacted, as recorded) and body (as canonical JSON), and by whether it carries a key, never by the
 * key itself (the replaying client's key differs). Among recordings of the same request, those made
 * with the same key label are preferred (`sk-l…2f9a#1c0e7b`), so a recorded "unknown key" 401 answers the
 * same unknown key. Recordings of one request are served in recorded order; when they run out they
 * start over (cycle), so a client that runs its flow twice gets the same answers twice.
 *
 * Tasks. The status answers of a recorded task form its timeline (IN_PROGRESS ... SUCCESS or FAILED,
 * with any 429 or 5xx met on the way). With `--replay-timing clock` (the default) a poll gets the
 * latest recorded answer whose offset (from the task's generate) has passed on the simulator's clock,
 * and each recorded error once, at the first poll after its time: on a virtual clock a test moves
 * time, on a real one the task takes as long as it did; before its first recorded answer a task is
 * IN_PROGRESS. With `polls`, poll n gets the n-th recorded answer, at once. Past the last recorded
 * answer the last one repeats (a terminal state never changes). A replayed SUCCESS points at the
 * simulator's own images (`/files/<task>/<n>.jpg`), of the recorded request's size.
 *
 * A request the cassette cannot answer gets 404 (`not_found`) naming the nearest recorded request and
 * how it differs: never a default answer. Cursors are counters in the world's store, so
 * `POST /__mock/reset` starts a replay again.
 *
 * LIMITATION: answers are sent at once; recorded latencies are not replayed (a scenario made from the
 * cassette reproduces them as delay rules). When a task's timeline started (its generate's replay) is
 * kept in this process.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { CREDIT_TABLE } from '../../../generated/credit-table.js';
import { presetOf } from '../domain/pricing.js';
import type { GenerateRequest, TaskRecord } from '../domain/wire-types.js';
import { imageUrl } from '../http/handlers/task-record.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import { OUTPUT_SIZES } from '../images/output-sizes.js';
import type { Upstream, UpstreamContext, UpstreamRequest, UpstreamResult } from '../proxy/upstream.js';
import { answerTaskId, requestTaskId, type Cassette, type CassetteExchange } from './cassette.js';
import { NearestIndex, canonical, type AskedRequest } from './nearest.js';
import { Redactor, authorizationLabel, redactedQuery } from './redaction.js';

interface Timeline {
  taskId: string;
  /** The recorded generate that created the task, if the cassette has it. */
  generate: CassetteExchange | undefined;
  /** Every status exchange about the task, in recorded order. */
  polls: CassetteExchange[];
  /** The offset its timeline counts from: its generate's, else its first poll's. */
  origin: number;
  /** Whether its polls carried a key (a poll without one is matched like any other request). */
  withKey: boolean;
}

interface Normalised extends AskedRequest {
  label: string | undefined;
  /** The body as canonical JSON (or its text); '' when none. */
  body: string;
  taskId: string | undefined;
  key: string;
}

/**
 * A task record as a cassette holds it: the spec's TaskRecord as recorded, so any field may have
 * drifted; recordOf checks the ones the replay reads (its id, status, images and request).
 */
type RecordedTask = Pick<TaskRecord, 'task_id' | 'response'> & {
  status: TaskRecord['status'] | (string & {});
  request: { [K in keyof TaskRecord['request']]?: unknown };
} & { [K in Exclude<keyof TaskRecord, 'task_id' | 'response' | 'status' | 'request'>]?: unknown };

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** The task record of a status answer, when it has what the replay reads; else the answer is served as recorded. */
function recordOf(exchange: CassetteExchange): RecordedTask | undefined {
  const data = (exchange.response?.body as { data?: unknown } | undefined)?.data as
    Record<string, unknown> | undefined;
  if (typeof data?.status !== 'string' || typeof data.task_id !== 'string') return undefined;
  const { response, request } = data;
  if (!Array.isArray(response) || !response.every((link) => typeof link === 'string')) return undefined;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return undefined;
  return data as RecordedTask;
}

/** A table's own entry: recorded values are data, and `__proto__` or `constructor` is no key of ours. */
function own<T extends object>(table: T, key: unknown): T[keyof T] | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key as keyof T] : undefined;
}

function recordedKey(exchange: CassetteExchange): string {
  const { method, path, query, headers, body, bodyText } = exchange.request;
  const bodyKey = body !== undefined ? canonical(body) : (bodyText ?? '');
  return canonical([method, path, query, headers.authorization !== undefined, bodyKey]);
}

function describe(method: string, path: string, query: Record<string, string | string[]>): string {
  const search = new URLSearchParams(
    Object.entries(query).flatMap(([k, v]): Array<[string, string]> =>
      Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
    ),
  ).toString();
  return `${method} ${path}${search ? `?${search}` : ''}`;
}

export class CassetteReplay implements Upstream {
  readonly mode = 'replay' as const;
  readonly target: string;
  /** Recordings of each request (its normalised key), all of them and by the key's label. */
  private readonly groups = new Map<
    string,
    { all: CassetteExchange[]; byLabel: Map<string | undefined, CassetteExchange[]> }
  >();
  private readonly timelines = new Map<string, Timeline>();
  /** Every exchange by what a request shares with it: a miss's message reads a bounded few. */
  private readonly nearest: NearestIndex;
  /** Per world: when each task's timeline started on the simulator's clock (its generate's replay). */
  private readonly started = new Map<string, Map<string, number>>();

  constructor(
    cassette: Cassette,
    private readonly timing: 'clock' | 'polls',
    private readonly file: string,
  ) {
    this.target = cassette.target;
    const exchanges = cassette.exchanges;
    this.nearest = new NearestIndex(exchanges);
    const generated = new Map<string, CassetteExchange>();
    for (const e of exchanges) {
      const id = answerTaskId(e.response);
      if (e.request.path === '/api/generate' && e.response?.status === 200 && id && !generated.has(id))
        generated.set(id, e);
    }
    const known = new Set(generated.keys());
    for (const e of exchanges) {
      const record = e.request.path === '/api/status' ? recordOf(e) : undefined;
      if (record) known.add(record.task_id);
    }
    for (const e of exchanges) {
      const taskId = e.request.path === '/api/status' ? requestTaskId(e.request) : undefined;
      if (taskId !== undefined && known.has(taskId)) {
        let timeline = this.timelines.get(taskId);
        if (!timeline) {
          const generate = generated.get(taskId);
          timeline = {
            taskId,
            generate,
            polls: [],
            origin: generate?.startOffsetMs ?? e.startOffsetMs,
            withKey: e.request.headers.authorization !== undefined,
          };
          this.timelines.set(taskId, timeline);
        }
        timeline.polls.push(e);
        continue;
      }
      const key = recordedKey(e);
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = { all: [], byLabel: new Map() }));
      group.all.push(e);
      const label = e.request.headers.authorization;
      const labelled = group.byLabel.get(label);
      if (labelled) labelled.push(e);
      else group.byLabel.set(label, [e]);
    }
  }

  async exchange(request: UpstreamRequest, context: UpstreamContext): Promise<UpstreamResult> {
    const req = this.normalise(request);
    const timeline = req.taskId === undefined ? undefined : this.timelines.get(req.taskId);
    if (req.path === '/api/status' && timeline && timeline.withKey === req.hasKey)
      return this.fromTimeline(timeline, context);

    const group = this.groups.get(req.key);
    if (!group) return { kind: 'miss', message: this.nearMiss(req) };
    const sameLabel = group.byLabel.get(req.label);
    const candidates = sameLabel ?? group.all;
    const cursor = `replay:${digest(`${req.key}|${sameLabel ? req.label : '*'}`)}`;
    const n = await context.store.nextCounter(cursor);
    const exchange = candidates[n % candidates.length]!;
    const created = answerTaskId(exchange.response);
    if (exchange.request.path === '/api/generate' && exchange.response?.status === 200 && created)
      this.startedIn(context.worldId).set(created, context.now);
    return this.answerOf(exchange, context);
  }

  onReset(worldId: string | undefined): void {
    if (worldId === undefined) this.started.clear();
    else this.started.delete(worldId);
  }

  /** The size of a replayed task's image `index`, when the cassette recorded it succeeding. */
  imageOf(taskId: string, index: number): { width: number; height: number } | undefined {
    const timeline = this.timelines.get(taskId);
    for (const poll of timeline?.polls ?? []) {
      const record = recordOf(poll);
      if (record?.status !== 'SUCCESS' || index >= record.response.length) continue;
      const byQuality = own(OUTPUT_SIZES, record.request.aspectRatio);
      const size = byQuality && own(byQuality, record.request.quality);
      if (size) return { width: size.width, height: size.height };
    }
    return undefined;
  }

  /** GET /files/<task>/<n>.jpg of a replayed task: the simulator's own image, at the recorded size. */
  fileHandler(images: ImageRenderer): RequestHandler {
    return (req, res, next) => {
      const { taskId, file } = req.params as { taskId?: string; file?: string };
      const index = /^(\d)\.jpg$/.exec(file ?? '')?.[1];
      const size =
        taskId === undefined || index === undefined ? undefined : this.imageOf(taskId, Number(index));
      if (!size) return next();
      images.render({ taskId: taskId!, index: Number(index), ...size }).then((jpeg) => {
        res
          .status(200)
          .type('image/jpeg')
          .set('Cache-Control', 'private, max-age=86400, immutable')
          .set('Content-Length', String(jpeg.length))
          .end(jpeg);
      }, next);
    };
  }

  private normalise(request: UpstreamRequest): Normalised {
    const redactor = new Redactor(request.key);
    const authorization = request.headers.authorization;
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const query = redactedQuery(request.search, redactor);
    let bodyValue: unknown;
    let body = '';
    if (request.body !== undefined && request.body.length > 0) {
      const text = request.body.toString('utf8');
      try {
        bodyValue = redactor.redactJson(JSON.parse(text));
        body = canonical(bodyValue);
      } catch {
        body = redactor.redact(text);
        bodyValue = body;
      }
    }
    const hasKey = header !== undefined;
    const fromBody = (bodyValue as { task_id?: unknown } | undefined)?.task_id;
    const taskId =
      typeof query.task_id === 'string' ? query.task_id : typeof fromBody === 'string' ? fromBody : undefined;
    return {
      method: request.method,
      path: request.path,
      query,
      hasKey,
      label: authorizationLabel(header),
      body,
      bodyValue,
      taskId,
      key: canonical([request.method, request.path, query, hasKey, body]),
    };
  }

  private async fromTimeline(timeline: Timeline, context: UpstreamContext): Promise<UpstreamResult> {
    const { polls, taskId } = timeline;
    if (this.timing === 'polls') {
      const n = await context.store.nextCounter(`replay-poll:${taskId}`);
      return this.answerOf(polls[Math.min(n, polls.length - 1)]!, context);
    }
    const started = this.startedIn(context.worldId);
    let start = started.get(taskId);
    if (start === undefined) {
      // Polled without its generate replayed first: its timeline starts at its first recorded poll.
      start = context.now - (polls[0]!.startOffsetMs - timeline.origin);
      started.set(taskId, start);
    }
    const elapsed = context.now - start;
    const offset = (e: CassetteExchange) => e.startOffsetMs - timeline.origin;
    for (let i = 0; i < polls.length && offset(polls[i]!) <= elapsed; i++) {
      const poll = polls[i]!;
      if (poll.response?.status === 200) continue;
      // A recorded error (a 429 while polling), once, to the first poll after its time.
      if ((await context.store.nextCounter(`replay-error:${taskId}:${i}`)) === 0)
        return this.answerOf(poll, context);
    }
    const states = polls.filter((e) => e.response?.status === 200 && recordOf(e) !== undefined);
    if (states.length === 0) return this.answerOf(polls[polls.length - 1]!, context);
    const passed = states.filter((e) => offset(e) <= elapsed).at(-1);
    if (passed) return this.answerOf(passed, context);
    const first = states[0]!;
    const record = recordOf(first)!;
    if (record.status === 'IN_PROGRESS') return this.answerOf(first, context);
    // Its first recorded answer was already terminal: until that answer's time it is IN_PROGRESS.
    const price = CREDIT_TABLE[presetOf(record.request as unknown as GenerateRequest)];
    return this.answerOf(first, context, {
      ...record,
      status: 'IN_PROGRESS',
      response: [],
      consumed_credits: price,
      error_message: null,
    });
  }

  private answerOf(
    exchange: CassetteExchange,
    context: UpstreamContext,
    record?: RecordedTask,
  ): UpstreamResult {
    if (exchange.error) {
      return {
        kind: 'failure',
        failure: { ...exchange.error, mayHaveArrived: true, durationMs: exchange.durationMs },
      };
    }
    const response = exchange.response!;
    let body: Buffer;
    if (response.body !== undefined) {
      let value = response.body as { data?: unknown };
      const data = record ?? recordOf(exchange);
      if (data && exchange.request.path === '/api/status') {
        const images =
          data.status === 'SUCCESS'
            ? data.response.map((_, i) => imageUrl(context.baseUrl, data.task_id, i, context.worldId))
            : data.response;
        value = { ...value, data: { ...data, response: images } };
      }
      body = Buffer.from(JSON.stringify(value));
    } else body = Buffer.from(response.bodyText ?? '');
    const headers = Object.entries(response.headers);
    if (!headers.some(([name]) => name === 'content-type') && response.body !== undefined)
      headers.push(['content-type', 'application/json; charset=utf-8']);
    return {
      kind: 'answer',
      answer: { status: response.status, headers, body, durationMs: exchange.durationMs },
    };
  }

  private startedIn(worldId: string): Map<string, number> {
    let map = this.started.get(worldId);
    if (!map) {
      this.started.set(worldId, (map = new Map()));
      // Tenants come and go: the worlds least recently started go first (their timelines restart).
      if (this.started.size > 1024) this.started.delete(this.started.keys().next().value!);
    }
    return map;
  }

  /** Why nothing recorded answers this request: the nearest recorded request, and how it differs. */
  private nearMiss(req: Normalised): string {
    const asked = describe(req.method, req.path, req.query);
    const nearest = this.nearest.nearest(req);
    if (!nearest) return `No recorded answer for ${asked}: the cassette ${this.file} holds no exchange`;
    const { exchange, reasons } = nearest;
    const shownReasons =
      reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : '');
    const recorded = describe(exchange.request.method, exchange.request.path, exchange.request.query);
    return (
      `No recorded answer for ${asked} in the cassette ${this.file}. The nearest recorded request is ` +
      `#${exchange.id} ${recorded}, which differs in ${shownReasons || 'nothing a replay matches on'}`
    );
  }
}
