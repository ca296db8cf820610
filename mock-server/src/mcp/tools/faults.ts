/** The fault rules of a world: control-api.yaml's FaultRuleInput, as the tools' arguments. */
import * as z from 'zod';
import { dataOf } from '../../embed/control-client.js';
import type { FaultRule, FaultRuleInput } from '../../embed/handle.js';
import { answer, guarded } from '../results.js';
import { endpoint } from '../spec-schemas.js';
import { CLOSED_WORLD, tenantArg, typed, type ToolContext } from './common.js';

function describeRule(rule: FaultRule): string {
  const where = [rule.match.method, rule.match.path, rule.match.apiKey && `key ${rule.match.apiKey}`]
    .filter(Boolean)
    .join(' ');
  const how = [
    rule.times_left === null ? 'every time' : `${rule.times_left} more time(s)`,
    rule.probability === null ? '' : `with probability ${rule.probability}`,
  ]
    .filter(Boolean)
    .join(' ');
  return `${rule.id}: ${where || 'any request'} -> ${JSON.stringify(rule.action)}, ${how}, ${rule.hits} hit(s)`;
}

export function registerFaultTools({ server, worlds, docs }: ToolContext): void {
  const faults = endpoint(docs.control, 'post', '/__mock/faults');
  const list = endpoint(docs.control, 'get', '/__mock/faults');
  const removeOne = endpoint(docs.control, 'delete', '/__mock/faults/{ruleId}');
  const removeAll = endpoint(docs.control, 'delete', '/__mock/faults');
  const tenant = tenantArg(docs);

  server.registerTool(
    'add_fault_rule',
    {
      title: 'Make the simulator misbehave',
      description:
        'Adds a fault rule to the world (POST /__mock/faults): the next requests that match it (method, ' +
        'path, key) are answered with an error status, a network fault, a delay, or (on generate) a task ' +
        'that ends as told. `times` makes it act on the next N matching requests and then retire; ' +
        '`probability` on a share of them. Rules are tried in order, the first that matches acts. Use it ' +
        "to see how the client under test handles a bad day: e.g. { match: { path: '/api/generate' }, " +
        'action: { status: 500 }, times: 1 } fails the next generate.',
      inputSchema: typed<FaultRuleInput & { tenant?: string }>(faults.body().extend({ tenant })),
      outputSchema: faults.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    ({ tenant, ...rule }) =>
      guarded(async () => {
        const added = await worlds.get(tenant).handle.rules.add(rule);
        return answer(`Rule added: ${describeRule(added)}`, added);
      }),
  );

  server.registerTool(
    'list_fault_rules',
    {
      title: 'List the fault rules',
      description:
        "The world's active fault rules in the order they are tried, with how many times each has acted " +
        '(hits) and how many it has left.',
      inputSchema: z.strictObject({ tenant }),
      outputSchema: list.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ tenant }) =>
      guarded(async () => {
        const rules = await worlds.get(tenant).handle.rules.list();
        const lines = rules.map(describeRule);
        return answer(
          rules.length === 0 ? 'No fault rule.' : `${rules.length} rule(s):\n${lines.join('\n')}`,
          // Every page read (the handle's list), so the total is what was read.
          { total: rules.length, rules },
        );
      }),
  );

  server.registerTool(
    'remove_fault_rule',
    {
      title: 'Remove one fault rule',
      description: 'Removes one fault rule by its id (from add_fault_rule or list_fault_rules).',
      inputSchema: typed<{ ruleId: string; tenant?: string }>(
        z.strictObject({ ruleId: removeOne.parameter('ruleId'), tenant }),
      ),
      outputSchema: removeOne.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    ({ ruleId, tenant }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const removed = await dataOf(
          world.control.DELETE('/__mock/faults/{ruleId}', { params: { path: { ruleId } } }),
        );
        return answer(`Rule ${ruleId} removed.`, removed);
      }),
  );

  server.registerTool(
    'clear_fault_rules',
    {
      title: 'Remove every fault rule',
      description: "Removes all the world's fault rules: requests behave normally again.",
      inputSchema: z.strictObject({ tenant }),
      outputSchema: removeAll.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    ({ tenant }) =>
      guarded(async () => {
        const removed = await worlds.get(tenant).handle.rules.clear();
        return answer(`${removed} rule(s) removed.`, { removed });
      }),
  );
}
