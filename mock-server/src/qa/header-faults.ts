/**
 * The public API's QA headers, decoded into a FaultAction. Names are a stable contract with users'
 * scripts: X-Mock-Status, Prefer: code=, X-Mock-Delay-Ms, X-Mock-Fault, and on generate
 * X-Mock-Outcome, X-Mock-Error-Message, X-Mock-Duration-Ms, X-Mock-Polls.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FieldError } from '../domain/wire-types.js';
import { NETWORK_FAULTS, type FaultAction, type NetworkFault } from './faults.js';

export const FAULT_HEADERS = [
  'x-mock-status',
  'prefer',
  'x-mock-delay-ms',
  'x-mock-fault',
  'x-mock-outcome',
  'x-mock-error-message',
  'x-mock-duration-ms',
  'x-mock-polls',
] as const;

export interface HeaderDecoding {
  action: FaultAction | undefined;
  problems: FieldError[];
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function wholeNumber(value: string, min: number, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n >= min && n <= max ? n : undefined;
}

/**
 * @param allowedStatuses the error statuses the spec lists for this operation
 * @param isGenerate whether the task-shaping headers apply
 */
export function decodeFaultHeaders(
  headers: IncomingHttpHeaders,
  allowedStatuses: ReadonlySet<number>,
  isGenerate: boolean,
  maxDelayMs: number,
): HeaderDecoding {
  const problems: FieldError[] = [];
  const action: FaultAction = {};

  const prefer = /(?:^|[,;\s])code=(\d{3})\b/.exec(single(headers, 'prefer') ?? '')?.[1];
  const statusText = single(headers, 'x-mock-status') ?? prefer;
  if (statusText !== undefined) {
    const status = wholeNumber(statusText, 100, 599);
    const field = single(headers, 'x-mock-status') !== undefined ? 'header.x-mock-status' : 'header.prefer';
    if (status === undefined || !allowedStatuses.has(status)) {
      problems.push({
        field,
        message: `must be one of this route's error statuses: ${[...allowedStatuses].join(', ')}`,
      });
    } else action.status = status;
  }

  const delay = single(headers, 'x-mock-delay-ms');
  if (delay !== undefined) {
    const ms = wholeNumber(delay, 0, Number.MAX_SAFE_INTEGER);
    if (ms === undefined)
      problems.push({ field: 'header.x-mock-delay-ms', message: 'must be a whole number of milliseconds' });
    else action.delayMs = Math.min(ms, maxDelayMs);
  }

  const fault = single(headers, 'x-mock-fault')?.trim().toLowerCase();
  if (fault !== undefined) {
    if ((NETWORK_FAULTS as readonly string[]).includes(fault)) action.fault = fault as NetworkFault;
    else
      problems.push({ field: 'header.x-mock-fault', message: `must be one of ${NETWORK_FAULTS.join(', ')}` });
  }

  if (isGenerate) {
    const task: NonNullable<FaultAction['task']> = {};
    const outcome = single(headers, 'x-mock-outcome')?.trim().toLowerCase();
    if (outcome !== undefined) {
      if (outcome === 'success' || outcome === 'failed') task.outcome = outcome;
      else problems.push({ field: 'header.x-mock-outcome', message: 'must be success or failed' });
    }
    const message = single(headers, 'x-mock-error-message');
    if (message !== undefined) {
      if (message.trim() === '' || message.length > 2000) {
        problems.push({ field: 'header.x-mock-error-message', message: 'must be 1 to 2000 characters' });
      } else task.errorMessage = message;
    }
    const duration = single(headers, 'x-mock-duration-ms');
    if (duration !== undefined) {
      const ms = wholeNumber(duration, 0, 86_400_000);
      if (ms === undefined)
        problems.push({ field: 'header.x-mock-duration-ms', message: 'must be 0 to 86400000' });
      else task.durationMs = ms;
    }
    const polls = single(headers, 'x-mock-polls');
    if (polls !== undefined) {
      const n = wholeNumber(polls, 1, 10_000);
      if (n === undefined) problems.push({ field: 'header.x-mock-polls', message: 'must be 1 to 10000' });
      else task.completeOnPoll = n;
    }
    if (Object.keys(task).length > 0) action.task = task;
  }

  return { action: Object.keys(action).length > 0 ? action : undefined, problems };
}
