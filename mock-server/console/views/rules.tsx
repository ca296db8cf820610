/**
 * Fault rules: what is in force, `times` left and hits; add one from a form, remove one or all.
 *
 * The form cannot build a rule that would not act as it says: what the rule does comes first (answer
 * with a status, break the connection, shape the task, only hold the answer), and only the fields
 * that go with it are shown; a status is one every route of the match lists, Retry-After goes only
 * with a 429 or 503, and a task rule matches the one route that creates a task. The API checks the
 * same (rule-checks.ts), and what it refuses is shown next to the form, field by field.
 */
import { useState } from 'preact/hooks';
import { ApiProblem, type FaultRule, type FaultRuleInput, type FieldProblem } from '../api.js';
import {
  RETRY_AFTER_STATUSES,
  RULE_METHODS,
  RULE_PATHS,
  RULE_STATUSES,
  allowedStatuses,
  reach,
  ruleRoutes,
  taskMatch,
  type RuleMatch,
  type RuleRoute,
  type RuleStatus,
} from '../rule-routes.js';
import { Problem, Section, useAction, useConsole, useLoad, type ConfirmRequest } from '../ui.js';

type Action = FaultRuleInput['action'];
type Fault = NonNullable<Action['fault']>;
type Task = NonNullable<Action['task']>;

const FAULTS: Array<[Fault, string]> = [
  ['reset', 'reset: the connection is reset (ECONNRESET)'],
  ['empty', 'empty: closed with no reply'],
  ['malformed', 'malformed: 200 with a broken JSON body'],
  ['hang', 'hang: no reply until the client gives up'],
];

/** What a rule does: one of these, each with its own fields. */
const KINDS = [
  ['status', 'Answer with an error status'],
  ['fault', 'Break the connection'],
  ['task', 'Shape the task a generate creates'],
  ['delay', 'Only hold the answer'],
] as const;
type Kind = (typeof KINDS)[number][0];

interface Form extends RuleMatch {
  kind: Kind;
  apiKey: string;
  status: string;
  message: string;
  retryAfterSeconds: string;
  fault: Fault;
  delayMs: string;
  outcome: '' | 'success' | 'failed';
  errorMessage: string;
  ends: 'planned' | 'duration' | 'poll';
  durationMs: string;
  completeOnPoll: string;
  times: string;
  probability: string;
}

const START: Form = {
  kind: 'status',
  method: 'POST',
  path: '/api/generate',
  apiKey: '',
  status: '500',
  message: '',
  retryAfterSeconds: '',
  fault: 'reset',
  delayMs: '',
  outcome: '',
  errorMessage: '',
  ends: 'planned',
  durationMs: '',
  completeOnPoll: '',
  times: '1',
  probability: '',
};

/** The routes as far as they are known: until they are read, nothing is held back (the API checks). */
interface Routes {
  reach(match: RuleMatch): boolean;
  statuses(match: RuleMatch): readonly RuleStatus[];
  task: RuleMatch;
}

function routesOf(routes: readonly RuleRoute[] | undefined): Routes {
  if (!routes)
    return {
      reach: () => true,
      statuses: () => RULE_STATUSES,
      task: { method: 'POST', path: '/api/generate' },
    };
  return {
    reach: (match) => reach(routes, match).length > 0,
    statuses: (match) => allowedStatuses(routes, match),
    task: taskMatch(routes),
  };
}

/**
 * The form after a change, made consistent: a task rule matches the route that creates a task; a
 * method and a path that reach no route together give way to the one just chosen; the status is one
 * the match allows.
 */
function settle(form: Form, changed: keyof Form, routes: Routes): Form {
  const next = { ...form };
  if (next.kind === 'task') Object.assign(next, routes.task);
  else if (!routes.reach(next)) {
    if (changed === 'path') next.method = '';
    else next.path = '';
  }
  const statuses = routes.statuses(next);
  if (!statuses.includes(Number(next.status) as RuleStatus))
    next.status = String(statuses.includes(500) ? 500 : (statuses[0] ?? ''));
  return next;
}

