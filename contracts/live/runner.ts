/**
 * The live checks: what the real DreamCore API answers, held against openapi.yaml and the pact.
 *
 * - Free checks (always): requests the provider must refuse before charging anything: no key and an
 *   invalid key on both routes (401), an unknown well-formed task id (404), a generate without a prompt
 *   (400). Only requests that cannot be accepted are sent.
 * - Pact replay (always): the pact interactions a provider we do not control can satisfy
 *   (`pact-replay.ts`), each checked against its expectations and the spec.
 * - Lifecycles (only with `--max-credits N`): one task per preset, cheapest first, while the budget
 *   allows; the budget is checked before each generate with the spec's credit table, and the price of
 *   every generate that may have been accepted is counted. Each task is polled with the reference
 *   client's `waitForTask` (its polite cadence) until it ends; every answer on the way is validated.
 */
import { existsSync } from 'node:fs';
import { parseRetryAfter, realSleep } from '../client/backoff.js';
import { DreamCoreClient, type FetchLike, type PollEvent, type SleepFn } from '../client/dreamcore-client.js';
import {
  BadRequestError,
  InsufficientCreditsError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TaskFailedError,
  TimeoutError,
  UnauthorizedError,
  UnexpectedResponseError,
} from '../client/errors.js';
import type { GenerateRequest, TaskRecord } from '../client/types.js';
import { loadPact } from '../pact-spec/compare-pact.js';
import { UNKNOWN_API_KEY, UNKNOWN_TASK_ID } from '../provider-states.js';
import { matchResponse } from './pact-match.js';
import { replayRequest, whyNotReplayable, type ReplayableInteraction } from './pact-replay.js';
import { CREDIT_TABLE, imageCountOf, type Preset } from './pricing.js';
import type { CheckResult, LiveRun, Outcome } from './report.js';
import { observe, type Finding, type LiveSpec, type Observed, type Provenance } from './spec.js';

export interface LiveOptions {
  /** e.g. `https://seedream45ai.org`; a path prefix is kept. */
  baseUrl: string;
  apiKey: string;
  /** 0: free checks only. */
  maxCredits: number;
  /** Per request. */
  timeoutMs: number;
  pactFile: string;
  /** A reference image for the edit presets; without it they are skipped. */
  referenceImageUrl?: string | undefined;
  fetch?: FetchLike;
  /** Waits of the lifecycle polling (real time by default; tests move a virtual clock). */
  sleep?: SleepFn;
  now?: () => number;
  /** Called as each check ends (progress). */
  onResult?: (result: CheckResult) => void;
}

const PROMPT = 'A lighthouse on a cliff at dawn, watercolour';

/** Says who is calling, so the provider can tell the contract check from traffic. */
const USER_AGENT = 'dreamcore-contracts-live/0.1.0';

/** The request each lifecycle sends, per preset. */
export function lifecycleRequest(preset: Preset, referenceImageUrl: string | undefined): GenerateRequest {
  const imageUrls = referenceImageUrl === undefined ? [] : [referenceImageUrl];
  switch (preset) {
    case 'text-to-image-basic':
      return { prompt: PROMPT, aspectRatio: '1:1', quality: 'basic' };
    case 'text-to-image-high':
      return { prompt: PROMPT, aspectRatio: '1:1', quality: 'high' };
    case 'edit-basic':
      return {
        prompt: `${PROMPT}, in the style of the reference`,
        aspectRatio: '1:1',
        quality: 'basic',
        imageUrls,
      };
    case 'edit-high':
      return {
        prompt: `${PROMPT}, in the style of the reference`,
        aspectRatio: '1:1',
        quality: 'high',
        imageUrls,
      };
    case 'burst':
      return { prompt: PROMPT, aspectRatio: '1:1', quality: 'basic', numImages: 4 };
  }
}

/** Presets by price, cheapest first (the credit table's order among equals). */
export function presetsByPrice(): Preset[] {
  return (Object.keys(CREDIT_TABLE) as Preset[]).sort((a, b) => CREDIT_TABLE[a] - CREDIT_TABLE[b]);
}

/** A request the provider must refuse, and the answer the spec expects. */
interface RequestCheck {
  id: string;
  group: 'free' | 'pact';
  name: string;
  method: string;
  /** The spec's path (no query). */
  path: string;
  /** Path and query string, relative to the base URL. */
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  expectedStatus: number;
  sendsRealKey: boolean;
  interaction?: ReplayableInteraction;
  /** Credits the provider may charge if it wrongly accepts the request (a generate that should be a 400). */
  priceIfAccepted?: number;
}

