/**
 * What a world may hold, and the refusal a write gets past it (docs/reference/resource-model.md):
 * count caps per world (fault rules, accounts), which both stores enforce in the same operation that
 * would add one, and the memory budget's limits (memory-budget.ts), which the memory store enforces.
 */
import { flagOf, type OptionName } from '../config/options.js';

/** The most of a kind one world holds, whatever the memory: each beyond is refused with 429. */
export interface WorldCaps {
  /** Fault rules (every request walks them in order). */
  maxRules: number;
  /** Accounts (API keys with a balance and a ledger). */
  maxAccounts: number;
}

/** The options' own defaults (options.ts), for stores built without a configuration (tests). */
export const DEFAULT_CAPS: WorldCaps = { maxRules: 1_000, maxAccounts: 10_000 };

/** The limits a refusal can name: options of the table, so that a message names what to raise. */
export type WorldLimit = Extract<
  OptionName,
  'maxRules' | 'maxAccounts' | 'tenantMemoryShare' | 'callerMemoryShare' | 'memoryBudgetMb'
>;

/**
 * A write refused, before it changed anything, because it would take its world past a limit: a count
 * cap (429), a tenant's share of the memory budget (429), or the whole process's budget (503). The
 * message names the limit, its value and what to do; `retryAfterSeconds` is sent as Retry-After.
 */
export class WorldLimitError extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly limit: WorldLimit,
    message: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
    this.name = 'WorldLimitError';
  }
}

const CAPPED = {
  maxRules: { what: 'fault rules', fix: 'remove some (DELETE /__mock/faults/{ruleId}, or all at once)' },
  maxAccounts: { what: 'accounts', fix: 'reset the world (POST /__mock/reset) or drop the tenant' },
} as const;

/** The refusal of one more rule or account than the world's cap. */
export function capRefusal(limit: keyof WorldCaps, cap: number): WorldLimitError {
  const { what, fix } = CAPPED[limit];
  return new WorldLimitError(
    429,
    limit,
    `This world holds ${cap} ${what}, the most ${flagOf(limit)} allows: ${fix}, or start the simulator with a higher ${flagOf(limit)}`,
    undefined,
  );
}

/** `1.5 MiB`, `3.2 KiB`: a byte count as a message shows it. */
export function bytesText(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  const value = bytes / MiB;
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} MiB`;
}
