/** Accounts and their ledgers; a balance is set with the key itself (the simulator keeps none in clear). */
import { useState } from 'preact/hooks';
import type { Account } from '../api.js';
import { Pager, Problem, Section, time, useAction, useConsole, useLoad } from '../ui.js';

const PAGE = 20;

export function AccountsView() {
  const { api, tick, devKey, changed } = useConsole();
  const [page, setPage] = useState(0);
  const { value, error } = useLoad(
    () =>
      api.get<{ total: number; accounts: Account[] }>('/__mock/accounts', {
        limit: PAGE,
        offset: page * PAGE,
        ledger: 8,
      }),
    [api, tick, page],
  );
  const [key, setKey] = useState(devKey?.key ?? '');
  const [balance, setBalance] = useState('1000');
  const { problem, act } = useAction(changed);

  const submit = (e: Event) => {
    e.preventDefault();
    return act(() =>
      api.call('PUT', `/__mock/accounts/${encodeURIComponent(key.trim())}`, { balance: Number(balance) }),
    );
  };

  return (
    <div class="stack">
      <Section title="Set a balance">
        <form class="inline" onSubmit={submit} data-testid="balance-form">
          <label class="grow">
            API key
            <input
              name="apiKey"
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
              placeholder="sk-…"
              required
            />
          </label>
          <label>
            Balance
            <input
              name="balance"
              type="number"
              min={0}
              value={balance}
              onInput={(e) => setBalance(e.currentTarget.value)}
              required
            />
          </label>
          <button type="submit">Set (creating the key)</button>
        </form>
        <p class="muted">The key is needed in clear: the simulator keeps only its digest and label.</p>
        <Problem text={problem} />
      </Section>
      <Section title={`Accounts${value ? ` (${value.total})` : ''}`}>
        <Problem text={error} />
        <div class="accounts" data-testid="accounts">
          {value?.accounts.map((a) => (
            <article class="account" data-account={a.apiKey}>
              <header>
                <span class="mono">{a.apiKey}</span>
                <strong class="balance" data-testid="balance">
                  {a.balance} credits
                </strong>
                {devKey && a.apiKey === devKey.label && (
                  <button onClick={() => setKey(devKey.key)} title="Fill in the form with this key">
                    Set…
                  </button>
                )}
              </header>
              <table class="grid ledger">
                <thead>
                  <tr>
                    <th>at (simulator)</th>
                    <th>kind</th>
                    <th class="num">amount</th>
                    <th class="num">balance after</th>
                    <th>task</th>
                  </tr>
                </thead>
                <tbody>
                  {[...a.ledger].reverse().map((l) => (
                    <tr class={`ledger-${l.kind}`} data-kind={l.kind}>
                      <td>{time(l.at)}</td>
                      <td>{l.kind}</td>
                      <td class="num">{l.amount > 0 ? `+${l.amount}` : l.amount}</td>
                      <td class="num">{l.balance_after}</td>
                      <td class="mono">{l.task_id ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </article>
          ))}
        </div>
        <Pager page={page} hasMore={(value?.total ?? 0) > (page + 1) * PAGE} onPage={setPage} />
      </Section>
    </div>
  );
}
