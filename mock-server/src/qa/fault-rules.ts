/**
 * Fault rules, for clients that cannot send headers: match on method, path and key; act with a
 * FaultAction; limited by `times` (act on the next N matches, then retire) and/or `probability`
 * (drawn from the seeded Rng, so the same seed fails the same requests).
 */
import { ownerOf, redactKey, type Owner } from '../domain/keys.js';
import type { Rng } from '../domain/rng.js';
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
}

export class FaultRuleBook {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private rng: Rng) {}

  add(input: FaultRuleInput): FaultRule {
    const { method, path, apiKey } = input.match ?? {};
    const rule: FaultRule = {
      id: `rule_${this.nextId++}`,
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
    this.rules.push(rule);
    return structuredClone(rule);
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

  /** Back to no rules, ids from 1 and the random stream rewound. */
  reset(rng: Rng): void {
    this.rules = [];
    this.nextId = 1;
    this.rng = rng;
  }

  /** The first rule that matches and fires; a rule whose `times` run out retires. */
  fire(request: RuleRequest): FaultRule | undefined {
    for (const rule of this.rules) {
      const { method, path, owner } = rule.match;
      if (method !== undefined && method !== request.method) continue;
      if (path !== undefined && path !== request.path) continue;
      if (owner !== undefined && owner !== request.owner) continue;
      if (rule.probability !== null && !(this.rng.next() < rule.probability)) continue;
      rule.hits++;
      if (rule.timesLeft !== null && --rule.timesLeft <= 0) this.remove(rule.id);
      return structuredClone(rule);
    }
    return undefined;
  }
}
