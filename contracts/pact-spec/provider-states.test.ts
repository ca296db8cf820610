/**
 * The pact and the provider-state catalogue (`contracts/provider-states.ts`) must agree: every state
 * the pact names is catalogued with exactly its parameters, every catalogued state is used, and every
 * value injected from a state (`${taskId}`) is one that state provides. The provider verification
 * implements the catalogue, so this is what keeps it in step with the pact.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PACT_FILE } from '../consumer/pact-config.js';
import { PROVIDER_STATE_NAMES, PROVIDER_STATES, type ProviderStateName } from '../provider-states.js';
import { loadPact } from './compare-pact.js';

const pact = existsSync(PACT_FILE) ? loadPact(PACT_FILE) : undefined;
const interactions = pact?.interactions ?? [];

function isCatalogued(name: string): name is ProviderStateName {
  return Object.hasOwn(PROVIDER_STATES, name);
}

/** Every `${expression}` of the interaction's provider-state generators, request and response. */
function injectedExpressions(interaction: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (record.type === 'ProviderState' && typeof record.expression === 'string') {
        for (const match of record.expression.matchAll(/\$\{([^}]+)\}/g)) found.push(match[1]!);
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(interaction);
  return found;
}

describe('provider states: pact and catalogue agree', () => {
  it('the pact file exists', () => {
    expect(pact, `${PACT_FILE} is missing: run the consumer tests first`).toBeDefined();
  });

  it('every interaction names at least one provider state', () => {
    const stateless = interactions
      .filter((i) => (i.providerStates ?? []).length === 0)
      .map((i) => i.description);
    expect(stateless).toEqual([]);
  });

  it('every state in the pact is catalogued, with exactly the catalogued parameters', () => {
    const problems: string[] = [];
    for (const interaction of interactions) {
      for (const state of interaction.providerStates ?? []) {
        if (!isCatalogued(state.name)) {
          problems.push(`"${interaction.description}": state "${state.name}" is not in PROVIDER_STATES`);
          continue;
        }
        const expected = Object.keys(PROVIDER_STATES[state.name].params).sort();
        const actual = Object.keys(state.params ?? {}).sort();
        if (JSON.stringify(expected) !== JSON.stringify(actual)) {
          problems.push(
            `"${interaction.description}": state "${state.name}" has params [${actual.join(', ')}], ` +
              `the catalogue says [${expected.join(', ')}]`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every catalogued state is used by at least one interaction', () => {
    const used = new Set(interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)));
    expect(PROVIDER_STATE_NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  it("every value injected from a provider state is provided by one of the interaction's states", () => {
    const problems: string[] = [];
    for (const interaction of interactions) {
      const provided = new Set<string>(
        (interaction.providerStates ?? [])
          .map((s) => s.name)
          .filter(isCatalogued)
          .flatMap((name) => [...PROVIDER_STATES[name].provides]),
      );
      for (const expression of injectedExpressions(interaction)) {
        if (!provided.has(expression)) {
          problems.push(`"${interaction.description}": \${${expression}} is provided by none of its states`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every catalogue entry documents its setup and each parameter', () => {
    for (const name of PROVIDER_STATE_NAMES) {
      const { setup, params } = PROVIDER_STATES[name];
      expect(setup.length, name).toBeGreaterThan(20);
      for (const [param, doc] of Object.entries(params))
        expect(doc.length, `${name}.${param}`).toBeGreaterThan(5);
    }
  });
});
