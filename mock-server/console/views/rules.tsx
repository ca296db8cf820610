/** Fault rules: what is in force, `times` left and hits; add one from a form, remove. */
import { useState } from 'preact/hooks';
import type { FaultRule, FaultRuleInput } from '../api.js';
import { Problem, Section, useConsole, useLoad } from '../ui.js';

const STATUSES = [400, 401, 402, 404, 413, 415, 429, 500];
const FAULTS = ['reset', 'empty', 'malformed', 'hang'];

interface Form {
  method: string;
  path: string;
  apiKey: string;
  status: string;
  fault: string;
  delayMs: string;
  outcome: string;
  durationMs: string;
  errorMessage: string;
  times: string;
  probability: string;
}

const EMPTY: Form = {
  method: 'POST',
  path: '/api/generate',
  apiKey: '',
  status: '500',
  fault: '',
  delayMs: '',
  outcome: '',
  durationMs: '',
  errorMessage: '',
  times: '1',
  probability: '',
};

/** The form as a FaultRuleInput: empty fields left out, so the API's own validation speaks. */
export function ruleOf(f: Form): FaultRuleInput {
  const task = {
    ...(f.outcome ? { outcome: f.outcome as 'success' | 'failed' } : {}),
    ...(f.durationMs ? { durationMs: Number(f.durationMs) } : {}),
    ...(f.errorMessage ? { errorMessage: f.errorMessage } : {}),
  };
  return {
    match: {
      ...(f.method ? { method: f.method as 'GET' | 'POST' } : {}),
      ...(f.path ? { path: f.path as '/api/generate' | '/api/status' } : {}),
      ...(f.apiKey ? { apiKey: f.apiKey } : {}),
    },
    action: {
      ...(f.status ? { status: Number(f.status) as 500 } : {}),
      ...(f.fault ? { fault: f.fault as 'reset' } : {}),
      ...(f.delayMs ? { delayMs: Number(f.delayMs) } : {}),
      ...(Object.keys(task).length > 0 ? { task } : {}),
    },
    ...(f.times ? { times: Number(f.times) } : {}),
    ...(f.probability ? { probability: Number(f.probability) } : {}),
  };
}

function describeAction(a: FaultRule['action']): string {
  const parts: string[] = [];
  if (a.status !== undefined) parts.push(`status ${a.status}`);
  if (a.fault) parts.push(`network fault ${a.fault}`);
  if (a.delayMs) parts.push(`delay ${a.delayMs} ms`);
  if (a.retryAfterSeconds !== undefined) parts.push(`Retry-After ${a.retryAfterSeconds}`);
  if (a.task) parts.push(`task ${JSON.stringify(a.task)}`);
  return parts.join(', ');
}

export function RulesView() {
  const { api, tick, changed } = useConsole();
  const { value, error } = useLoad(
    async () => (await api.get<{ rules: FaultRule[] }>('/__mock/faults?limit=1000')).rules,
    [api, tick],
  );
  const [form, setForm] = useState<Form>(EMPTY);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const field = (name: keyof Form) => ({
    name,
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  const act = async (call: () => Promise<unknown>) => {
    setProblem(undefined);
    try {
      await call();
      changed();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <div class="stack">
      <Section title="Add a fault rule">
        <form
          class="rule-form"
          data-testid="rule-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => api.call('POST', '/__mock/faults', ruleOf(form)));
          }}
        >
          <fieldset>
            <legend>Match</legend>
            <label>
              Method
              <select {...field('method')}>
                <option value="">any</option>
                <option>GET</option>
                <option>POST</option>
              </select>
            </label>
            <label>
              Path
              <select {...field('path')}>
                <option value="">any</option>
                <option>/api/generate</option>
                <option>/api/status</option>
              </select>
            </label>
            <label class="grow">
              API key (optional)
              <input {...field('apiKey')} placeholder="any key" />
            </label>
          </fieldset>
          <fieldset>
            <legend>Action</legend>
            <label>
              Status
              <select {...field('status')}>
                <option value="">none</option>
                {STATUSES.map((s) => (
                  <option value={String(s)}>{s}</option>
                ))}
              </select>
            </label>
            <label>
              Network fault
              <select {...field('fault')}>
                <option value="">none</option>
                {FAULTS.map((f) => (
                  <option>{f}</option>
                ))}
              </select>
            </label>
            <label>
              Delay (ms)
              <input type="number" min={0} {...field('delayMs')} />
            </label>
            <label>
              Task ends
              <select {...field('outcome')}>
                <option value="">as planned</option>
                <option value="success">success</option>
                <option value="failed">failed</option>
              </select>
            </label>
            <label>
              after (ms)
              <input type="number" min={0} {...field('durationMs')} />
            </label>
            <label class="grow">
              Error message
              <input {...field('errorMessage')} />
            </label>
          </fieldset>
          <fieldset>
            <legend>How often</legend>
            <label>
              Times
              <input type="number" min={1} {...field('times')} placeholder="every time" />
            </label>
            <label>
              Probability
              <input type="number" min={0} max={1} step="0.01" {...field('probability')} placeholder="1" />
            </label>
            <button type="submit">Add rule</button>
          </fieldset>
        </form>
        <Problem text={problem} />
      </Section>
      <Section
        title="Rules in force (the first that matches acts)"
        actions={
          <button
            class="danger"
            disabled={!value?.length}
            onClick={() => void act(() => api.call('DELETE', '/__mock/faults'))}
          >
            Remove all
          </button>
        }
      >
        <Problem text={error} />
        <table class="grid" data-testid="rules">
          <thead>
            <tr>
              <th>rule</th>
              <th>match</th>
              <th>action</th>
              <th class="num">times left</th>
              <th class="num">probability</th>
              <th class="num">hits</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {value?.map((r) => (
              <tr data-rule={r.id}>
                <td class="mono">{r.id}</td>
                <td class="mono">
                  {[
                    r.match.method ?? 'any method',
                    r.match.path ?? 'any path',
                    r.match.apiKey ?? 'any key',
                  ].join(' · ')}
                </td>
                <td>{describeAction(r.action)}</td>
                <td class="num" data-testid="times-left">
                  {r.times_left ?? '∞'}
                </td>
                <td class="num">{r.probability ?? 1}</td>
                <td class="num">{r.hits}</td>
                <td>
                  <button onClick={() => void act(() => api.call('DELETE', `/__mock/faults/${r.id}`))}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {value?.length === 0 && (
              <tr>
                <td colSpan={7} class="muted">
                  No rule: requests behave normally.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
