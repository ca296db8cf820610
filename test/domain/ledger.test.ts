import { describe, it, expect } from 'vitest';
import { tryDebit } from '../../mock-server/src/domain/ledger.js';

describe('tryDebit', () => {
  it('takes the price when the balance covers it', () => {
    expect(tryDebit(100, 12)).toEqual({ ok: true, balance: 88 });
  });

  it('takes the whole balance when it is exactly the price', () => {
    expect(tryDebit(48, 48)).toEqual({ ok: true, balance: 0 });
  });

  it('refuses one credit short, leaving the balance and stating what is required', () => {
    expect(tryDebit(11, 12)).toEqual({ ok: false, balance: 11, required: 12 });
    expect(tryDebit(0, 12)).toEqual({ ok: false, balance: 0, required: 12 });
  });
});
