/**
 * A cassette as a scenario: a recorded session turned into fault rules the simulator already
 * understands, so that it answers what was recorded, with no network, for as long as the test lives.
 *
 * Rules match by route (method and path) and act on the next matching request, in order; so each
 * recorded exchange of a route becomes one `times: 1` rule, in recorded order:
 * - an error answer: a forced status with the recorded message verbatim (and Retry-After for a 429).
 *   A 5xx the spec does not list for the route (a 502 from a gateway in front) is forced as 500, which a client treats
 *   the same (noted); another unlisted status cannot be forced and is left out (noted);
 * - a generate the API accepted: a task-shaping rule, with the recorded outcome, error message and
 *   duration (from the generate to the first poll that saw the end; `--timing polls`: the number of
 *   polls it took instead);
 * - a status answer of 200 (the simulator answers it itself, from the task's plan): a rule that holds
 *   the answer for its recorded time, which keeps the later rules of the route in their places;
 * - no answer: a time-out becomes `hang`, a broken connection `reset`.
 * With `delays` (the default) every rule also holds its answer for the recorded time, so slow answers
 * stay slow; without, 1 ms (the placeholders' least), for fast regression runs.
 */
import type { FaultRuleInput } from '../qa/fault-rules.js';
import { SCENARIO_FORMAT, SCENARIO_VERSION, type Scenario } from '../qa/scenario.js';
import { answerTaskId, requestTaskId, type Cassette, type CassetteExchange } from './cassette.js';

export interface ToScenarioOptions {
  /** `clock`: recorded durations; `polls`: the number of status polls each task took. */
  timing: 'clock' | 'polls';
  /** Hold each answer for its recorded time (default); false: 1 ms placeholders only. */
  delays: boolean;
  /** undefined when a status may be forced on the route, else the statuses that may (qa/rule-checks.ts). */
  ruleStatuses: (match: FaultRuleInput['match'], status: number) => number[] | undefined;
  /** The cassette's file name, for the scenario's `source`. */
  cassetteName?: string;
}

const ROUTES = new Set(['POST /api/generate', 'GET /api/status', 'POST /api/status']);

function statusOfRecord(
  exchange: CassetteExchange,
): { status?: string; error_message?: unknown } | undefined {
  return (exchange.response?.body as { data?: { status?: string; error_message?: unknown } } | undefined)
    ?.data;
}

function messageOf(exchange: CassetteExchange): string | undefined {
  const message = (exchange.response?.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message.length >= 1 && message.length <= 2000 ? message : undefined;
}

function retryAfterOf(exchange: CassetteExchange): number | undefined {
  const header = exchange.response?.headers['retry-after'];
  const fromHeader = header !== undefined && /^\d{1,4}$/.test(header.trim()) ? Number(header) : undefined;
  const fromBody = (exchange.response?.body as { data?: { retry_after_seconds?: unknown } } | undefined)?.data
    ?.retry_after_seconds;
  const seconds =
    fromHeader ?? (typeof fromBody === 'number' && Number.isInteger(fromBody) ? fromBody : undefined);
  return seconds !== undefined && seconds >= 0 && seconds <= 3600 ? seconds : undefined;
}

export function cassetteToScenario(cassette: Cassette, options: ToScenarioOptions): Scenario {
  const exchanges = [...cassette.exchanges].sort((a, b) => a.id - b.id);
  const rules: FaultRuleInput[] = [];
  const notes: string[] = [];
  const end = Math.max(0, ...exchanges.map((e) => e.startOffsetMs + e.durationMs));
  const hold = (e: CassetteExchange, least = 0) =>
    options.delays ? Math.max(least, Math.min(600_000, Math.round(e.durationMs))) : least;

  for (const e of exchanges) {
    const route = `${e.request.method} ${e.request.path}`;
    const label = `exchange #${e.id} (${route}${e.response ? ` -> ${e.response.status}` : ''})`;
    if (!ROUTES.has(route)) {
      notes.push(
        `${label}: not a route fault rules match (POST /api/generate, GET or POST /api/status); left out`,
      );
      continue;
    }
    const match = {
      method: e.request.method as 'GET' | 'POST',
      path: e.request.path as '/api/generate' | '/api/status',
    };
    const add = (action: FaultRuleInput['action']) => rules.push({ match, action, times: 1 });

    if (e.error) {
      if (e.error.kind === 'timeout') add({ fault: 'hang' });
      else if (e.error.kind === 'too-large') {
        notes.push(`${label}: the answer was too large to proxy; left out`);
      } else add({ fault: 'reset' });
      continue;
    }
    const status = e.response!.status;
    if (status >= 400) {
      let forced = status;
      if (options.ruleStatuses(match, status) !== undefined) {
        if (status >= 500) {
          forced = 500;
          notes.push(
            `${label}: ${status} is not a status the spec lists for ${route}; forced as 500, which a client treats the same (transient)`,
          );
        } else {
          notes.push(
            `${label}: ${status} is not a status the spec lists for ${route}, so no rule can force it; left out (later rules of the route come one request early)`,
          );
          continue;
        }
      }
      const message = messageOf(e);
      const retryAfterSeconds = forced === 429 ? retryAfterOf(e) : undefined;
      const delayMs = hold(e);
      add({
        status: forced,
        ...(message !== undefined ? { message } : {}),
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        ...(delayMs > 0 ? { delayMs } : {}),
      });
      continue;
    }
    const taskId = answerTaskId(e.response);
    if (route === 'POST /api/generate' && status === 200 && taskId !== undefined) {
      const polls = exchanges.filter(
        (p) =>
          p.request.path === '/api/status' &&
          p.id > e.id &&
          requestTaskId(p.request) === taskId &&
          p.response?.status === 200,
      );
      const terminal = polls.find((p) => ['SUCCESS', 'FAILED'].includes(statusOfRecord(p)?.status ?? ''));
      const record = terminal ? statusOfRecord(terminal) : undefined;
      const errorMessage =
        typeof record?.error_message === 'string' &&
        record.error_message.length >= 1 &&
        record.error_message.length <= 2000
          ? record.error_message
          : undefined;
      const task: NonNullable<FaultRuleInput['action']['task']> = {
        ...(record?.status === 'FAILED'
          ? { outcome: 'failed' as const }
          : record
            ? { outcome: 'success' as const }
            : {}),
        ...(errorMessage !== undefined && record?.status === 'FAILED' ? { errorMessage } : {}),
      };
      if (options.timing === 'polls')
        task.completeOnPoll = terminal ? polls.indexOf(terminal) + 1 : polls.length + 1;
      else
        task.durationMs = Math.min(
          86_400_000,
          Math.max(0, Math.round((terminal ? terminal.startOffsetMs : end + 1) - e.startOffsetMs)),
        );
      if (!terminal)
        notes.push(`${label}: task ${taskId} was not seen ending; it stays IN_PROGRESS past the recording`);
      const delayMs = hold(e);
      add({ task, ...(delayMs > 0 ? { delayMs } : {}) });
      continue;
    }
    // A 200 the simulator answers itself (a status poll): held for its recorded time, keeping its place.
    add({ delayMs: hold(e, 1) });
  }

  return {
    format: SCENARIO_FORMAT,
    version: SCENARIO_VERSION,
    description: `Recorded from ${cassette.target} at ${cassette.recordedAt}: ${exchanges.length} exchanges as ${rules.length} fault rules, in order per route.`,
    source: {
      ...(options.cassetteName ? { cassette: options.cassetteName } : {}),
      target: cassette.target,
      recorded_at: cassette.recordedAt,
      exchanges: exchanges.length,
    },
    rules,
    notes,
  };
}
