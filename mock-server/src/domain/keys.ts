/**
 * API keys never leave the edge in clear. State is keyed by a SHA-256 digest of the key (its
 * "owner"), so a store, a task record, a journal or a log never holds a usable key, and looking a
 * key up compares digests, which tells a timing attacker nothing about the key itself.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Owner = string & { readonly __brand: 'Owner' };

export function ownerOf(apiKey: string): Owner {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex') as Owner;
}

/** Constant-time equality of two secrets of any length (digests first, so lengths leak nothing). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** A label safe to print: enough to recognise one's own key, not enough to use it. */
export function redactKey(apiKey: string): string {
  if (apiKey.length < 12) return '***';
  return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}
