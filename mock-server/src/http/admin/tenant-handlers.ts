/** POST/GET /__mock/tenants, GET/DELETE /__mock/tenants/{tenantId}: wire <-> Tenancy. */
import type { RequestHandler, Response } from 'express';
import type { TenantRecord } from '../../store/store.js';
import { callerShareOf } from '../../tenancy/creation-shares.js';
import type { CreateRefusal, Tenancy, TenantInput } from '../../tenancy/tenancy.js';
import { contextOf } from '../context.js';
import { success } from '../envelope.js';
import { ApiError, errors } from '../errors.js';
import { DEFAULT_WORLD } from '../../tenancy/world.js';
import { controlErrors, scopeOf } from './control-scope.js';
import { pageOf } from './control-views.js';

export function tenantView(record: TenantRecord) {
  return {
    id: record.id,
    name: record.name,
    seed: record.spec.seed,
    clock: record.spec.clock,
    latency: record.spec.latency,
    failure_rate: record.spec.failureRate,
    created_at: new Date(record.createdAt).toISOString(),
    last_seen_at: new Date(record.lastSeenAt).toISOString(),
    idle_timeout_s: Math.round(record.idleTimeoutMs / 1000),
  };
}

/** Why a tenant was not created, as the caller is told. */
function creationRefused(refusal: CreateRefusal): ApiError {
  switch (refusal.reason) {
    case 'full':
      return new ApiError(
        503,
        'The simulator holds as many tenants as --max-tenants allows: drop one, or retry when idle ones are dropped',
        { type: 'service_unavailable' },
        { 'Retry-After': '60' },
      );
    case 'too_many_keys':
      return errors.invalidRequest([
        {
          field: 'body.keys',
          message: `at most ${refusal.max} keys per tenant (--tenant-max-keys), unless the operator creates it`,
        },
      ]);
    case 'idle_timeout_too_long':
      return errors.invalidRequest([
        {
          field: 'body.idleTimeoutS',
          message: `at most ${refusal.maxS} (--tenant-max-idle-timeout), unless the operator creates it`,
        },
      ]);
    case 'rate':
      return shareUsedUp(
        `This address has created ${refusal.rate.limit} tenants in ${formatWindow(refusal.rate.windowMs)}, ` +
          `as many as --tenant-creation-rate allows a caller without the control token`,
        refusal.retryAfterS,
      );
    case 'share':
      return shareUsedUp(
        `This address holds ${refusal.held} live tenants, as many as --max-tenants-per-caller allows a caller ` +
          'without the control token: drop one (DELETE /__mock/tenants/{id} with its credential), or retry when one has idled out',
        refusal.retryAfterS,
      );
  }
}

function shareUsedUp(message: string, retryAfterS: number): ApiError {
  return new ApiError(
    429,
    `${message} (retry after ${retryAfterS} s)`,
    { type: 'rate_limited', retry_after_seconds: retryAfterS },
    { 'Retry-After': String(retryAfterS) },
  );
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'a minute' : `${ms / 60_000} minutes`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

type TenantOperationId = 'listTenants' | 'createTenant' | 'getTenant' | 'deleteTenant';

export function tenantHandlers(tenancy: Tenancy): Record<TenantOperationId, RequestHandler> {
  /** The tenant a path names, if this caller may reach it. */
  const reachable = async (res: Response, id: string): Promise<TenantRecord> => {
    const scope = scopeOf(res);
    if (scope.kind === 'tenant' && scope.tenant !== id) throw controlErrors.otherTenant();
    const record = await tenancy.get(id);
    if (!record) throw controlErrors.unknownTenant(id);
    return record;
  };

  return {
    createTenant: async (req, res) => {
      // The operator has no share; anyone else (no token, or a tenant credential) is held to its own.
      const operator = contextOf(res).scope?.kind === 'operator';
      const caller = operator ? undefined : callerShareOf(req.socket.remoteAddress);
      const created = await tenancy.create((req.body ?? {}) as TenantInput, caller);
      if (!created.ok) throw creationRefused(created);
      const { record, token, keys } = created.tenant;
      res.status(201).json(success({ tenant: tenantView(record), token, keys }, 201));
    },

    listTenants: async (req, res) => {
      const scope = scopeOf(res);
      const all = await tenancy.list();
      const visible = scope.kind === 'tenant' ? all.filter((t) => t.id === scope.tenant) : all;
      // Oldest first, in an order every store and every replica agree on, so pages do not overlap.
      visible.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      const { offset, limit } = pageOf(req.query);
      res.json(
        success({ total: visible.length, tenants: visible.slice(offset, offset + limit).map(tenantView) }),
      );
    },

    getTenant: async (req, res) => {
      res.json(success(tenantView(await reachable(res, req.params.tenantId as string))));
    },

    deleteTenant: async (req, res) => {
      const id = req.params.tenantId as string;
      await reachable(res, id);
      if (id === DEFAULT_WORLD)
        throw new ApiError(409, 'The default world cannot be dropped (reset it instead)', {
          type: 'conflict',
        });
      res.json(success({ removed: (await tenancy.drop(id)) ? 1 : 0 }));
    },
  };
}
