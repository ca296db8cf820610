/** Every rule, in the order the report's catalogue lists them (docs/reference/verdict-rules.md). */
import type { LooseRule } from './rule.js';
import { abandonedTask } from './abandoned-task.js';
import { duplicateGenerate } from './duplicate-generate.js';
import { noBackoff } from './no-backoff.js';
import { pollAfterTerminal } from './poll-after-terminal.js';
import { pollTooFast } from './poll-too-fast.js';
import { retryAfterIgnored } from './retry-after-ignored.js';
import { retryUnchanged4xx } from './retry-unchanged-4xx.js';

export const RULES = [
  retryAfterIgnored,
  noBackoff,
  pollTooFast,
  pollAfterTerminal,
  retryUnchanged4xx,
  duplicateGenerate,
  abandonedTask,
] as const;

/** The same rules, typed for code that walks them all. */
export const LOOSE_RULES: readonly LooseRule[] = RULES;

export type AnyRule = (typeof RULES)[number];
export type RuleId = AnyRule['id'];
export type { Severity } from './rule.js';
