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

/** Below this length a label shows none of the key: showing 8 characters must leave 8 hidden. */
const MIN_LENGTH_TO_SHOW_ENDS = 16;
/** Characters of a long key shown at each end: enough to recognise one's own key. */
const SHOWN_AT_EACH_END = 4;
/**
 * Hex characters of the key's digest (its owner) in its label: 2^24 values, so two keys of one
 * project never share a label in practice, even short ones that show nothing else. A hash of the
 * whole key confirms a guess but does not make one: it adds nothing to guessing a key that 8 hidden
 * characters (or the whole of a short key) do not already cost.
 */
const DIGEST_CHARS = 6;

/**
 * A label safe to print, that tells keys apart: `sk-d…-dev#3f09a1` for a long key (its ends and a
 * short hash of its digest), `…#5e1b7c` for a key shorter than 16 characters (the hash alone).
 */
export function redactKey(apiKey: string): string {
  const tag = `#${ownerOf(apiKey).slice(0, DIGEST_CHARS)}`;
  if (apiKey.length < MIN_LENGTH_TO_SHOW_ENDS) return `…${tag}`;
  return `${apiKey.slice(0, SHOWN_AT_EACH_END)}…${apiKey.slice(-SHOWN_AT_EACH_END)}${tag}`;
}
