/**
 * The caller's key, read once per request: the Bearer token as sent (well-formed or not: fault rules
 * match on it and the journal labels refused requests too) and its digest, hashed once.
 */
import { ownerOf, type Owner } from '../domain/keys.js';
import type { RequestContext } from './context.js';

/** Looser than authentication: one token after the scheme, whatever its characters. */
const BEARER_TOKEN = /^Bearer[ \t]+(\S+)/i;

/** The token of a Bearer header, well-formed or not; undefined when there is none. */
export function bearerToken(req: { headers: { authorization?: string } }): string | undefined {
  return BEARER_TOKEN.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * The digests of recently seen keys: a client sends the same key on every request, and a SHA-256
 * per request was a few percent of a status poll's CPU. Bounded; the keys stay in this process's
 * memory only, as the request that carried them did.
 */
const digests = new Map<string, Owner>();
const DIGESTS_KEPT = 1024;

export function digestOf(token: string): Owner {
  let owner = digests.get(token);
  if (owner === undefined) {
    owner = ownerOf(token);
    if (digests.size >= DIGESTS_KEPT) digests.delete(digests.keys().next().value!);
    digests.set(token, owner);
  }
  return owner;
}

export function callerOf(ctx: RequestContext): { token: string | undefined; owner: Owner | undefined } {
  if (!ctx.callerRead) {
    ctx.callerRead = true;
    ctx.token = bearerToken(ctx.req);
    ctx.owner = ctx.token === undefined ? undefined : digestOf(ctx.token);
  }
  return { token: ctx.token, owner: ctx.owner };
}