const positive = (text: string) => text !== '' && Number(text) > 0;

/** The task the form describes (empty fields left out). */
function taskOf(f: Form): Task {
  return {
    ...(f.outcome ? { outcome: f.outcome } : {}),
    ...(f.errorMessage && f.outcome !== 'success' ? { errorMessage: f.errorMessage } : {}),
    ...(f.ends === 'duration' && f.durationMs !== '' ? { durationMs: Number(f.durationMs) } : {}),
    ...(f.ends === 'poll' && f.completeOnPoll !== '' ? { completeOnPoll: Number(f.completeOnPoll) } : {}),
  };
}

/** The form as a FaultRuleInput: only the fields of what the rule does. */
export function ruleOf(f: Form): FaultRuleInput {
  const delay = positive(f.delayMs) ? { delayMs: Number(f.delayMs) } : {};
  const actions: Record<Kind, () => Action> = {
    status: () => ({
      status: Number(f.status) as RuleStatus,
      ...(f.message ? { message: f.message } : {}),
      ...(RETRY_AFTER_STATUSES.includes(Number(f.status)) && f.retryAfterSeconds !== ''
        ? { retryAfterSeconds: Number(f.retryAfterSeconds) }
        : {}),
      ...delay,
    }),
    fault: () => ({ fault: f.fault, ...delay }),
    task: () => ({ task: taskOf(f), ...delay }),
    delay: () => ({ delayMs: Number(f.delayMs) }),
  };
  return {
    match: {
      ...(f.method ? { method: f.method } : {}),
      ...(f.path ? { path: f.path } : {}),
      ...(f.apiKey ? { apiKey: f.apiKey } : {}),
    },
    action: actions[f.kind](),
    ...(f.times ? { times: Number(f.times) } : {}),
    ...(f.probability ? { probability: Number(f.probability) } : {}),
  };
}

/** Why the form cannot be sent yet, or undefined. */
function missing(f: Form): string | undefined {
  if (f.kind === 'status' && f.status === '')
    return 'No status can be forced on every route this match reaches.';
  if (f.kind === 'delay' && !positive(f.delayMs)) return 'Give a delay above 0 ms.';
  if (f.kind === 'task') {
    if (f.ends === 'duration' && f.durationMs === '') return 'Give how long the task runs.';
    if (f.ends === 'poll' && f.completeOnPoll === '') return 'Give the poll the task ends on.';
    if (Object.keys(taskOf(f)).length === 0)
      return 'Say how the task ends: its outcome, its error message, or when.';
  }
  return undefined;
}

function describeMatch(m: FaultRule['match']): string {
  return [m.method ?? 'any method', m.path ?? 'any path', m.apiKey ?? 'any key'].join(' · ');
}

function describeAction(a: FaultRule['action']): string {
  const parts: string[] = [];
  if (a.status !== undefined) parts.push(`status ${a.status}`);
  if (a.message !== undefined) parts.push(`message "${a.message}"`);
  if (a.retryAfterSeconds !== undefined) parts.push(`Retry-After ${a.retryAfterSeconds} s`);
  if (a.fault) parts.push(`network fault ${a.fault}`);
  if (a.task) {
    const t = a.task;
    const task = [
      t.outcome ? `ends ${t.outcome}` : 'ends as planned',
      t.errorMessage !== undefined ? `with "${t.errorMessage}"` : '',
      t.durationMs !== undefined ? `after ${t.durationMs} ms` : '',
      t.completeOnPoll !== undefined ? `on poll ${t.completeOnPoll}` : '',
    ];
    parts.push(`task ${task.filter(Boolean).join(' ')}`);
  }
  if (a.delayMs) parts.push(`${parts.length > 0 ? 'after ' : 'hold '}${a.delayMs} ms`);
  return parts.join(', ');
}

