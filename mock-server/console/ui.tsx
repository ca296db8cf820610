/** Small pieces shared by the views. */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Api, Clock } from './api.js';

export interface ConsoleContext {
  api: Api;
  clock: Clock | undefined;
  /** Grows whenever the journal shows activity (debounced): views that show state read it again. */
  tick: number;
  devKey: { key: string; label: string } | undefined;
  operator: boolean;
  /** Something changed here (an action): everyone reads again. */
  changed(): void;
  goTo(view: string): void;
}

export const Ctx = createContext<ConsoleContext>(undefined as unknown as ConsoleContext);
export const useConsole = () => useContext(Ctx);

/** Loads `load()` again whenever one of `deps` changes; keeps the last good value while reloading. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { value: T | undefined; error: string | undefined; reload: () => void } {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [again, setAgain] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => {
        if (!live) return;
        setValue(v);
        setError(undefined);
      },
      (e: unknown) => live && setError((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [...deps, again]);
  return { value, error, reload: () => setAgain((n) => n + 1) };
}

export function Problem({ text }: { text: string | undefined }) {
  return text ? (
    <p class="problem" role="alert">
      {text}
    </p>
  ) : null;
}

export function Pager(props: {
  page: number;
  hasMore: boolean;
  onPage: (page: number) => void;
  label?: string;
}) {
  return (
    <div class="pager">
      <button disabled={props.page === 0} onClick={() => props.onPage(props.page - 1)}>
        ‹ Newer
      </button>
      <span>
        {props.label ?? 'Page'} {props.page + 1}
      </span>
      <button disabled={!props.hasMore} onClick={() => props.onPage(props.page + 1)}>
        Older ›
      </button>
    </div>
  );
}

export function statusClass(status: number): string {
  if (status === 0) return 'st-none';
  return `st-${String(status)[0]}xx`;
}

export function Status({ status }: { status: number }) {
  return <span class={`status ${statusClass(status)}`}>{status === 0 ? 'none' : status}</span>;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** "in 3.2 s", "4 s ago", on the simulator's clock. */
export function relative(iso: string | null, clock: Clock | undefined): string {
  if (!iso || !clock) return '';
  const ms = Date.parse(iso) - clock.now;
  const abs = Math.abs(ms);
  const text =
    abs < 10_000
      ? `${(abs / 1000).toFixed(1)} s`
      : abs < 120_000
        ? `${Math.round(abs / 1000)} s`
        : abs < 7_200_000
          ? `${Math.round(abs / 60_000)} min`
          : `${Math.round(abs / 3_600_000)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="panel">
      <header>
        <h2>{props.title}</h2>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function Json({ value }: { value: unknown }) {
  if (value === undefined) return <em class="muted">none</em>;
  return <pre class="json">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>;
}