export async function runLiveChecks(spec: LiveSpec, options: LiveOptions): Promise<LiveRun> {
  const startedAt = new Date();
  const start = performance.now();
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const results: CheckResult[] = [];
  let creditsSpent = 0;

  const record = (result: CheckResult) => {
    results.push(result);
    creditsSpent += result.credits;
    options.onResult?.(result);
  };

  // --- Free checks, then the pact's interactions in the pact's order (replayed, or skipped) ---------
  const checks: Array<RequestCheck | CheckResult> = [
    ...freeChecks(options.apiKey),
    ...pactReplayChecks(spec, options),
  ];
  for (const check of checks) {
    record('outcome' in check ? check : await runRequestCheck(spec, baseUrl, fetchImpl, options, check));
  }

  // --- Lifecycles within the budget -----------------------------------------------------------------
  if (options.maxCredits === 0) {
    record({
      id: 'lifecycle/all',
      group: 'lifecycle',
      name: 'lifecycles: generate, poll until done, one per preset',
      provenance: spec.provenance('POST', '/api/generate', 200),
      outcome: 'skipped',
      findings: [],
      detail: 'they cost credits: pass --max-credits N to run them within a budget of N',
      durationMs: 0,
      credits: 0,
    });
  }
  for (const preset of options.maxCredits === 0 ? [] : presetsByPrice()) {
    const price = CREDIT_TABLE[preset];
    const name = `lifecycle: ${preset} (${price} credits): generate, poll until done`;
    const skip = (detail: string) =>
      record({
        id: `lifecycle/${preset}`,
        group: 'lifecycle',
        name,
        provenance: spec.provenance('POST', '/api/generate', 200),
        outcome: 'skipped',
        findings: [],
        detail,
        durationMs: 0,
        credits: 0,
      });
    const remaining = options.maxCredits - creditsSpent;
    if (price > remaining) {
      skip(`budget: costs ${price} credits, ${remaining} of --max-credits ${options.maxCredits} left`);
      continue;
    }
    if ((preset === 'edit-basic' || preset === 'edit-high') && options.referenceImageUrl === undefined) {
      skip('needs a reference image: pass --reference-image-url <url>');
      continue;
    }
    record(await runLifecycle(spec, baseUrl, fetchImpl, options, preset));
  }

  return {
    baseUrl,
    maxCredits: options.maxCredits,
    creditsSpent,
    startedAt,
    durationMs: Math.round(performance.now() - start),
    results,
  };
}

function freeChecks(apiKey: string): RequestCheck[] {
  const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const validBody = JSON.stringify({ prompt: PROMPT, aspectRatio: '1:1', quality: 'basic' });
  const statusUrl = `/api/status?task_id=${UNKNOWN_TASK_ID}`;
  return [
    {
      id: 'free/generate-without-key',
      group: 'free',
      name: 'POST /api/generate without an API key -> 401',
      method: 'POST',
      path: '/api/generate',
      url: '/api/generate',
      headers: json,
      body: validBody,
      expectedStatus: 401,
      sendsRealKey: false,
    },
    {
      id: 'free/generate-invalid-key',
      group: 'free',
      name: 'POST /api/generate with an invalid API key -> 401',
      method: 'POST',
      path: '/api/generate',
      url: '/api/generate',
      headers: { ...json, ...bearer(UNKNOWN_API_KEY) },
      body: validBody,
      expectedStatus: 401,
      sendsRealKey: false,
    },
    {
      id: 'free/status-without-key',
      group: 'free',
      name: 'GET /api/status without an API key -> 401',
      method: 'GET',
      path: '/api/status',
      url: statusUrl,
      headers: { Accept: 'application/json' },
      expectedStatus: 401,
      sendsRealKey: false,
    },
    {
      id: 'free/status-invalid-key',
      group: 'free',
      name: 'GET /api/status with an invalid API key -> 401',
      method: 'GET',
      path: '/api/status',
      url: statusUrl,
      headers: { Accept: 'application/json', ...bearer(UNKNOWN_API_KEY) },
      expectedStatus: 401,
      sendsRealKey: false,
    },
    {
      id: 'free/status-unknown-task',
      group: 'free',
      name: 'GET /api/status for an unknown well-formed task id -> 404',
      method: 'GET',
      path: '/api/status',
      url: statusUrl,
      headers: { Accept: 'application/json', ...bearer(apiKey) },
      expectedStatus: 404,
      sendsRealKey: true,
    },
    {
      id: 'free/post-status-unknown-task',
      group: 'free',
      name: 'POST /api/status for an unknown well-formed task id -> 404',
      method: 'POST',
      path: '/api/status',
      url: statusUrl,
      headers: { Accept: 'application/json', ...bearer(apiKey) },
      expectedStatus: 404,
      sendsRealKey: true,
    },
    {
      // Cannot be accepted: the prompt is "Required for every request". Were it accepted anyway, the
      // price of the cheapest preset is counted against the budget and the check reports it.
      id: 'free/generate-without-prompt',
      group: 'free',
      name: 'POST /api/generate without a prompt -> 400, before charging',
      method: 'POST',
      path: '/api/generate',
      url: '/api/generate',
      headers: { ...json, ...bearer(apiKey) },
      body: JSON.stringify({ aspectRatio: '1:1', quality: 'basic' }),
      expectedStatus: 400,
      sendsRealKey: true,
      priceIfAccepted: CREDIT_TABLE['text-to-image-basic'],
    },
  ];
}

