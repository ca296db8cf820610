/**
 * Fault rules, for clients that cannot send headers: match on method, path and key; act with a
 * FaultAction; limited by `times` (act on the next N matches, then retire) and/or `probability`
 * (drawn from the world's seeded `fault-rules` stream, so the same seed fails the same requests).
 *
 * This is the rule book of the memory store; the Redis store's script implements the same `fire`.
 */
import { ownerOf, redactKey, type Owner } from '../domain/keys.js';
import { MemoryBudget, type WorldMeter } from '../store/memory-budget.js';
import { ruleBytes } from '../store/memory-costs.js';
import { capRefusal, DEFAULT_CAPS } from '../store/world-limits.js';
import type { FaultAction } from './faults.js';

export interface FaultRuleInput {
  match?: { method?: string; path?: string; apiKey?: string };
  action: FaultAction;
  times?: number;
  probability?: number;
}

export interface FaultRule {
  id: string;
  match: { method?: string; path?: string; owner?: Owner; keyLabel?: string };
  action: FaultAction;
  timesLeft: number | null;
  probability: number | null;
  hits: number;
}

export interface RuleRequest {
  method: string;
  path: string;
  owner: Owner | undefined;
  /** Whether the request can create a task (generate): only then can a task-shaping rule apply. */
  createsTask: boolean;
}

export interface RuleBookLimits {
  /** Rules kept at most (--max-rules): one more is refused with 429. */
  maxRules: number;
  /** Where the rules' bytes are charged (the world's share of the memory budget). */
  meter: WorldMeter;
}

export class FaultRuleBook {
  private rules: FaultRule[] = [];
  private nextId = 1;
  /** Bytes charged for the rules kept. */
  private bytes = 0;
  private readonly limits: RuleBookLimits;

  /** @param draw the next draw in [0, 1) of the world's `fault-rules` stream */
  constructor(
    private readonly draw: () => number,
    limits: Partial<RuleBookLimits> = {},
  ) {
    this.limits = {
      maxRules: limits.maxRules ?? DEFAULT_CAPS.maxRules,
      meter: limits.meter ?? MemoryBudget.unlimited().meter('rules', 'whole'),
    };
  }

  /**
   * Adds a rule, or refuses it having changed nothing: past --max-rules, or past the world's share of
   * the memory budget (WorldLimitError). `force`: a rule of the world's start (a scenario given at
   * start), put back by every reset whatever the limits.
   */
  add(input: FaultRuleInput, { force = false } = {}): FaultRule {
    const { maxRules, meter } = this.limits;
    if (!force && this.rules.length >= maxRules) throw capRefusal('maxRules', maxRules);
    const stored = ruleOf(input);
    const cost = ruleBytes(stored);
    if (force) meter.charge('rules', cost);
    else meter.reserve('rules', cost);
    this.bytes += cost;
    const rule = { ...stored, id: `rule_${this.nextId++}` };
    this.rules.push(rule);
    return structuredClone(rule);
  }

  get size(): number {
    return this.rules.length;
  }

  list(): FaultRule[] {
    return structuredClone(this.rules);
  }

  remove(id: string): boolean {
    const index = this.rules.findIndex((r) => r.id === id);
    if (index < 0) return false;
    this.forget(this.rules[index]!);
    this.rules.splice(index, 1);
    return true;
  }

  clear(): number {
    const removed = this.rules.length;
    this.rules = [];
    this.limits.meter.release('rules', this.bytes);
    this.bytes = 0;
    return removed;
  }

  /** Back to no rules and ids from 1 (the store rewinds the stream's counter). */
  reset(): void {
    this.clear();
    this.nextId = 1;
  }

  private forget(rule: FaultRule): void {
    const cost = ruleBytes(rule);
    this.bytes -= cost;
    this.limits.meter.release('rules', cost);
  }

  /**
   * The first rule that matches and fires. A rule that answers the request itself (status, network
   * fault, delay) is spent now; a rule that only shapes a task is spent by `consume` once a task is
   * really created, so a refused generate (400, 402) does not use up "the next task fails".
   */
  fire(request: RuleRequest): FaultRule | undefined {
    for (const rule of this.rules) {
      const { method, path, owner } = rule.match;
      if (method !== undefined && method !== request.method) continue;
      if (path !== undefined && path !== request.path) continue;
      if (owner !== undefined && owner !== request.owner) continue;
      if (shapesTaskOnly(rule.action) && !request.createsTask) continue;
      if (rule.probability !== null && !(this.draw() < rule.probability)) continue;
      if (!shapesTaskOnly(rule.action)) this.consume(rule.id);
      return structuredClone(rule);
    }
    return undefined;
  }

  /** Counts a hit of a rule; a rule whose `times` run out retires. */
  consume(id: string): void {
    const rule = this.rules.find((r) => r.id === id);
    if (!rule) return;
    rule.hits++;
    if (rule.timesLeft !== null && --rule.timesLeft <= 0) this.remove(rule.id);
  }
}

/** A rule as stored, without its id: the key kept only as its digest and its redacted label. */
export function ruleOf(input: FaultRuleInput): Omit<FaultRule, 'id'> {
  const { method, path, apiKey } = input.match ?? {};
  return {
    match: {
      ...(method ? { method: method.toUpperCase() } : {}),
      ...(path ? { path } : {}),
      ...(apiKey ? { owner: ownerOf(apiKey), keyLabel: redactKey(apiKey) } : {}),
    },
    action: structuredClone(input.action),
    timesLeft: input.times ?? null,
    probability: input.probability ?? null,
    hits: 0,
  };
}

export function shapesTaskOnly(action: FaultAction): boolean {
  return (
    action.task !== undefined && action.status === undefined && action.fault === undefined && !action.delayMs
  );
}
