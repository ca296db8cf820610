/** GET/PUT /__mock/accounts/{apiKey} and GET /__mock/accounts: wire <-> the world's accounts. */
import type { RequestHandler, Response } from 'express';
import { ownerOf } from '../../domain/keys.js';
import type { KeyClaim, Tenancy } from '../../tenancy/tenancy.js';
import type { World } from '../../tenancy/world.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import type { ApiError } from '../errors.js';
import { controlErrors, scopeOf } from './control-scope.js';
import { ledgerEntryView, limitOf, notFound } from './control-views.js';

export function accountHandlers(
  tenancy: Tenancy,
): Record<'getAccount' | 'putAccount' | 'listAccounts', RequestHandler> {
  /**
   * Why a key is another world's, in the caller's terms: a tenant reaches its own world only; the
   * operator is told which world holds it, and how to reach it or free it.
   */
  const heldElsewhere = async (res: Response, holder: string | undefined): Promise<ApiError> => {
    if (scopeOf(res).kind === 'tenant') return controlErrors.otherTenant();
    const record = holder === undefined ? undefined : await tenancy.get(holder);
    return controlErrors.keyHeldElsewhere(holder, record?.name);
  };
  const refusedClaim = (
    res: Response,
    claim: Exclude<KeyClaim, { ok: true }>,
  ): Promise<ApiError> | ApiError => {
    switch (claim.reason) {
      case 'outside_namespace':
        return controlErrors.keyOutsideNamespace(claim.prefix);
      case 'key_limit':
        return controlErrors.tenantKeyLimit(claim.max);
      case 'other_namespace':
        return controlErrors.keyOfTenantNamespace(claim.tenant);
      case 'held':
        return heldElsewhere(res, claim.holder);
    }
  };

  /** The account's view, or the reason it cannot be shown: not in this world (404) or another's (403). */
  const accountOf = async (res: Response, world: World, apiKey: string) => {
    const found = await world.simulator.account(apiKey);
    if (found) return found;
    const holder = await tenancy.worldOfKey(ownerOf(apiKey));
    throw holder !== undefined && holder !== world.id
      ? await heldElsewhere(res, holder)
      : notFound('Account');
  };
  const accountView = (found: Awaited<ReturnType<typeof accountOf>>) =>
    success({
      apiKey: found.account.label,
      balance: found.account.balance,
      ledger: found.ledger.map(ledgerEntryView),
    });

  return {
    getAccount: async (req, res) => {
      res.json(accountView(await accountOf(res, worldOf(res), req.params.apiKey as string)));
    },

    putAccount: async (req, res) => {
      const world = worldOf(res);
      const apiKey = req.params.apiKey as string;
      const owner = ownerOf(apiKey);
      const held = await tenancy.worldOfKey(owner);
      // The key becomes this world's first, so no other world can take it meanwhile.
      const claim = await tenancy.claimKey(apiKey, world.id, scopeOf(res).kind);
      if (!claim.ok) throw await refusedClaim(res, claim);
      try {
        await world.simulator.setBalance(apiKey, (req.body as { balance: number }).balance);
      } catch (err) {
        // Refused (a limit of the world): a key this request claimed is given up again.
        if (held === undefined) await tenancy.releaseKey(owner, world.id);
        throw err;
      }
      res.json(accountView(await accountOf(res, world, apiKey)));
    },

    listAccounts: async (req, res) => {
      const { total, accounts } = await worldOf(res).simulator.listAccounts({
        offset: Number(req.query.offset ?? 0),
        limit: Math.min(limitOf(req.query.limit, 100), 1_000),
        ledgerEntries: Math.min(limitOf(req.query.ledger, 10), 100),
      });
      res.json(
        success({
          total,
          accounts: accounts.map(({ account, ledger }) => ({
            apiKey: account.label,
            balance: account.balance,
            ledger: ledger.map(ledgerEntryView),
          })),
        }),
      );
    },
  };
}