/** A check per interaction of the pact: a request to replay, or the reason it is skipped. */
function pactReplayChecks(spec: LiveSpec, options: LiveOptions): Array<RequestCheck | CheckResult> {
  if (!existsSync(options.pactFile)) {
    return [
      {
        id: 'pact/file',
        group: 'pact',
        name: 'the pact file',
        provenance: 'inferred',
        outcome: 'fail',
        findings: [],
        detail: `${options.pactFile} is missing: run the consumer tests first (npx vitest run --project contracts contracts/consumer)`,
        durationMs: 0,
        credits: 0,
      },
    ];
  }
  const interactions = loadPact(options.pactFile).interactions as ReplayableInteraction[];
  return interactions.map((interaction): RequestCheck | CheckResult => {
    const description = interaction.description ?? '[no description]';
    const { method, path } = interaction.request;
    const status = interaction.response.status;
    const id = `pact/${description}`;
    const name = `pact: "${description}" -> ${status}`;
    const provenance = spec.operation(method, path) ? spec.provenance(method, path, status) : 'inferred';
    const why = whyNotReplayable(interaction, options.apiKey);
    if (why !== undefined) {
      return {
        id,
        group: 'pact',
        name,
        provenance,
        outcome: 'skipped',
        findings: [],
        detail: why,
        durationMs: 0,
        credits: 0,
      };
    }
    const request = replayRequest(interaction, options.apiKey);
    return {
      id,
      group: 'pact',
      name,
      method: request.method,
      path: request.path,
      url: request.url,
      headers: request.headers,
      body: request.body,
      expectedStatus: status,
      sendsRealKey: request.sendsRealKey,
      interaction,
    };
  });
}

/** `message` of an error envelope, for context in a finding. */
function messageOf(observed: Observed): string {
  const body = observed.json as { message?: unknown } | undefined;
  if (observed.isJson && typeof body?.message === 'string')
    return `: ${JSON.stringify(body.message.slice(0, 200))}`;
  if (!observed.isJson && observed.text !== '') return `: ${JSON.stringify(observed.text.slice(0, 200))}`;
  return '';
}

function isTransientStatus(status: number, expected: number): boolean {
  return status !== expected && (status >= 500 || status === 429);
}

