/** Small pieces shared by the views. */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Api, Clock } from './api.js';
import type { RouteParams } from './route.js';

export interface ConsoleContext {
  api: Api;
  clock: Clock | undefined;
  /** Grows whenever the journal shows activity (debounced): views that show state read it again. */
  tick: number;
  devKey: { key: string; label: string } | undefined;
  operator: boolean;
  /** Something changed here (an action): everyone reads again. */
  changed(): void;
  /** Shows a view (`goTo('journal', { entry: 42 })`: the journal, entry 42 open), through the address. */
  goTo(view: string, params?: RouteParams): void;
  /** Asks the user to accept an action that loses something (ConfirmDialog); true when accepted. */
  confirm(request: ConfirmRequest): Promise<boolean>;
}

/** A destructive action, as the confirmation names it. */
export interface ConfirmRequest {
  /** The question: "Reset the world default?" */
  title: string;
  /** What will be lost, in words. */
  loses: ComponentChildren;
  /** The accepting button's label: the action's own name ("Reset"), never "OK". */
  action: string;
}

export const Ctx = createContext<ConsoleContext>(undefined as unknown as ConsoleContext);
export const useConsole = () => useContext(Ctx);

/**
 * An action a view runs (a button, a form): its error is kept in `problem` for the view to show, and
 * cleared when the next action starts; `after` (usually the console's `changed`) runs only when it
 * succeeded.
 */
export function useAction(after?: () => void): {
  problem: string | undefined;
  act: (call: () => Promise<unknown>) => Promise<void>;
} {
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const act = async (call: () => Promise<unknown>) => {
    setProblem(undefined);
    try {
      await call();
      after?.();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return { problem, act };
}

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

/**
 * The page's own confirmation (a modal <dialog>): it names what will be lost, and the action is
 * taken only when its button is pressed; Cancel, Escape or closing it does nothing. Cancel has the
 * focus, so Enter on a stray click does not destroy anything.
 */
export function ConfirmDialog(props: { request: ConfirmRequest; onAnswer: (accepted: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const answered = useRef(false);
  const answer = (accepted: boolean) => {
    if (answered.current) return;
    answered.current = true;
    props.onAnswer(accepted);
  };
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      data-testid="confirm"
      aria-labelledby="confirm-title"
      onClose={() => answer(false)}
    >
      <h2 id="confirm-title">{props.request.title}</h2>
      <div class="loses">{props.request.loses}</div>
      <div class="buttons">
        <button autoFocus onClick={() => answer(false)}>
          Cancel
        </button>
        <button class="danger strong" onClick={() => answer(true)}>
          {props.request.action}
        </button>
      </div>
    </dialog>
  );
}
