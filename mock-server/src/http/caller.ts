/**
 * The caller's key, read once per request: the Bearer token as sent (well-formed or not: fault rules
 * match on it and the journal labels refused requests too) and its digest, hashed once.
 */
import { ownerOf, redactKey, type Owner } from '../domain/keys.js';
import type { RequestContext } from './context.js';

/** Looser than authentication: one token after the scheme, whatever its characters. */
const BEARER_TOKEN = /^Bearer[ \t]+(\S+)/i;

/** The token of a Bearer header, well-formed or not; undefined when there is none. */
export function bearerToken(req: { headers: { authorization?: string } }): string | undefined {
  return BEARER_TOKEN.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * The digest and label of recently seen keys: a client sends the same key on every request, and the
 * SHA-256s of its digest and label were a few percent of a status poll's CPU. Bounded; the keys stay
 * in this process's memory only, as the requests that carried them did.
 */
const identities = new Map<string, { owner: Owner; label: string }>();
const IDENTITIES_KEPT = 1024;

function identityOf(token: string): { owner: Owner; label: string } {
  let identity = identities.get(token);
  if (identity === undefined) {
    identity = { owner: ownerOf(token), label: redactKey(token) };
    if (identities.size >= IDENTITIES_KEPT) identities.delete(identities.keys().next().value!);
    identities.set(token, identity);
  }
  return identity;
}

export function digestOf(token: string): Owner {
  return identityOf(token).owner;
}

/** The key's label (domain/keys.ts redactKey), from the same bounded cache. */
export function labelOf(token: string): string {
  return identityOf(token).label;
}

export function callerOf(ctx: RequestContext): { token: string | undefined; owner: Owner | undefined } {
  if (!ctx.callerRead) {
    ctx.callerRead = true;
    ctx.token = bearerToken(ctx.req);
    ctx.owner = ctx.token === undefined ? undefined : digestOf(ctx.token);
  }
  return { token: ctx.token, owner: ctx.owner };
}
