/**
 * Fault rules, for clients that cannot send headers: match on method, path and key; act with a
 * FaultAction; limited by `times` (act on the next N matches, then retire) and/or `probability`
 * (drawn from the world's seeded `fault-rules` stream, so the same seed fails the same requests).
 *
 * This is the rule book of the memory store; the Redis store's script implements the same `fire`.
 */
import { ownerOf, redactKey, type Owner } from '../domain/keys.js';
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

export class FaultRuleBook {
  private rules: FaultRule[] = [];
  private nextId = 1;

  /** @param draw the next draw in [0, 1) of the world's `fault-rules` stream */
  constructor(private readonly draw: () => number) {}

  add(input: FaultRuleInput): FaultRule {
    const rule = { ...ruleOf(input), id: `rule_${this.nextId++}` };
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
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): number {
    const removed = this.rules.length;
    this.rules = [];
    return removed;
  }

  /** Back to no rules and ids from 1 (the store rewinds the stream's counter). */
  reset(): void {
    this.rules = [];
    this.nextId = 1;
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