async function runRequestCheck(
  spec: LiveSpec,
  baseUrl: string,
  fetchImpl: FetchLike,
  options: LiveOptions,
  check: RequestCheck,
): Promise<CheckResult> {
  const start = performance.now();
  const provenance = spec.provenance(check.method, check.path, check.expectedStatus);
  const done = (outcome: Outcome, detail: string, findings: Finding[] = [], credits = 0): CheckResult => ({
    id: check.id,
    group: check.group,
    name: check.name,
    provenance,
    outcome,
    findings,
    detail,
    durationMs: Math.round(performance.now() - start),
    credits,
  });

  // A 429 is waited out (Retry-After, at most a minute) and the request sent again, twice at most; the
  // 429 itself must still be the spec's (Retry-After and all), so it is checked on the way.
  const findings: Finding[] = [];
  const sleep = options.sleep ?? realSleep;
  let observed: Observed;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetchImpl(`${baseUrl}${check.url}`, {
        method: check.method,
        headers: { 'User-Agent': USER_AGENT, ...check.headers },
        body: check.body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      observed = await observe(response);
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : networkReason(error);
      return done(findings.length > 0 ? 'drift' : 'transient', reason, findings);
    }
    if (observed.status !== 429 || check.expectedStatus === 429) break;
    for (const f of spec.check(check.method, check.path, observed))
      findings.push({ ...f, where: `429 ${f.where}` });
    const waitMs = retryAfterMs(observed);
    if (attempt >= 3 || waitMs > 60_000) break;
    await sleep(waitMs);
  }

  const seen = `answered ${observed.status}${messageOf(observed)}`;
  // The provider wrongly accepted a generate: say so, and count what it may have charged.
  const credits = observed.status === 200 && check.priceIfAccepted !== undefined ? check.priceIfAccepted : 0;
  if (check.sendsRealKey && observed.status === 401 && check.expectedStatus !== 401) {
    return done('fail', `the API key was refused (${seen}): check DREAMCORE_API_KEY`, findings);
  }
  if (isTransientStatus(observed.status, check.expectedStatus)) {
    const detail = `${seen}: a transient answer, not a verdict; run again later`;
    return done(findings.length > 0 ? 'drift' : 'transient', detail, findings);
  }

  if (observed.status !== check.expectedStatus) {
    findings.push({
      where: 'status',
      message: `expected ${check.expectedStatus}, got ${observed.status}${messageOf(observed)}`,
      provenance,
    });
  }
  findings.push(...spec.check(check.method, check.path, observed));
  let unsupported: string[] = [];
  if (check.interaction) {
    const match = matchResponse(check.interaction.response, observed);
    unsupported = match.unsupported;
    for (const mismatch of match.mismatches) {
      if (mismatch.where === 'status') continue; // reported above
      findings.push({
        where: `pact ${mismatch.where}`,
        message: mismatch.message,
        provenance: spec.provenanceAt(check.method, check.path, check.expectedStatus, mismatch.where),
      });
    }
  }
  if (unsupported.length > 0) {
    return done(
      'fail',
      `the pact uses what this runner cannot evaluate: ${[...new Set(unsupported)].join(', ')}`,
      findings,
    );
  }
  if (credits > 0) {
    findings.push({
      where: 'status',
      message: `the provider accepted a request that cannot be valid; it may have charged ${credits} credits`,
      provenance,
    });
  }
  return done(findings.length === 0 ? 'pass' : 'drift', seen, findings, credits);
}

/** How long a 429 asks to wait: Retry-After, else `data.retry_after_seconds`, else a second. */
function retryAfterMs(observed: Observed): number {
  const fromHeader = parseRetryAfter(observed.headers.get('retry-after'), Date.now());
  if (fromHeader !== undefined) return fromHeader;
  const fromBody = (observed.json as { data?: { retry_after_seconds?: unknown } } | undefined)?.data
    ?.retry_after_seconds;
  return typeof fromBody === 'number' && Number.isFinite(fromBody) ? fromBody * 1000 : 1000;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const message = error instanceof Error ? error.message : String(error);
  return `network error: ${message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`;
}

