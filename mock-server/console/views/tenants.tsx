/** Tenants: isolated worlds; create one (its keys and credential are shown once), reset, drop, act in it. */
import { useState } from 'preact/hooks';
import type { CreatedTenant, Tenant } from '../api.js';
import { Problem, Section, time, useAction, useConsole, useLoad, type ConfirmRequest } from '../ui.js';

export function TenantsView(props: { world: string; onWorld: (id: string) => void }) {
  const { api, tick, operator, changed, confirm } = useConsole();
  const { value, error } = useLoad(
    async () => (await api.get<{ tenants: Tenant[] }>('/__mock/tenants?limit=1000')).tenants,
    [api, tick],
  );
  const [name, setName] = useState('');
  const [seed, setSeed] = useState('');
  const [clock, setClock] = useState('virtual');
  const [balances, setBalances] = useState('1000');
  const [created, setCreated] = useState<CreatedTenant | undefined>(undefined);
  const { problem, act } = useAction(changed);
  const resetOf = (id: string) => () =>
    fetch('/__mock/reset', { method: 'POST', headers: { ...api.headers(), 'X-Mock-Tenant': id } }).then(
      (r) => {
        if (!r.ok) throw new Error(`reset answered ${r.status}`);
      },
    );
  return (
    <div class="stack">
      {operator && (
        <Section title="Create a tenant">
          <form
            class="inline"
            data-testid="tenant-form"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => {
                const keys = balances
                  .split(',')
                  .map((b) => b.trim())
                  .filter(Boolean)
                  .map((b) => ({ balance: Number(b) }));
                setCreated(
                  await api.call<CreatedTenant>('POST', '/__mock/tenants', {
                    ...(name ? { name } : {}),
                    ...(seed ? { seed } : {}),
                    clock,
                    ...(keys.length > 0 ? { keys } : {}),
                  }),
                );
              });
            }}
          >
            <label>
              Name
              <input
                name="name"
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
                placeholder="ci-job-42"
              />
            </label>
            <label>
              Seed
              <input
                name="seed"
                value={seed}
                onInput={(e) => setSeed(e.currentTarget.value)}
                placeholder="random"
              />
            </label>
            <label>
              Clock
              <select name="clock" value={clock} onChange={(e) => setClock(e.currentTarget.value)}>
                <option>virtual</option>
                <option>real</option>
              </select>
            </label>
            <label>
              Key balances
              <input
                name="keys"
                value={balances}
                onInput={(e) => setBalances(e.currentTarget.value)}
                placeholder="1000, 20"
              />
            </label>
            <button type="submit">Create</button>
          </form>
          {created && (
            <div class="created" data-testid="created-tenant">
              <p>
                Tenant <span class="mono">{created.tenant.id}</span> created. Its credential and keys are
                shown this once:
              </p>
              <dl>
                <dt>credential (X-Mock-Token)</dt>
                <dd class="mono">{created.token}</dd>
                {created.keys.map((k) => (
                  <>
                    <dt>key ({k.balance} credits)</dt>
                    <dd class="mono">{k.apiKey}</dd>
                  </>
                ))}
              </dl>
            </div>
          )}
        </Section>
      )}
      <Section title="Tenants">
        <Problem text={error ?? problem} />
        <table class="grid" data-testid="tenants">
          <thead>
            <tr>
              <th>tenant</th>
              <th>name</th>
              <th>clock</th>
              <th>latency</th>
              <th>created (system time)</th>
              <th>last seen (system time)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {value?.map((t) => (
              <tr data-tenant={t.id} class={t.id === props.world ? 'selected' : ''}>
                <td class="mono">{t.id}</td>
                <td>{t.name}</td>
                <td>{t.clock}</td>
                <td>{t.latency}</td>
                <td>{time(t.created_at)}</td>
                <td>{time(t.last_seen_at)}</td>
                <td class="row-actions">
                  {t.id !== props.world && operator && (
                    <button onClick={() => props.onWorld(t.id)}>Act in it</button>
                  )}
                  <button
                    class="danger"
                    onClick={async () => {
                      if (await confirm(resetQuestion(t))) void act(resetOf(t.id));
                    }}
                  >
                    Reset
                  </button>
                  {t.id !== 'default' && operator && (
                    <button
                      class="danger"
                      onClick={async () => {
                        if (await confirm(dropQuestion(t)))
                          void act(() => api.call('DELETE', `/__mock/tenants/${t.id}`));
                      }}
                    >
                      Drop
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

const worldName = (t: Tenant) => (t.id === 'default' ? 'the default world' : `tenant ${t.id} (${t.name})`);

/** What POST /__mock/reset forgets (control-api.yaml, resetSimulator). */
function resetQuestion(t: Tenant): ConfirmRequest {
  return {
    title: `Reset ${worldName(t)}?`,
    loses: (
      <p>
        Every task, fault rule and journal entry of <span class="mono">{t.id}</span> is forgotten, its keys
        and balances go back to their start (the ledgers with them), and its clock and seeded randomness
        rewind. Clients of this world see it start again.
      </p>
    ),
    action: 'Reset',
  };
}

/** What DELETE /__mock/tenants/{id} loses. */
function dropQuestion(t: Tenant): ConfirmRequest {
  return {
    title: `Drop ${worldName(t)}?`,
    loses: (
      <p>
        Its keys and credential stop working at once, and its accounts, tasks, fault rules and journal are
        forgotten. This cannot be undone: <span class="mono">{t.id}</span> will not come back.
      </p>
    ),
    action: 'Drop',
  };
}
