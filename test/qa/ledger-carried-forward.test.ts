/**
 * A ledger past its 10,000 kept entries shows the older ones folded into one `carried_forward` entry
 * (README, "Ledgers"). The control API's LedgerEntry did not list that kind, so such an account was a
 * 500 under response validation, and a client typed from control-api.yaml could not read it.
 */
import { describe, expect, it } from 'vitest';
import { DEV_KEY } from '../../mock-server/src/config.js';
import { testSimulator } from '../support/harness.js';
import { controlConforms } from './qa-support.js';

describe('a ledger longer than it keeps', () => {
  it('is read with its carried-forward entry first, as control-api.yaml documents it', async () => {
    const sim = await testSimulator();
    for (let i = 0; i < 10_001; i++) await sim.simulator.setBalance(DEV_KEY, i % 50);
    const res = await controlConforms(await sim.http.get(`/__mock/accounts/${DEV_KEY}`));
    expect(res.status).toBe(200);
    const ledger = res.body.data.ledger as Array<{ kind: string; amount: number; balance_after: number }>;
    expect(ledger).toHaveLength(10_000);
    expect(ledger[0]!.kind).toBe('carried_forward');
    expect(ledger.reduce((sum, e) => sum + e.amount, 0)).toBe(res.body.data.balance);
    const page = await controlConforms(await sim.http.get('/__mock/accounts').query({ ledger: '3' }));
    expect(page.body.data.accounts[0].ledger.map((e: { kind: string }) => e.kind)).toEqual([
      'carried_forward',
      'set',
      'set',
    ]);
  });
});
