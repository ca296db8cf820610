/**
 * `Authorization: Bearer <key>`. Missing, malformed or unknown keys are answered 401 before
 * anything else happens to the request, so a bad key touches no state.
 */
import type { RequestHandler } from 'express';
import { ownerOf, type Owner } from '../../domain/keys.js';
import { errors } from '../errors.js';
import { worldOf } from '../world.js';

/** What authentication accepts: one printable token after the scheme. */
const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;
/** Looser, for matching fault rules and labelling journal entries of refused requests too. */
const BEARER_TOKEN = /^Bearer[ \t]+(\S+)/i;

/** The token of a Bearer header, well-formed or not; undefined when there is none. */
export function bearerToken(req: { headers: { authorization?: string } }): string | undefined {
  return BEARER_TOKEN.exec(req.headers.authorization ?? '')?.[1];
}

export interface AuthLocals {
  owner: Owner;
}

const BEARER_OWNER = Symbol('bearerOwner');

/** The digest of the request's bearer token, well-formed or not, hashed once per request. */
export function bearerOwner(req: { headers: { authorization?: string } }): Owner | undefined {
  const cached = (req as { [BEARER_OWNER]?: Owner | null })[BEARER_OWNER];
  if (cached !== undefined) return cached ?? undefined;
  const token = bearerToken(req);
  const owner = token === undefined ? undefined : ownerOf(token);
  (req as { [BEARER_OWNER]?: Owner | null })[BEARER_OWNER] = owner ?? null;
  return owner;
}

export function authenticate(): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') return next(errors.missingKey());
    const match = BEARER.exec(header);
    if (!match) return next(errors.malformedAuthorization());
    const owner = bearerOwner(req)!;
    const world = worldOf(res.locals);
    // The world was read for this key (view(owner)): its account came with it, no second read.
    const account =
      world.view.caller?.owner === owner ? world.view.caller.account : await world.store.getAccount(owner);
    if (!account) return next(errors.invalidKey());
    (res.locals as AuthLocals).owner = owner;
    next();
  };
}

export function ownerOfResponse(locals: Record<string, unknown>): Owner {
  const owner = (locals as Partial<AuthLocals>).owner;
  if (!owner) throw new Error('route reached without authentication');
  return owner;
}
