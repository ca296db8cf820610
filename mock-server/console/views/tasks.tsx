/** Tasks by state, with their plan and planned end on the simulator's clock; end one now. */
import { useState } from 'preact/hooks';
import type { TaskView } from '../api.js';
import { Pager, Problem, Section, relative, time, useAction, useConsole, useLoad } from '../ui.js';

const PAGE = 50;
const STATES = ['IN_PROGRESS', 'SUCCESS', 'FAILED'] as const;

export function TasksView() {
  const { api, tick, clock, changed } = useConsole();
  const [state, setState] = useState<(typeof STATES)[number]>('IN_PROGRESS');
  const [page, setPage] = useState(0);
  const { problem, act } = useAction(changed);
  const { value, error } = useLoad(
    async () =>
      (
        await api.get<{ tasks: TaskView[] }>('/__mock/tasks', {
          status: state,
          limit: PAGE + 1,
          offset: page * PAGE,
        })
      ).tasks,
    [api, tick, state, page],
  );
  const end = (id: string, outcome: 'succeed' | 'fail') =>
    act(() => api.call('POST', `/__mock/tasks/${id}/${outcome}`));
  const tasks = value?.slice(0, PAGE) ?? [];
  return (
    <Section title="Tasks">
      <nav class="tabs" role="tablist">
        {STATES.map((s) => (
          <button
            role="tab"
            aria-selected={s === state}
            class={s === state ? 'active' : ''}
            onClick={() => {
              setState(s);
              setPage(0);
            }}
          >
            {s}
          </button>
        ))}
      </nav>
      <Problem text={error ?? problem} />
      <table class="grid tasks" data-testid="tasks">
        <thead>
          <tr>
            <th>task</th>
            <th>key</th>
            <th>preset</th>
            <th class="num">price</th>
            <th>created (simulator)</th>
            <th>plan</th>
            <th>{state === 'IN_PROGRESS' ? 'planned end' : 'ended'}</th>
            <th class="num">polls</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr data-task={t.record.task_id}>
              <td class="mono">{t.record.task_id}</td>
              <td class="mono">{t.owner}</td>
              <td>{t.preset}</td>
              <td class="num">{t.price}</td>
              <td>{time(t.record.created_at)}</td>
              <td>
                {t.plan.outcome}
                {t.plan.error_message ? (
                  <span class="muted" title={t.plan.error_message}>
                    {' '}
                    (message set)
                  </span>
                ) : (
                  ''
                )}
              </td>
              <td>
                {state === 'IN_PROGRESS'
                  ? t.plan.complete_on_poll !== null
                    ? `on poll ${t.plan.complete_on_poll}`
                    : `${time(t.plan.ready_at)} (${relative(t.plan.ready_at, clock)})`
                  : time(t.settled_at)}
                {t.record.status === 'FAILED' && t.record.error_message && (
                  <div class="muted">{t.record.error_message}</div>
                )}
                {t.record.status === 'SUCCESS' &&
                  (t.record.response ?? []).map((url, i) => (
                    <a href={url} target="_blank" rel="noreferrer">
                      image {i + 1}{' '}
                    </a>
                  ))}
              </td>
              <td class="num">{t.polls}</td>
              <td class="row-actions">
                {t.record.status === 'IN_PROGRESS' && (
                  <>
                    <button onClick={() => void end(t.record.task_id, 'succeed')}>Succeed</button>
                    <button class="danger" onClick={() => void end(t.record.task_id, 'fail')}>
                      Fail
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
          {tasks.length === 0 && (
            <tr>
              <td colSpan={9} class="muted">
                No {state} task.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager page={page} hasMore={(value?.length ?? 0) > PAGE} onPage={setPage} />
    </Section>
  );
}
