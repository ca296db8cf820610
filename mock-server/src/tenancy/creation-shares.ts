/**
 * A caller's share of open tenant creation. Anyone who reaches the control API may create a tenant
 * (unless `--tenant-creation operator`), and the simulator holds at most `--max-tenants`: without a
 * share, one caller took them all in two seconds, and everyone else waited for their idle time-outs.
 * So each caller other than the operator has
 *
 * - a rate: a token bucket of `--tenant-creation-rate` per caller;
 * - a number of live tenants: `--max-tenants-per-caller` (a quarter of --max-tenants by default);
 * - bounds on what it may ask for: `--tenant-max-keys` keys, an idle time-out up to
 *   `--tenant-max-idle-timeout`.
 *
 * A caller is its address (the connection's, never a header it could write itself). Callers behind one
 * proxy or NAT share one address, so one share: a CI farm behind one gateway creates its tenants with
 * the control token, or a larger share is configured.
 */
import { isIPv6 } from 'node:net';
import { takeToken, type BucketState, type BucketVerdict } from '../domain/token-bucket.js';

export interface TenantShares {
  /** Tenants one caller may create per window (a token bucket). */
  rate: { limit: number; windowMs: number };
  /** Live tenants one caller may hold. */
  perCaller: number;
  /** API keys a tenant may hold unless the operator makes them. */
  maxKeys: number;
  /** The longest idle time-out a caller may ask for (ms). */
  maxIdleTimeoutMs: number;
}

/**
 * The share an address belongs to: an IPv4 address as it is (mapped into IPv6 or not), an IPv6
 * address by its /64, the block one host or one site is usually given (so that one machine cannot be
 * a thousand callers by changing its interface id).
 */
export function callerShareOf(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, each without leading zeros. */
function expandIPv6(address: string): string[] {
  const plain = address.split('%', 1)[0]!.toLowerCase();
  const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4 handled above; 64:ff9b::1.2.3.4 here) counts as two groups.
  const missing = 8 - before.length - after.length - after.filter((g) => g.includes('.')).length;
  const all =
    tail === undefined ? before : [...before, ...Array<string>(Math.max(0, missing)).fill('0'), ...after];
  return all.map((g) => (g.includes('.') ? g : g.replace(/^0+(?=.)/, '')));
}

/** Callers whose buckets are kept at most; the least recently seen goes first (a fresh bucket is full). */
const CALLERS_KEPT = 10_000;

/**
 * The creation rate of each caller, in this process. LIMITATION: in a fleet each replica keeps its own
 * buckets, so a caller spread over N replicas creates up to N times the rate; the number of live
 * tenants per caller is counted in the shared store, and holds fleet-wide.
 */
export class CreationRate {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly rate: TenantShares['rate']) {}

  take(caller: string, now: number): BucketVerdict {
    const { state, verdict } = takeToken(this.buckets.get(caller), now, this.rate.limit, this.rate.windowMs);
    this.buckets.delete(caller);
    if (this.buckets.size >= CALLERS_KEPT) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(caller, state);
    return verdict;
  }
}
