/**
 * The journal: live, newest first, filtered on the server, one page in the DOM at a time. The entry
 * whose detail is open is the address's (`#/journal?entry=42`), so another view links to one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, JournalEntry } from '../api.js';
import { curlOf } from '../curl.js';
import { Json, Pager, Problem, Section, Status, time, useConsole, useLoad } from '../ui.js';

export interface JournalFilter {
  operation: string;
  status: string;
  injected: string;
  q: string;
}

export const NO_FILTER: JournalFilter = { operation: '', status: '', injected: '', q: '' };

export interface JournalState {
  filter: JournalFilter;
  setFilter(filter: JournalFilter): void;
  page: number;
  setPage(page: number): void;
  entries: JournalEntry[];
  hasMore: boolean;
  live: boolean;
  /** Entries that came while an older page was shown. */
  unseen: number;
  error: string | undefined;
  gaps: number;
}

const OPERATIONS = ['createGenerationTask', 'getTaskStatus', 'postTaskStatus', 'getTaskImage'];

/**
 * One entry by its id, whatever the page or the filters show: the newest entry older than id + 1.
 * Undefined when the journal no longer holds it (it keeps the newest `--journal-size` entries).
 */
async function entryById(api: Api, id: number): Promise<JournalEntry | undefined> {
  const { entries } = await api.get<{ entries: JournalEntry[] }>('/__mock/journal', {
    before: id + 1,
    limit: 1,
  });
  return entries[0]?.id === id ? entries[0] : undefined;
}

/** The entry the address opens: from the page shown when it is there, else read by its id. */
function useOpenEntry(open: number | undefined, shown: JournalEntry[]) {
  const { api } = useConsole();
  const onPage = shown.find((e) => e.id === open);
  const read = useLoad(
    async () => (open === undefined || onPage ? undefined : { id: open, entry: await entryById(api, open) }),
    [api, open, onPage === undefined],
  );
  if (open === undefined) return { entry: undefined, gone: false, error: undefined };
  if (onPage) return { entry: onPage, gone: false, error: undefined };
  // The last read may be of the entry opened before this one: only this one's answer counts.
  const answered = read.value?.id === open ? read.value : undefined;
  return { entry: answered?.entry, gone: answered !== undefined && !answered.entry, error: read.error };
}