async function runLifecycle(
  spec: LiveSpec,
  baseUrl: string,
  fetchImpl: FetchLike,
  options: LiveOptions,
  preset: Preset,
): Promise<CheckResult> {
  const start = performance.now();
  const price = CREDIT_TABLE[preset];
  const request = lifecycleRequest(preset, options.referenceImageUrl);
  const name = `lifecycle: ${preset} (${price} credits): generate, poll until done`;
  const provenance = spec.provenance('POST', '/api/generate', 200);
  const findings: Finding[] = [];
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  let answers = 0;

  // Every answer the client receives is validated against the spec on the way.
  const validatingFetch: FetchLike = async (url, init) => {
    const response = await fetchImpl(url, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const path = new URL(url).pathname.slice(basePath.length);
    const observed = await observe(response.clone());
    answers++;
    for (const f of spec.check(method, path, observed)) {
      findings.push({ ...f, where: `${method} ${path} ${observed.status} ${f.where}` });
    }
    return response;
  };
  const client = new DreamCoreClient({
    baseUrl,
    apiKey: options.apiKey,
    fetch: validatingFetch,
    userAgent: USER_AGENT,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.now ? { now: options.now } : {}),
    requestTimeoutMs: options.timeoutMs,
    // One attempt: a retried generate after a 500 may pay twice, and the budget counts every attempt.
    retry: { maxRetries: 0 },
  });

  let credits = 0;
  const done = (outcome: Outcome, detail: string): CheckResult => ({
    id: `lifecycle/${preset}`,
    group: 'lifecycle',
    name,
    provenance,
    outcome: outcome === 'pass' && findings.length > 0 ? 'drift' : outcome,
    findings,
    detail,
    durationMs: Math.round(performance.now() - start),
    credits,
  });

  let taskId: string;
  try {
    taskId = (await client.createTask(request)).taskId;
    credits = price;
  } catch (error) {
    if (error instanceof UnauthorizedError)
      return done('fail', 'the API key was refused (401): check DREAMCORE_API_KEY');
    if (error instanceof InsufficientCreditsError) {
      return done(
        'fail',
        `the account cannot pay ${price} credits (402: ${error.message}): top it up or lower --max-credits`,
      );
    }
    if (error instanceof RateLimitedError)
      return done('transient', `generate answered 429: ${error.message}`);
    if (error instanceof ServerError || error instanceof NetworkError) {
      // The task may exist and be paid for: counted, never retried.
      credits = price;
      return done(
        'transient',
        `generate: ${error.message}; it may have been accepted, ${price} credits counted`,
      );
    }
    if (error instanceof BadRequestError) {
      findings.push({
        where: 'POST /api/generate status',
        message: `refused a request the spec accepts: ${error.message}`,
        provenance,
      });
      return done('drift', `generate answered ${error.status}`);
    }
    if (error instanceof UnexpectedResponseError) {
      if (error.status === 200) credits = price;
      findings.push({ where: 'POST /api/generate', message: error.message, provenance });
      return done('drift', `generate answered ${error.status}`);
    }
    return done('fail', `generate: ${error instanceof Error ? error.message : String(error)}`);
  }

  const polls: PollEvent[] = [];
  let record: TaskRecord;
  try {
    record = await client.waitForTask(taskId, { onPoll: (e) => polls.push(e) });
  } catch (error) {
    if (error instanceof TaskFailedError) {
      record = error.record;
    } else if (error instanceof TimeoutError) {
      return done('transient', `task ${taskId}: ${error.message}`);
    } else if (error instanceof UnauthorizedError) {
      return done('fail', `task ${taskId}: the API key was refused while polling`);
    } else if (error instanceof NotFoundError) {
      findings.push({
        where: 'GET /api/status 404',
        message: `the task id ${taskId} that generate returned is not found`,
        provenance: spec.provenance('GET', '/api/status', 200),
      });
      return done('drift', `task ${taskId} not found`);
    } else if (error instanceof UnexpectedResponseError) {
      findings.push({
        where: 'GET /api/status',
        message: error.message,
        provenance: spec.provenance('GET', '/api/status', 200),
      });
      return done('drift', `task ${taskId}: unexpected answer`);
    } else {
      return done('fail', `task ${taskId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  findings.push(...recordFindings(record, taskId, request, preset));
  const elapsed = polls.at(-1)?.elapsedMs ?? 0;
  const ending =
    record.status === 'SUCCESS'
      ? `SUCCESS with ${record.response.length} image(s)`
      : `FAILED (${JSON.stringify(record.error_message)}), refunded: consumed_credits ${record.consumed_credits}`;
  return done(
    'pass',
    `task ${taskId}: ${ending} after ${polls.length} poll(s), ${Math.round(elapsed / 1000)} s; ${answers} answers validated`,
  );
}

/** What the terminal record must say, from the spec (provenance per field). */
function recordFindings(
  record: TaskRecord,
  taskId: string,
  request: GenerateRequest,
  preset: Preset,
): Finding[] {
  const findings: Finding[] = [];
  const add = (where: string, message: string, provenance: Provenance) =>
    findings.push({ where: `record.${where}`, message, provenance });
  if (record.task_id !== taskId)
    add('task_id', `is ${record.task_id}, generate returned ${taskId}`, 'documented');
  for (const field of ['prompt', 'aspectRatio', 'quality'] as const) {
    if (record.request[field] !== request[field]) {
      add(
        `request.${field}`,
        `is ${JSON.stringify(record.request[field])}, ${JSON.stringify(request[field])} was sent`,
        'documented',
      );
    }
  }
  if (record.status === 'SUCCESS') {
    if (record.consumed_credits !== CREDIT_TABLE[preset]) {
      add(
        'consumed_credits',
        `is ${record.consumed_credits}, the credit table says ${CREDIT_TABLE[preset]} for ${preset}`,
        'documented',
      );
    }
    if (record.response.length !== imageCountOf(preset)) {
      add(
        'response',
        `has ${record.response.length} image(s), expected ${imageCountOf(preset)} for ${preset}`,
        'inferred',
      );
    }
    if (record.error_message !== null)
      add('error_message', `is ${JSON.stringify(record.error_message)} on a SUCCESS`, 'inferred');
  } else {
    if (record.consumed_credits !== 0) {
      add(
        'consumed_credits',
        `is ${record.consumed_credits} on a FAILED task: failed jobs refund the exact balance`,
        'documented',
      );
    }
    if (typeof record.error_message !== 'string' || record.error_message === '') {
      add('error_message', 'is empty on a FAILED task', 'documented');
    }
    if (record.response.length !== 0)
      add('response', `has ${record.response.length} URL(s) on a FAILED task`, 'inferred');
  }
  return findings;
}
