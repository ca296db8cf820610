/**
 * The QA console: one page over the control API. The journal is followed live (one stream, server-
 * side filters); the other views read again when the journal shows activity (at most once a second)
 * or after an action, never on a timer; every list is one page in the DOM at a time.
 */
import './console.css';
import { render, type JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  Api,
  ApiProblem,
  initialToken,
  metaContent,
  savedWorld,
  saveToken,
  saveWorld,
  type Clock,
  type JournalEntry,
  type Tenant,
} from './api.js';
import { followJournal } from './journal-follow.js';
import { entryParam, hrefOf, routeOf, type RouteParams } from './route.js';
import {
  ConfirmDialog,
  Ctx,
  type ConfirmRequest,
  type ConsoleContext,
  Problem,
  time,
  useAction,
} from './ui.js';
import { AccountsView } from './views/accounts.js';
import { DriftView } from './views/drift.js';
import { JournalView, NO_FILTER, type JournalFilter, type JournalState } from './views/journal.js';
import { ReportView } from './views/report.js';
import { RulesView } from './views/rules.js';
import { TasksView } from './views/tasks.js';
import { TenantsView } from './views/tenants.js';

/** What every view may be given: the console's state that outlives a view (most read the context). */
interface ViewProps {
  journal: JournalState;
  /** What the address asks the view to show (`#/journal?entry=42`). */
  params: URLSearchParams;
  world: string;
  onWorld: (id: string) => void;
}

/**
 * The views, in the order of the tabs: an id (the `#/id` address), a label and how to show it. A new
 * view is one row here and one module under views/.
 */
const VIEWS = [
  {
    id: 'journal',
    label: 'Journal',
    show: (p: ViewProps) => <JournalView journal={p.journal} open={entryParam(p.params)} />,
  },
  { id: 'report', label: 'Report', show: (p: ViewProps) => <ReportView world={p.world} /> },
  { id: 'accounts', label: 'Accounts', show: () => <AccountsView /> },
  { id: 'tasks', label: 'Tasks', show: () => <TasksView /> },
  { id: 'rules', label: 'Fault rules', show: () => <RulesView /> },
  {
    id: 'tenants',
    label: 'Tenants',
    show: (p: ViewProps) => <TenantsView world={p.world} onWorld={p.onWorld} />,
  },
  { id: 'drift', label: 'Drift', show: () => <DriftView /> },
] as const satisfies ReadonlyArray<{ id: string; label: string; show: (p: ViewProps) => JSX.Element }>;
type View = (typeof VIEWS)[number]['id'];
const PAGE = 50;

function viewOf(name: string): View {
  return VIEWS.find((v) => v.id === name)?.id ?? 'journal';
}

const filterQuery = (f: JournalFilter) => ({
  operation: f.operation || undefined,
  status: f.status || undefined,
  injected: f.injected || undefined,
  q: f.q.trim() || undefined,
});