export function JournalView({ journal, open }: { journal: JournalState; open: number | undefined }) {
  const { filter, setFilter } = journal;
  const { goTo } = useConsole();
  const { entry, gone, error: entryError } = useOpenEntry(open, journal.entries);
  const close = () => goTo('journal');
  const set = (patch: Partial<JournalFilter>) => setFilter({ ...filter, ...patch });
  return (
    <div class="split">
      <Section
        title="Journal"
        actions={
          <span class={`live ${journal.live ? 'on' : 'off'}`} data-testid="live">
            {journal.live ? '● live' : '○ reconnecting'}
          </span>
        }
      >
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Operation
            <select
              name="operation"
              value={filter.operation}
              onChange={(e) => set({ operation: e.currentTarget.value })}
            >
              <option value="">any</option>
              {OPERATIONS.map((op) => (
                <option value={op}>{op}</option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select
              name="status"
              value={filter.status}
              onChange={(e) => set({ status: e.currentTarget.value })}
            >
              <option value="">any</option>
              <option value="2xx">2xx</option>
              <option value="4xx">4xx</option>
              <option value="5xx">5xx</option>
            </select>
          </label>
          <label>
            Injected
            <select
              name="injected"
              value={filter.injected}
              onChange={(e) => set({ injected: e.currentTarget.value })}
            >
              <option value="">any</option>
              <option value="true">injected</option>
              <option value="false">not injected</option>
            </select>
          </label>
          <label class="grow">
            Text
            <input
              name="q"
              type="search"
              placeholder="prompt, task id, message…"
              value={filter.q}
              maxLength={200}
              onChange={(e) => set({ q: e.currentTarget.value })}
            />
          </label>
        </form>
        <Problem text={journal.error} />
        {journal.unseen > 0 && (
          <button class="unseen" onClick={() => journal.setPage(0)}>
            {journal.unseen} newer {journal.unseen === 1 ? 'request' : 'requests'}: show
          </button>
        )}
        {journal.gaps > 0 && (
          <p class="muted">Some requests came faster than the stream sends; older pages have them.</p>
        )}
        <div class="table-fit">
          <table class="grid journal" data-testid="journal">
            <thead>
              <tr>
                <th>#</th>
                <th>time (simulator)</th>
                <th>request</th>
                <th>status</th>
                <th>injected</th>
                <th>task</th>
                <th>key</th>
                <th class="num">ms</th>
              </tr>
            </thead>
            <tbody>
              {journal.entries.map((e) => (
                <tr
                  key={e.id}
                  data-entry={e.id}
                  class={`${e.id === open ? 'selected' : ''} ${e.injected ? 'injected' : ''}`}
                  onClick={() => goTo('journal', { entry: e.id })}
                >
                  <td class="num">{e.id}</td>
                  <td>{time(e.at)}</td>
                  <td class="mono">
                    {e.method} {e.path}
                  </td>
                  <td class="nowrap">
                    <Status status={e.status} />
                  </td>
                  <td class="nowrap">{e.injected ? <span class="badge injected">{e.injected}</span> : ''}</td>
                  <td class="mono">{breakable(e.task_id ?? '')}</td>
                  <td class="mono">{breakable(e.api_key ?? '')}</td>
                  <td class="num">{e.duration_ms.toFixed(1)}</td>
                </tr>
              ))}
              {journal.entries.length === 0 && (
                <tr>
                  <td colSpan={8} class="muted">
                    No request yet
                    {filter.operation || filter.status || filter.injected || filter.q
                      ? ' matching these filters'
                      : ''}
                    .
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <Pager page={journal.page} hasMore={journal.hasMore} onPage={journal.setPage} />
      </Section>
      {entry ? (
        <EntryDetail entry={entry} onClose={close} />
      ) : (
        open !== undefined &&
        (gone || entryError) && (
          <Section
            title={`Request #${open}`}
            actions={
              <button onClick={close} aria-label="Close">
                ✕
              </button>
            }
          >
            <p class="muted" data-testid="entry-gone">
              {entryError ??
                'The journal no longer holds this request: it keeps the newest --journal-size entries, and a reset empties it.'}
            </p>
          </Section>
        )
      )}
    </div>
  );
}

/**
 * A task id or key label with places to wrap (after `sd45_`, around the key's `…`, before its `#`):
 * a narrow card wraps them there rather than in the middle of the hex or spilling out.
 */
function breakable(text: string) {
  return text.split(/(?<=[_…-])|(?=#)/).flatMap((part, i) => (i === 0 ? [part] : [<wbr />, part]));
}

function InjectedBy({ entry }: { entry: JournalEntry }) {
  const { goTo } = useConsole();
  if (!entry.injected) return <span>nothing: the simulator answered as itself</span>;
  if (entry.injected.startsWith('rule_'))
    return (
      <span>
        fault rule{' '}
        <a href="#/rules" onClick={() => goTo('rules')}>
          {entry.injected}
        </a>
      </span>
    );
  if (entry.injected === 'header') {
    const headers = Object.keys(entry.request_headers ?? {}).filter(
      (h) => h.startsWith('x-mock-') || h === 'prefer',
    );
    return <span>request header {headers.join(', ') || '(not recorded)'}</span>;
  }
  return <span>{entry.injected === 'chaos' ? 'chaos (--chaos)' : 'the rate limiter'}</span>;
}

function EntryDetail({ entry, onClose }: { entry: JournalEntry; onClose: () => void }) {
  const { devKey } = useConsole();
  const [copied, setCopied] = useState(false);
  const shown = useRef<HTMLDivElement>(null);
  // Under the table (a narrow window) the detail may open out of sight: bring it in, once per entry.
  useEffect(() => {
    const card = shown.current?.closest('section');
    const box = card?.getBoundingClientRect();
    if (card && box && (box.top < 0 || box.top > innerHeight - 80)) card.scrollIntoView({ block: 'start' });
  }, [entry.id]);
  const curl = curlOf(entry, location.origin, devKey);
  const truncated =
    typeof entry.request_body === 'string' && /… \(\d+ characters\)$/.test(entry.request_body);
  return (
    <Section
      title={`Request #${entry.id}`}
      actions={
        <>
          <button
            onClick={() => {
              void navigator.clipboard?.writeText(curl).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
          >
            {copied ? 'Copied' : 'Copy as curl'}
          </button>
          <button onClick={onClose} aria-label="Close">
            ✕
          </button>
        </>
      }
    >
      <div class="detail" data-testid="entry-detail" data-entry={entry.id} ref={shown}>
        <dl>
          <dt>request</dt>
          <dd class="mono">
            {entry.method} {entry.path}
          </dd>
          <dt>operation</dt>
          <dd class="mono">{entry.operation ?? 'none (unknown route)'}</dd>
          <dt>answer</dt>
          <dd>
            <Status status={entry.status} /> after {entry.duration_ms.toFixed(1)} ms, at {time(entry.at)}
          </dd>
          <dt>injected by</dt>
          <dd data-testid="injected-by">
            <InjectedBy entry={entry} />
          </dd>
          <dt>key</dt>
          <dd class="mono">{entry.api_key ?? 'none'}</dd>
          <dt>task</dt>
          <dd class="mono">{entry.task_id ?? 'none'}</dd>
        </dl>
        <h3>Query</h3>
        <Json value={entry.query && Object.keys(entry.query).length > 0 ? entry.query : undefined} />
        <h3>Request headers (kept: content type, user agent, Prefer, X-Mock-*, the key's label)</h3>
        <Json value={entry.request_headers} />
        <h3>Request body</h3>
        <Json value={entry.request_body} />
        <h3>Response body</h3>
        <Json value={entry.response_body} />
        <h3>As curl</h3>
        {truncated && (
          <p class="muted">
            The body was longer than the journal keeps: this command sends its first part only.
          </p>
        )}
        <pre class="curl" data-testid="curl">
          {curl}
        </pre>
      </div>
    </Section>
  );
}
