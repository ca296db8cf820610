/**
 * Drift: in proxy and replay modes, where the live API's answers (and the clients' requests) departed
 * from openapi.yaml, counted by place in the spec, each marked documented or inferred; the credit
 * guard's spending; the last exchanges that drifted. GET and DELETE /__mock/drift, nothing else.
 */
import type { DriftSummary } from '../api.js';
import { Problem, Section, Status, time, useAction, useConsole, useLoad } from '../ui.js';

export function DriftView() {
  const { api, tick, changed } = useConsole();
  const { value: drift, error } = useLoad(() => api.get<DriftSummary>('/__mock/drift'), [api, tick]);
  const { problem, act } = useAction(changed);
  if (!drift) return <Problem text={error} />;
  const forget = () => act(() => api.call('DELETE', '/__mock/drift'));
  return (
    <div class="stack">
      <Section
        title="Drift from openapi.yaml"
        actions={
          drift.mode === 'off' ? undefined : (
            <button data-testid="drift-forget" onClick={() => void forget()}>
              Forget the counts
            </button>
          )
        }
      >
        {drift.mode === 'off' ? (
          <p class="muted" data-testid="drift-off">
            The simulator answers itself: nothing is checked here. Start it with{' '}
            <code>--proxy &lt;url&gt;</code> (in front of the live API) or{' '}
            <code>--replay &lt;cassette&gt;</code> to see drift.
          </p>
        ) : (
          <dl class="facts" data-testid="drift-summary">
            <dt>Mode</dt>
            <dd>
              {drift.mode}
              {drift.strict ? ' (strict: an answer that breaks the spec becomes 502)' : ''}
            </dd>
            <dt>Target</dt>
            <dd>
              <code>{drift.target}</code>
            </dd>
            <dt>Exchanges checked</dt>
            <dd data-testid="drift-exchanges">
              {drift.exchanges}, {drift.exchanges_with_drift} with drift ({drift.findings} findings)
              {drift.since ? <span class="muted"> since {time(drift.since)}</span> : null}
            </dd>
            <dt>Credit guard</dt>
            <dd data-testid="drift-credits">
              {drift.credits
                ? `${drift.credits.forwarded} of ${drift.credits.limit} credits forwarded`
                : 'none (--proxy-max-credits)'}
            </dd>
          </dl>
        )}
        <Problem text={problem ?? error} />
      </Section>
      {drift.mode !== 'off' && (
        <Section title="By place in the spec">
          {drift.by_place.length === 0 ? (
            <p class="muted">No drift: every exchange checked matched openapi.yaml.</p>
          ) : (
            <table class="grid" data-testid="drift-places">
              <thead>
                <tr>
                  <th>side</th>
                  <th>kind</th>
                  <th>where</th>
                  <th>spec</th>
                  <th>provenance</th>
                  <th class="num">count</th>
                  <th>last</th>
                </tr>
              </thead>
              <tbody>
                {drift.by_place.map((p) => (
                  <tr>
                    <td>{p.side}</td>
                    <td>{p.kind}</td>
                    <td>
                      <code>{p.where}</code>
                    </td>
                    <td>
                      <code title={p.schema_path}>{p.pointer}</code>
                    </td>
                    <td>
                      <span class={`tag ${p.provenance}`}>{p.provenance}</span>
                    </td>
                    <td class="num">{p.count}</td>
                    <td>
                      {p.last_message} <span class="muted">{time(p.last_seen_at)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      )}
      {drift.recent.length > 0 && (
        <Section title="Last exchanges that drifted">
          <table class="grid" data-testid="drift-recent">
            <thead>
              <tr>
                <th>at</th>
                <th>request</th>
                <th>status</th>
                <th>findings</th>
              </tr>
            </thead>
            <tbody>
              {drift.recent.map((e) => (
                <tr>
                  <td>{time(e.at)}</td>
                  <td>
                    <code>
                      {e.method} {e.path}
                    </code>
                  </td>
                  <td>
                    <Status status={e.status} />
                  </td>
                  <td>{e.findings.map((f) => `${f.where}: ${f.message}`).join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
    </div>
  );
}