/** The journal view's state: one page, live on the first page, one stream for the whole console. */
function useJournal(api: Api | undefined, onActivity: () => void): JournalState {
  const [filter, setFilter] = useState<JournalFilter>(NO_FILTER);
  const [page, setPage] = useState(0);
  const [entries, setEntries] = useState<JournalEntry[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [live, setLive] = useState(false);
  const [unseen, setUnseen] = useState(0);
  const [gaps, setGaps] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  /** `before` of each page shown so far (page 0: none). */
  const cursors = useRef<Array<number | undefined>>([undefined]);
  const newestSeen = useRef(0);
  const pageRef = useRef(page);
  pageRef.current = page;

  useEffect(() => {
    if (!api) return;
    let stop = () => undefined as void;
    let live = true;
    const query = filterQuery(filter);
    const before = cursors.current[page];
    api
      .get<{ entries: JournalEntry[]; next?: number }>('/__mock/journal', { ...query, limit: PAGE, before })
      .then((data) => {
        if (!live) return;
        setEntries(data.entries);
        setHasMore(data.next !== undefined);
        cursors.current[page + 1] = data.next;
        setError(undefined);
        setUnseen(0);
        // Follow from the newest entry this page showed (or, on an older page, the newest seen), so an
        // entry written between the read and the stream is neither missed nor shown twice.
        if (page === 0) newestSeen.current = data.entries[0]?.id ?? 0;
        if (!live) return;
        stop = followJournal(api, query, newestSeen.current, {
          entry: (entry) => {
            onActivity();
            newestSeen.current = Math.max(newestSeen.current, entry.id);
            if (pageRef.current !== 0) return setUnseen((n) => n + 1);
            setEntries((shown) => {
              const next = [entry, ...shown.filter((e) => e.id !== entry.id)];
              if (next.length > PAGE) setHasMore(true); // the oldest one shown moves to the next page
              return next.slice(0, PAGE);
            });
          },
          gap: () => setGaps((n) => n + 1),
          reset: () => {
            setEntries([]);
            setHasMore(false);
            onActivity();
          },
          state: setLive,
        });
      })
      .catch((err: unknown) => live && setError((err as Error).message));
    return () => {
      live = false;
      stop();
    };
  }, [api, filter, page]);

  return {
    filter,
    setFilter: (f) => {
      cursors.current = [undefined];
      setPage(0);
      setFilter(f);
    },
    page,
    setPage: (p) => setPage(Math.max(0, p)),
    entries,
    hasMore,
    live,
    unseen,
    gaps,
    error,
  };
}

function Login(props: { problem: string | undefined; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <form
      class="login panel"
      data-testid="login"
      onSubmit={(e) => {
        e.preventDefault();
        props.onToken(token.trim());
      }}
    >
      <h2>Control token</h2>
      <p>
        This simulator's control API needs a token: the operator's (<code>--control-token</code>, or the one
        the banner printed) or a tenant's credential. It stays in this tab (sessionStorage) and is sent as{' '}
        <code>X-Mock-Token</code>, never in a URL.
      </p>
      <input
        name="token"
        type="password"
        autoComplete="off"
        value={token}
        onInput={(e) => setToken(e.currentTarget.value)}
      />
      <button type="submit">Use it</button>
      <Problem text={props.problem} />
    </form>
  );
}

function ClockBar({ api, clock, onChange }: { api: Api; clock: Clock | undefined; onChange: () => void }) {
  const [ms, setMs] = useState('');
  const { problem, act } = useAction(onChange);
  const advance = (by: number) => act(() => api.call('POST', '/__mock/clock/advance', { ms: by }));
  return (
    <div class="clock" data-testid="clock">
      <span title="The simulator's clock">
        Clock <strong data-testid="clock-now">{clock ? time(clock.iso) : '…'}</strong>{' '}
        <span class="muted">{clock?.kind}</span>
      </span>
      {[1_000, 10_000, 60_000, 3_600_000].map((by) => (
        <button onClick={() => void advance(by)}>
          +{by >= 3_600_000 ? '1 h' : by >= 60_000 ? '1 min' : `${by / 1000} s`}
        </button>
      ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ms) void advance(Number(ms));
        }}
      >
        <input
          name="advance-ms"
          type="number"
          min={0}
          placeholder="ms"
          value={ms}
          onInput={(e) => setMs(e.currentTarget.value)}
        />
        <button type="submit">Advance</button>
      </form>
      <Problem text={problem} />
    </div>
  );
}

function App() {
  const [token, setTokenState] = useState<string | undefined>(() => initialToken());
  const [world, setWorldState] = useState(savedWorld);
  const [route, setRoute] = useState(routeOf);
  const view = viewOf(route.view);
  const [tenants, setTenants] = useState<Tenant[] | undefined>(undefined);
  const [needsLogin, setNeedsLogin] = useState<string | undefined>(undefined);
  const [clock, setClock] = useState<Clock | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const debounce = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const devKeyValue = metaContent('dreamcore-dev-key');
  const devKeyLabel = metaContent('dreamcore-dev-key-label');
  const devKey = devKeyValue && devKeyLabel ? { key: devKeyValue, label: devKeyLabel } : undefined;

  const operator = tenants?.some((t) => t.id === 'default') ?? false;
  const own = !operator && tenants?.length === 1 ? tenants[0]!.id : undefined;
  const actingIn = own ?? world;
  const api = useMemo(
    () => (tenants ? new Api(token, actingIn) : undefined),
    [token, actingIn, tenants !== undefined],
  );

  // Who am I: the operator sees every tenant, a tenant credential its own.
  useEffect(() => {
    new Api(token, 'default')
      .get<{ tenants: Tenant[] }>('/__mock/tenants')
      .then((data) => {
        setTenants(data.tenants);
        setNeedsLogin(undefined);
        if (!data.tenants.some((t) => t.id === world) && data.tenants.some((t) => t.id === 'default'))
          setWorldState('default');
      })
      .catch((err: unknown) => {
        setTenants(undefined);
        setNeedsLogin(
          err instanceof ApiProblem && err.status === 401
            ? token
              ? 'That token was refused.'
              : ''
            : (err as Error).message,
        );
      });
  }, [token, tick === 0]);

  useEffect(() => {
    const onHash = () => setRoute(routeOf());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const refresh = useCallback(() => setTick((n) => n + 1), []);
  const onActivity = useCallback(() => {
    if (debounce.current) return;
    debounce.current = setTimeout(() => {
      debounce.current = undefined;
      refresh();
    }, 1_000);
  }, [refresh]);

  // The clock: read after every change; a real clock is moved forward here between reads.
  useEffect(() => {
    if (!api) return;
    let stopped = false;
    let base: { clock: Clock; at: number } | undefined;
    api.get<Clock>('/__mock/clock').then(
      (c) => {
        if (stopped) return;
        base = { clock: c, at: performance.now() };
        setClock(c);
      },
      () => undefined,
    );
    const timer = setInterval(() => {
      if (!base || base.clock.kind !== 'real') return;
      const now = base.clock.now + Math.round(performance.now() - base.at);
      setClock({ ...base.clock, now, iso: new Date(now).toISOString() });
    }, 1_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, tick]);

  const journal = useJournal(api, onActivity);
  const [asking, setAsking] = useState<
    { request: ConfirmRequest; resolve: (accepted: boolean) => void } | undefined
  >(undefined);
  const confirm = useCallback(
    (request: ConfirmRequest) => new Promise<boolean>((resolve) => setAsking({ request, resolve })),
    [],
  );

  const setWorld = (id: string) => {
    saveWorld(id);
    setWorldState(id);
  };
  const goTo = (v: string, params?: RouteParams) => {
    location.hash = hrefOf(v, params);
  };
  const context: ConsoleContext | undefined = api && {
    api,
    clock,
    tick,
    devKey,
    operator,
    changed: refresh,
    goTo,
    confirm,
  };

  return (
    <>
      <header class="top">
        <h1>
          DreamCore simulator <span class="muted">QA console</span>
        </h1>
        {tenants && (
          <label class="world">
            World
            <select
              name="world"
              data-testid="world"
              value={actingIn}
              disabled={!operator}
              onChange={(e) => setWorld(e.currentTarget.value)}
            >
              {tenants.map((t) => (
                <option value={t.id}>{t.id === 'default' ? 'default' : `${t.id} · ${t.name}`}</option>
              ))}
            </select>
          </label>
        )}
        {api && <ClockBar api={api} clock={clock} onChange={refresh} />}
        <nav class="links">
          <a href="/docs">API reference</a>
          {token ? (
            <button
              onClick={() => {
                saveToken(undefined);
                setTokenState(undefined);
              }}
            >
              Forget token
            </button>
          ) : null}
        </nav>
      </header>
      {needsLogin !== undefined && !tenants ? (
        <Login
          problem={needsLogin || undefined}
          onToken={(t) => {
            saveToken(t);
            setTokenState(t);
          }}
        />
      ) : context ? (
        <Ctx.Provider value={context}>
          <nav class="views">
            {VIEWS.map(({ id, label }) => (
              <a
                href={`#/${id}`}
                class={id === view ? 'active' : ''}
                aria-current={id === view ? 'page' : undefined}
              >
                {label}
              </a>
            ))}
          </nav>
          <main>
            {VIEWS.find((v) => v.id === view)!.show({
              journal,
              params: route.params,
              world: actingIn,
              onWorld: setWorld,
            })}
          </main>
          {asking && (
            <ConfirmDialog
              key={asking.request.title}
              request={asking.request}
              onAnswer={(accepted) => {
                setAsking(undefined);
                asking.resolve(accepted);
              }}
            />
          )}
        </Ctx.Provider>
      ) : (
        <p class="muted">Connecting…</p>
      )}
    </>
  );
}

render(<App />, document.getElementById('app')!);
