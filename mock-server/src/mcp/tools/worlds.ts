/** The world itself: a new tenant, its clock, its accounts, and a reset. */
import * as z from 'zod';
import { redactKey } from '../../domain/keys.js';
import { dataOf } from '../../embed/control-client.js';
import type { Account, TenantInput } from '../../embed/handle.js';
import { answer, guarded } from '../results.js';
import { endpoint } from '../spec-schemas.js';
import { CLOSED_WORLD, keyArg, tenantArg, typed, type ToolContext } from './common.js';

function describeAccount(account: Account): string {
  const [last] = account.ledger.slice(-1);
  const latest = last
    ? `; last entry: ${last.kind} ${last.amount}${last.task_id ? ` (${last.task_id})` : ''}`
    : '';
  return `Account ${account.apiKey}: ${account.balance} credits, ${account.ledger.length} ledger entries${latest}`;
}

export function registerWorldTools({ server, worlds, docs }: ToolContext): void {
  const tenants = endpoint(docs.control, 'post', '/__mock/tenants');
  const advance = endpoint(docs.control, 'post', '/__mock/clock/advance');
  const account = endpoint(docs.control, 'get', '/__mock/accounts/{apiKey}');
  const balance = endpoint(docs.control, 'put', '/__mock/accounts/{apiKey}');
  const reset = endpoint(docs.control, 'post', '/__mock/reset');
  const tenant = tenantArg(docs);

  server.registerTool(
    'create_tenant',
    {
      title: 'Create an isolated world',
      description:
        'Creates a tenant on the simulator (POST /__mock/tenants): a world of its own, with fresh API keys ' +
        'and their credits, its own seed, clock, tasks, fault rules and journal, which no other world sees. ' +
        'Answers its id (pass it as `tenant` to the other tools), its keys (give one to the client under ' +
        "test, with `url`) and its control credential. Ask for clock 'virtual' so a render takes no real " +
        'time (advance_clock moves it); a seed makes ids and outcomes replay exactly. The tenants this ' +
        'server created are dropped when it stops.',
      inputSchema: typed<TenantInput>(tenants.body()),
      outputSchema: tenants
        .data()
        .extend({ url: z.string().describe("The simulator's base URL, for the client under test.") }),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    (input) =>
      guarded(async () => {
        const { created } = await worlds.createTenant(input);
        const { tenant: record, keys } = created;
        const keyList = keys.map((k) => `${k.apiKey} (${k.balance} credits)`).join(', ');
        return answer(
          `Tenant ${record.id} created (clock ${record.clock}, latency ${record.latency}${record.seed ? `, seed ${record.seed}` : ''}). ` +
            `Client base URL: ${worlds.url}; API keys: ${keyList}. Pass tenant: '${record.id}' to the other tools.`,
          { ...created, url: worlds.url },
        );
      }),
  );

  server.registerTool(
    'advance_clock',
    {
      title: "Move the world's clock",
      description:
        "Moves the world's virtual clock forward by `ms` milliseconds (POST /__mock/clock/advance): tasks " +
        'whose end falls within the jump end (and failed ones refund) as if the time had passed, and rate ' +
        'limits and Retry-After windows elapse. A world on the real clock refuses it.',
      inputSchema: typed<{ ms: number; tenant?: string }>(advance.body().extend({ tenant })),
      outputSchema: advance.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    ({ ms, tenant }) =>
      guarded(async () => {
        const clock = await worlds.get(tenant).handle.clock.advance(ms);
        return answer(`Clock of ${worlds.get(tenant).id} moved ${ms} ms: now ${clock.iso}.`, clock);
      }),
  );

  server.registerTool(
    'get_account',
    {
      title: 'Read an account',
      description:
        "An API key's balance and its ledger (GET /__mock/accounts/{apiKey}): every debit, refund and " +
        'balance set, with the task it was for. The key is shown redacted.',
      inputSchema: typed<{ key?: string; tenant?: string }>(z.strictObject({ key: keyArg, tenant })),
      outputSchema: account.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ key, tenant }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const read = await world.handle.accounts.get(world.keyFor(key));
        return answer(describeAccount(read), read);
      }),
  );

  server.registerTool(
    'set_balance',
    {
      title: "Set an account's balance",
      description:
        "Sets an API key's credits (PUT /__mock/accounts/{apiKey}): 0, or less than a render costs, makes " +
        'the next generate a 402 insufficient_credits.',
      inputSchema: typed<{ balance: number; key?: string; tenant?: string }>(
        balance.body().extend({ key: keyArg, tenant }),
      ),
      outputSchema: balance.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    ({ balance: credits, key, tenant }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const apiKey = world.keyFor(key);
        const set = await world.handle.accounts.setBalance(apiKey, credits);
        return answer(`Balance of ${redactKey(apiKey)} set: ${describeAccount(set)}`, set);
      }),
  );

  server.registerTool(
    'reset',
    {
      title: 'Reset the world',
      description:
        'Back to the start (POST /__mock/reset): forgets every task, restores the keys and balances, ' +
        'rewinds the clock and the seeded randomness (the same requests replay the same ids and outcomes), ' +
        'clears fault rules, rate limits and the journal. Only the world the tool acts in.',
      inputSchema: z.strictObject({ tenant }),
      outputSchema: reset.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    ({ tenant }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const done = await dataOf(world.control.POST('/__mock/reset'));
        return answer(`World ${world.id} reset (${done.accounts} account(s) restored).`, done);
      }),
  );
}
