/**
 * Magic values for clients that can neither send headers nor reach the control API: markers in
 * the prompt shape the task, e.g. "a fox [mock:outcome=failed] [mock:duration=5000]".
 * Markers stay in the prompt (it is what the client sent); they only decide the task's fate.
 */
import type { TaskScenario } from '../domain/tasks.js';
import type { FieldError } from '../domain/wire-types.js';

/** Any `[mock:name=value]`; unknown names and bad values are refused, never silently ignored. */
const MARKER = /\[mock:([^=\]]*)=([^\]]*)\]/g;

export function decodePromptMarkers(prompt: string): {
  scenario: TaskScenario | undefined;
  problems: FieldError[];
} {
  if (!prompt.includes('[mock:')) return { scenario: undefined, problems: [] };
  const scenario: TaskScenario = {};
  const problems: FieldError[] = [];
  for (const [, name, raw] of prompt.matchAll(MARKER)) {
    const value = raw!.trim();
    switch (name) {
      case 'outcome':
        if (value === 'success' || value === 'failed') scenario.outcome = value;
        else problems.push({ field: 'body.prompt', message: '[mock:outcome=] must be success or failed' });
        break;
      case 'duration':
        if (/^\d{1,8}$/.test(value) && Number(value) <= 86_400_000) scenario.durationMs = Number(value);
        else problems.push({ field: 'body.prompt', message: '[mock:duration=] must be 0 to 86400000 ms' });
        break;
      case 'polls':
        if (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 10_000) {
          scenario.completeOnPoll = Number(value);
        } else problems.push({ field: 'body.prompt', message: '[mock:polls=] must be 1 to 10000' });
        break;
      case 'error':
        if (value.length >= 1 && value.length <= 2000) scenario.errorMessage = value;
        else problems.push({ field: 'body.prompt', message: '[mock:error=] must be 1 to 2000 characters' });
        break;
      default:
        problems.push({
          field: 'body.prompt',
          message: `unknown marker [mock:${name}=]: use outcome, error, duration or polls`,
        });
    }
  }
  return { scenario: Object.keys(scenario).length > 0 ? scenario : undefined, problems };
}
