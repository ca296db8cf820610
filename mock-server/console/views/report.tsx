/**
 * The verdict on the client under test (GET /__mock/report), for the world the console shows: the
 * rules its requests broke, each example a link to its journal entry; the outcomes of the API it met
 * and missed, as a grid; the credits it spent; what the judge could not see; the JUnit XML to
 * download. Read again when the journal shows activity (as every view) or on Refresh.
 */
import { ApiProblem, type VerdictFinding, type VerdictReport } from '../api.js';
import { hrefOf } from '../route.js';
import { Problem, Section, time, useAction, useConsole, useLoad } from '../ui.js';

/** Where the docs page explains the report (Swagger UI's deep link to GET /__mock/report). */
const REPORT_DOCS = '/docs?doc=control#/control/getReport';

export function ReportView({ world }: { world: string }) {
  const { api, tick } = useConsole();
  const { value, error, reload } = useLoad(async () => {
    try {
      return await api.get<VerdictReport>('/__mock/report');
    } catch (err) {
      // The verdict is off (--report off), or the simulator does not answer itself: say so, not fail.
      if (err instanceof ApiProblem && err.status === 404) return { off: err.message };
      throw err;
    }
  }, [api, tick]);
  const { problem, act } = useAction();

  const download = () =>
    act(async () => {
      const xml = await api.text('/__mock/report', { format: 'junit' });
      const url = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `verdict-${world}.xml`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  if (!value) return error ? <Problem text={error} /> : <p class="muted">Reading the verdict…</p>;
  if ('off' in value)
    return (
      <Section title="Report">
        <p class="muted" data-testid="report-off">
          {value.off.replace(/^404: /, '')}. The simulator judges the client when it answers the public API
          itself, with <code>--report on</code> (the default).
        </p>
      </Section>
    );
  const report = value;
  return (
    <div class="stack report" data-testid="report">
      <Section
        title={`Verdict on ${report.world === 'default' ? 'the default world' : `tenant ${report.world}`}`}
        actions={
          <>
            <button data-testid="report-refresh" onClick={reload}>
              Refresh
            </button>
            <button data-testid="report-junit" onClick={() => void download()}>
              Download JUnit XML
            </button>
          </>
        }
      >
        <Summary report={report} />
        <Problem text={problem ?? error} />
      </Section>
      <Findings report={report} />
      <Coverage report={report} />
      <Spend report={report} />
      {!report.blind_spots.complete && (
        <Section title="Blind spots">
          <ul class="notes" data-testid="blind-spots">
            {report.blind_spots.notes.map((note) => (
              <li>{note}</li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function Summary({ report }: { report: VerdictReport }) {
  const { summary, requests } = report;
  const passed = report.findings.length === 0;
  return (
    <>
      <p class={`verdict ${passed ? 'passed' : 'failed'}`} data-testid="verdict">
        <span aria-hidden="true">{passed ? '✓' : '✖'}</span>{' '}
        {passed
          ? `No findings: the ${summary.rules_checked} rules checked passed`
          : `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')} (${plural(summary.occurrences, 'occurrence')})`}
      </p>
      <dl class="facts">
        <dt>Requests</dt>
        <dd data-testid="report-requests">
          {plural(requests.observed, 'request')} observed
          {requests.unanswered > 0 ? `, ${requests.unanswered} closed by the client before an answer` : ''}
          {Object.keys(requests.by_operation).length > 0 && (
            <span class="muted">
              {' '}
              (
              {Object.entries(requests.by_operation)
                .map(([op, n]) => `${op} ${n}`)
                .join(', ')}
              )
            </span>
          )}
        </dd>
        <dt>Since</dt>
        <dd>{report.since ? `${time(report.since)}, the world's last reset` : 'the simulator started'}</dd>
        <dt>As of</dt>
        <dd data-testid="report-now">{time(report.now)} (the world's clock)</dd>
        <dt>Coverage</dt>
        <dd>
          {summary.outcomes_seen - summary.outcomes_unexpected} of {summary.outcomes_catalogued} outcomes met
          {summary.outcomes_unexpected > 0 ? `, ${summary.outcomes_unexpected} not in the catalogue` : ''}
        </dd>
      </dl>
    </>
  );
}

function Findings({ report }: { report: VerdictReport }) {
  const summaries = new Map(report.rules.map((r) => [r.id, r.summary]));
  return (
    <Section title={`Findings (${report.findings.length})`}>
      {report.findings.length === 0 ? (
        <p class="muted" data-testid="no-findings">
          The client broke none of the {report.summary.rules_checked} rules turned on.
        </p>
      ) : (
        <div class="findings" data-testid="findings">
          {report.findings.map((f) => (
            <Finding key={f.rule} finding={f} summary={summaries.get(f.rule)} />
          ))}
        </div>
      )}
      <details class="rules">
        <summary>Every rule ({report.rules.length})</summary>
        <div class="table-fit">
          <table class="grid">
            <thead>
              <tr>
                <th>rule</th>
                <th>severity</th>
                <th>on</th>
                <th class="num">occurrences</th>
                <th>catches</th>
              </tr>
            </thead>
            <tbody>
              {report.rules.map((r) => (
                <tr data-rule={r.id}>
                  <td class="mono nowrap">{r.id}</td>
                  <td>{r.severity}</td>
                  <td>{r.enabled ? 'on' : 'off'}</td>
                  <td class="num">{r.occurrences}</td>
                  <td>{r.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </Section>
  );
}

function Finding({ finding: f, summary }: { finding: VerdictFinding; summary: string | undefined }) {
  return (
    <article class={`finding ${f.severity}`} data-rule={f.rule}>
      <header>
        <span class={`severity ${f.severity}`}>
          <span aria-hidden="true">{f.severity === 'error' ? '✖' : '▲'}</span> {f.severity}
        </span>
        <a
          class="mono rule-id"
          href={REPORT_DOCS}
          target="_blank"
          rel="noopener"
          title={`Explained in ${f.help}`}
          data-testid="rule-link"
        >
          {f.rule}
        </a>
        <span class="occurrences" data-testid="occurrences">
          {plural(f.occurrences, 'occurrence')}
        </span>
      </header>
      <p class="message">{f.message}</p>
      {summary && (
        <p class="muted rule-summary">
          Catches: {summary} Explained in <code>{f.help}</code>.
        </p>
      )}
      <ol class="examples">
        {f.examples.map((e) => (
          <li data-testid="example">
            {e.journal_id !== null ? (
              <a href={hrefOf('journal', { entry: e.journal_id })} data-journal-id={e.journal_id}>
                journal #{e.journal_id}
              </a>
            ) : (
              <span class="muted" title="The journal had already dropped this request">
                not journaled
              </span>
            )}{' '}
            <span class="mono">{e.summary}</span>
            <div class="detail-line">{e.detail}</div>
          </li>
        ))}
      </ol>
      {f.occurrences > f.examples.length && (
        <p class="muted">
          The first {f.examples.length} of {f.occurrences} shown.
        </p>
      )}
    </article>
  );
}

/** A coverage cell: an outcome id, seen (how often) or missing. */
interface Cell {
  outcome: string;
  group: string;
  /** The id without its group: `429`, `200:SUCCESS`, `fault:reset`. */
  rest: string;
  count: number | undefined;
  unexpected: boolean;
}

function cellOf(outcome: string, count: number | undefined, unexpected = false): Cell {
  const at = outcome.indexOf(':');
  return {
    outcome,
    group: at < 0 ? outcome : outcome.slice(0, at),
    rest: at < 0 ? '' : outcome.slice(at + 1),
    count,
    unexpected,
  };
}

/**
 * A cell's place in its group: answers by status, then faults; by name within one status. Fixed by
 * the outcome alone, so no cell moves when it changes from missing to seen.
 */
function placeOf(cell: Cell): [number, string] {
  const status = /^[0-9]{3}/.exec(cell.rest);
  return [status ? Number(status[0]) : 1000, cell.rest];
}

function byPlace(a: Cell, b: Cell): number {
  const [sa, na] = placeOf(a);
  const [sb, nb] = placeOf(b);
  return sa - sb || na.localeCompare(nb);
}

/** `200:SUCCESS` -> `200 SUCCESS`, `fault:reset` -> `fault reset`. */
function labelOf(cell: Cell): string {
  return cell.rest.replaceAll(':', ' ') || cell.outcome;
}

/** The groups in the report's order (the spec's): each list names them in that order. */
function groupOrder(...lists: string[][]): string[] {
  const order: string[] = [];
  for (const list of lists) {
    let after = -1;
    for (const group of list) {
      const at = order.indexOf(group);
      if (at >= 0) after = at;
      else order.splice(++after, 0, group);
    }
  }
  return order;
}

function Coverage({ report }: { report: VerdictReport }) {
  const cells = [
    ...report.coverage.seen.map((s) => cellOf(s.outcome, s.count, s.unexpected)),
    ...report.coverage.missing.map((m) => cellOf(m, undefined)),
  ];
  const groups = groupOrder(
    report.coverage.seen.map((s) => cellOf(s.outcome, s.count).group),
    report.coverage.missing.map((m) => cellOf(m, undefined).group),
  );
  const { summary } = report;
  return (
    <Section
      title="Coverage"
      actions={
        <span class="muted">
          {summary.outcomes_seen - summary.outcomes_unexpected} of {summary.outcomes_catalogued} met
        </span>
      }
    >
      <p class="muted legend">
        <span class="outcome seen">✓ seen ×n</span> <span class="outcome missing">○ missing</span> The
        outcomes of the API (from openapi.yaml, and the network faults the simulator injects) the client met
        since the reset, and those it never met.
      </p>
      <div data-testid="coverage">
        {groups.map((group) => {
          const mine = cells.filter((c) => c.group === group).sort(byPlace);
          const met = mine.filter((c) => c.count !== undefined && !c.unexpected).length;
          const listed = mine.filter((c) => !c.unexpected).length;
          return (
            <div key={group} class="coverage-group" data-group={group}>
              <h3>
                {group} <span class="muted">{`${met} of ${listed} met`}</span>
              </h3>
              <ul class="outcomes">
                {mine.map((c) => (
                  <OutcomeCell key={c.outcome} cell={c} />
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </Section>
  );
}

function OutcomeCell({ cell }: { cell: Cell }) {
  const seen = cell.count !== undefined;
  const state = !seen ? 'missing' : cell.unexpected ? 'unexpected' : 'seen';
  const said =
    state === 'missing'
      ? 'never met'
      : `met ${plural(cell.count ?? 0, 'time')}${cell.unexpected ? ', and not in the catalogue' : ''}`;
  return (
    <li
      class={`outcome ${state}`}
      data-outcome={cell.outcome}
      data-state={state}
      title={`${cell.outcome}: ${said}`}
    >
      <span class="mark" aria-hidden="true">
        {state === 'missing' ? '○' : state === 'unexpected' ? '!' : '✓'}
      </span>
      <span class="name mono">{labelOf(cell)}</span>
      <span class="count">{seen ? `×${cell.count}` : 'missing'}</span>
    </li>
  );
}

function Spend({ report }: { report: VerdictReport }) {
  const { spend } = report;
  return (
    <Section title="Spend">
      <dl class="facts" data-testid="spend">
        <dt>Debited</dt>
        <dd data-testid="spend-debited">{spend.debited} credits</dd>
        <dt>Refunded</dt>
        <dd data-testid="spend-refunded">{spend.refunded} credits</dd>
        <dt>Net</dt>
        <dd data-testid="spend-net">
          <strong>{spend.net} credits</strong>
        </dd>
      </dl>
      {spend.by_key.length > 0 && (
        <div class="table-fit">
          <table class="grid spend" data-testid="spend-by-key">
            <thead>
              <tr>
                <th>key</th>
                <th class="num">debited</th>
                <th class="num">refunded</th>
                <th class="num">net</th>
              </tr>
            </thead>
            <tbody>
              {spend.by_key.map((k) => (
                <tr data-key={k.key}>
                  <td class="mono">{k.key}</td>
                  <td class="num">{k.debited}</td>
                  <td class="num">{k.refunded}</td>
                  <td class="num">{k.net}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
