/**
 * Who is calling the control API, and which world the call acts in.
 *
 * - The operator (the control token, or anyone when no token is configured) acts in the default world,
 *   or in the tenant named by `X-Mock-Tenant`.
 * - A tenant credential (`X-Mock-Token: dct_...`) acts in its own tenant and nowhere else: naming
 *   another tenant is 403, and nothing is done.
 * - A token that is neither is refused (401) even where none is needed: a mistyped tenant credential
 *   must never fall back to acting on the default world.
 *
 * Health stays open (container checks); creating a tenant is open unless `--tenant-creation operator`.
 */
import type { Request, RequestHandler, Response } from 'express';
import { secretsEqual } from '../../domain/keys.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { DEFAULT_WORLD } from '../../tenancy/world.js';
import { contextOf, type ControlScope } from '../context.js';
import { ApiError } from '../errors.js';

export type { ControlScope };

export function scopeOf(res: Response): ControlScope {
  const scope = contextOf(res).scope;
  if (!scope) throw new Error('control route reached without a scope');
  return scope;
}

export const TENANT_HEADER = 'x-mock-tenant';

export const controlErrors = {
  /** No token, or one that is neither the control token nor a tenant credential: one answer for both. */
  unauthorized(): ApiError {
    return new ApiError(
      401,
      'The control API needs X-Mock-Token: <token> (printed at start, or set with --control-token)',
      { type: 'unauthorized' },
    );
  },
  otherTenant(): ApiError {
    return new ApiError(403, 'A tenant credential reaches its own tenant only', { type: 'forbidden' });
  },
  /** A tenant naming a key it does not have outside its namespace (key-namespace.ts). */
  keyOutsideNamespace(prefix: string): ApiError {
    return new ApiError(
      403,
      `A tenant creates API keys in its own namespace only: names that start with ${prefix} (e.g. ${prefix}ci), ` +
        'besides the keys it was created with',
      { type: 'forbidden' },
    );
  },
  /** A tenant that holds as many keys as it may. */
  tenantKeyLimit(max: number): ApiError {
    return new ApiError(
      403,
      `A tenant holds at most ${max} API keys (--tenant-max-keys): set the balance of one it has, or ask the operator`,
      { type: 'forbidden' },
    );
  },
  /** A name of a tenant's namespace, in another world. */
  keyOfTenantNamespace(tenant: string): ApiError {
    return new ApiError(
      403,
      `API keys that start with sk-${tenant}- are the names of tenant ${tenant}: create them in it (X-Mock-Tenant: ${tenant})`,
      { type: 'forbidden' },
    );
  },
  /** The operator, acting in one world, naming a key another world holds. */
  keyHeldElsewhere(holder: string | undefined, holderName: string | undefined): ApiError {
    const message =
      holder === undefined
        ? 'The API key belongs to another world (dropped a moment ago, perhaps): retry'
        : holder === DEFAULT_WORLD
          ? 'The API key belongs to the default world: read or set it there (without X-Mock-Tenant)'
          : `The API key belongs to tenant ${holder}${holderName && holderName !== holder ? ` (${JSON.stringify(holderName.slice(0, 100))})` : ''}: ` +
            `read or set it with X-Mock-Tenant: ${holder}, or drop the tenant (DELETE /__mock/tenants/${holder}) to free the key`;
    return new ApiError(403, message, { type: 'forbidden' });
  },
  unknownTenant(id: string): ApiError {
    return new ApiError(404, `No tenant ${JSON.stringify(id.slice(0, 64))}`, { type: 'not_found' });
  },
};

function single(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface ControlScopeOptions {
  tenancy: Tenancy;
  /** The operator's token; undefined when none is configured (loopback): anyone is the operator. */
  token: string | undefined;
  /** Whether anyone may create a tenant (POST /__mock/tenants) without the operator's token. */
  openTenantCreation: boolean;
}

/** Whether the request is the operator's: the token, or no token configured and none sent. */
export function isOperator(token: string | undefined, req: { headers: Record<string, unknown> }): boolean {
  const given = req.headers['x-mock-token'];
  if (token === undefined) return given === undefined;
  return typeof given === 'string' && secretsEqual(given, token);
}

export function controlScope(options: ControlScopeOptions): RequestHandler {
  const { tenancy, token } = options;
  return async (req, res, next) => {
    if (req.path === '/health') return next();
    const given = single(req, 'x-mock-token');
    const named = single(req, TENANT_HEADER)?.trim();
    let scope: ControlScope;
    if (isOperator(token, req)) {
      const tenant = named || DEFAULT_WORLD;
      if (!(await tenancy.exists(tenant))) return next(controlErrors.unknownTenant(tenant));
      scope = { kind: 'operator', tenant, named: Boolean(named) };
    } else {
      const own = given === undefined ? undefined : await tenancy.tenantOfToken(given);
      if (own === undefined) {
        const creating = req.method === 'POST' && req.path === '/tenants' && given === undefined;
        if (creating && options.openTenantCreation) return next();
        return next(controlErrors.unauthorized());
      }
      if (named && named !== own) return next(controlErrors.otherTenant());
      scope = { kind: 'tenant', tenant: own };
    }
    const ctx = contextOf(res);
    ctx.scope = scope;
    ctx.world = await tenancy.worldById(scope.tenant);
    next();
  };
}
