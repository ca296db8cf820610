/**
 * Key names and the worlds that may create them. An API key is a name anyone may send; whoever holds
 * a name receives every request sent with it. So a tenant (anyone, on an open simulator) must not be
 * able to take a name someone else is about to use (`sk-qa-poor` from the QA guide): it creates keys
 * in a namespace of its own, `sk-<tenant id>-...`, besides the random keys made with it. No other
 * world may create a name of that namespace, so the namespaces never collide, with each other or
 * with the default world's names, whoever creates first.
 */

/** A tenant's id: `t-` and 12 hex digits (48 random bits). */
export const TENANT_ID = /^t-[0-9a-f]{12}$/;

/** The prefix of the key names a tenant may create. */
export function tenantKeyPrefix(tenantId: string): string {
  return `sk-${tenantId}-`;
}

const IN_A_NAMESPACE = /^sk-(t-[0-9a-f]{12})-./;

/** The tenant whose namespace a key name is in, or undefined for a name of no tenant's namespace. */
export function namespaceOf(apiKey: string): string | undefined {
  return IN_A_NAMESPACE.exec(apiKey)?.[1];
}