function describeHowOften(r: FaultRule): string {
  const times = r.times_left === null ? 'every time' : r.times_left === 1 ? 'once' : `${r.times_left} times`;
  return r.probability === null ? times : `${times}, with probability ${r.probability}`;
}

function removeAllQuestion(rules: readonly FaultRule[]): ConfirmRequest {
  const n = rules.length;
  return {
    title: `Remove all ${n} fault ${n === 1 ? 'rule' : 'rules'}?`,
    loses: (
      <p>
        <span class="mono">{rules.map((r) => r.id).join(', ')}</span> stop acting at once, with their hits and
        the times they had left; requests behave normally again. A scenario loaded with{' '}
        <code>--scenario</code> comes back only with a reset.
      </p>
    ),
    action: 'Remove all',
  };
}

/** What the last submission gave: the rule the API stored, or what it refused. */
type Outcome = { created: FaultRule } | { refused: string; fields: readonly FieldProblem[] };

function RuleFeedback({ outcome }: { outcome: Outcome | undefined }) {
  if (!outcome) return null;
  if ('created' in outcome) {
    const r = outcome.created;
    return (
      <p class="feedback ok" data-testid="rule-feedback" role="status">
        Added <strong class="mono">{r.id}</strong>: {describeMatch(r.match)} → {describeAction(r.action)},{' '}
        {describeHowOften(r)}.
      </p>
    );
  }
  return (
    <div class="feedback refused" data-testid="rule-errors" role="alert">
      <p>The simulator refused the rule: {outcome.refused}</p>
      {outcome.fields.length > 0 && (
        <ul>
          {outcome.fields.map((f) => (
            <li>
              <code>{f.field}</code> {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RuleForm() {
  const { api, changed } = useConsole();
  const known = useLoad(ruleRoutes, []);
  const routes = routesOf(known.value);
  const [form, setForm] = useState<Form>(START);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [sending, setSending] = useState(false);
  const set = (name: keyof Form, value: string) =>
    setForm((f) => settle({ ...f, [name]: value } as Form, name, routes));
  /** A control's name, value and change handler. */
  const bind = (name: keyof Form) => ({
    name,
    value: form[name],
    onInput: (e: Event) => set(name, (e.currentTarget as HTMLInputElement).value),
  });
  const statuses = routes.statuses(form);
  const blocked = missing(form);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (blocked) return;
    setSending(true);
    setOutcome(undefined);
    try {
      const created = await api.call<FaultRule>('POST', '/__mock/faults', ruleOf(form));
      setOutcome({ created });
      changed();
    } catch (err) {
      const fields = err instanceof ApiProblem ? err.errors : [];
      setOutcome({ refused: (err as Error).message, fields });
    } finally {
      setSending(false);
    }
  };

  const task = form.kind === 'task';
  return (
    <form class="rule-form" data-testid="rule-form" onSubmit={(e) => void submit(e)}>
      <fieldset class="kinds">
        <legend>What the rule does</legend>
        {KINDS.map(([kind, label]) => (
          <label class="choice">
            <input
              type="radio"
              name="kind"
              value={kind}
              checked={form.kind === kind}
              onChange={() => set('kind', kind)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Which requests</legend>
        <label>
          Method
          <select {...bind('method')} disabled={task}>
            <option value="" disabled={!routes.reach({ ...form, method: '' })}>
              any
            </option>
            {RULE_METHODS.map((m) => (
              <option value={m} disabled={!routes.reach({ ...form, method: m })}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Path
          <select {...bind('path')} disabled={task}>
            <option value="" disabled={!routes.reach({ ...form, path: '' })}>
              any
            </option>
            {RULE_PATHS.map((p) => (
              <option value={p} disabled={!routes.reach({ ...form, path: p })}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          API key (optional)
          <input {...bind('apiKey')} placeholder="any key" autoComplete="off" />
        </label>
        {task && <p class="muted hint">A task is created only by POST /api/generate.</p>}
      </fieldset>
      <fieldset data-testid="rule-action">
        <legend>{KINDS.find(([k]) => k === form.kind)![1]}</legend>
        {form.kind === 'status' && (
          <>
            <label>
              Status
              <select {...bind('status')}>
                {statuses.map((s) => (
                  <option value={String(s)}>{s}</option>
                ))}
              </select>
            </label>
            <label class="grow">
              Message (optional)
              <input {...bind('message')} maxLength={2000} placeholder="the simulator's own" />
            </label>
            {RETRY_AFTER_STATUSES.includes(Number(form.status)) && (
              <label>
                Retry-After (s)
                <input type="number" min={0} max={3600} {...bind('retryAfterSeconds')} placeholder="1" />
              </label>
            )}
          </>
        )}
        {form.kind === 'fault' && (
          <label>
            Network fault
            <select {...bind('fault')}>
              {FAULTS.map(([f, label]) => (
                <option value={f}>{label}</option>
              ))}
            </select>
          </label>
        )}
        {task && (
          <>
            <label>
              Outcome
              <select {...bind('outcome')}>
                <option value="">as planned (seeded)</option>
                <option value="success">success</option>
                <option value="failed">failed</option>
              </select>
            </label>
            {form.outcome !== 'success' && (
              <label class="grow">
                Error message, if it fails (optional)
                <input {...bind('errorMessage')} maxLength={2000} placeholder="a real upstream message" />
              </label>
            )}
            <label>
              Ends
              <select {...bind('ends')}>
                <option value="planned">when planned</option>
                <option value="duration">after a duration</option>
                <option value="poll">on the n-th poll</option>
              </select>
            </label>
            {form.ends === 'duration' && (
              <label>
                Runs (ms)
                <input type="number" min={0} max={86_400_000} required {...bind('durationMs')} />
              </label>
            )}
            {form.ends === 'poll' && (
              <label>
                Ends on poll
                <input type="number" min={1} max={10_000} required {...bind('completeOnPoll')} />
              </label>
            )}
          </>
        )}
        <label>
          {form.kind === 'delay' ? 'Hold the answer (ms)' : 'Then hold the answer (ms, optional)'}
          <input
            type="number"
            min={form.kind === 'delay' ? 1 : 0}
            max={600_000}
            required={form.kind === 'delay'}
            {...bind('delayMs')}
          />
        </label>
      </fieldset>
      <fieldset>
        <legend>How often</legend>
        <label>
          Times
          <input type="number" min={1} {...bind('times')} placeholder="every time" />
        </label>
        <label>
          Probability
          <input type="number" min={0} max={1} step="0.01" {...bind('probability')} placeholder="1" />
        </label>
        <button type="submit" disabled={blocked !== undefined || sending}>
          Add rule
        </button>
        {blocked && (
          <span class="muted hint" data-testid="rule-hint">
            {blocked}
          </span>
        )}
      </fieldset>
      <Problem
        text={known.error && `The routes could not be read (${known.error}): every choice is offered.`}
      />
      <RuleFeedback outcome={outcome} />
    </form>
  );
}

export function RulesView() {
  const { api, tick, changed, confirm } = useConsole();
  const { value, error } = useLoad(
    async () => (await api.get<{ rules: FaultRule[] }>('/__mock/faults?limit=1000')).rules,
    [api, tick],
  );
  const { problem, act } = useAction(changed);
  return (
    <div class="stack">
      <Section title="Add a fault rule">
        <RuleForm />
      </Section>
      <Section
        title="Rules in force (the first that matches acts)"
        actions={
          <button
            class="danger"
            disabled={!value?.length}
            onClick={async () => {
              if (value?.length && (await confirm(removeAllQuestion(value))))
                void act(() => api.call('DELETE', '/__mock/faults'));
            }}
          >
            Remove all
          </button>
        }
      >
        <Problem text={error ?? problem} />
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
                <td class="mono">{describeMatch(r.match)}</td>
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
