/** generate and get_task_status: the public API, through the reference client, as a client calls it. */
import * as z from 'zod';
import type { GenerateRequest, TaskRecord } from '../../../../contracts/client/types.js';
import { redactKey } from '../../domain/keys.js';
import { answer, guarded } from '../results.js';
import { endpoint } from '../spec-schemas.js';
import { CLOSED_WORLD, keyArg, tenantArg, typed, type ToolContext } from './common.js';

type Scoped = { key?: string; tenant?: string };

function describeRecord(record: TaskRecord): string {
  const credits = `${record.consumed_credits} credits`;
  switch (record.status) {
    case 'SUCCESS':
      return `Task ${record.task_id} SUCCESS (${credits}): ${record.response.join(' ')}`;
    case 'FAILED':
      return `Task ${record.task_id} FAILED (${credits} charged after the refund): ${record.error_message ?? 'no message'}`;
    default:
      return (
        `Task ${record.task_id} IN_PROGRESS (${credits}). Poll again later; on a virtual clock, ` +
        'advance_clock moves it on.'
      );
  }
}

export function registerTaskTools({ server, worlds, docs }: ToolContext): void {
  const generate = endpoint(docs.api, 'post', '/api/generate');
  const status = endpoint(docs.api, 'get', '/api/status');
  const tenant = tenantArg(docs);

  server.registerTool(
    'generate',
    {
      title: 'Submit an image-generation task',
      description:
        'Sends POST /api/generate to the simulator as a client would, with an API key of the world, and ' +
        'answers the task id. The credits are deducted when the task is accepted. Everything the world ' +
        'holds applies: its balance, its fault rules (add_fault_rule), its rate limits; a refused request ' +
        "is a tool error carrying the API's status and message. No retry is made: you see every answer. " +
        "The task then runs on the world's clock: poll it with get_task_status, and on a virtual clock " +
        'move it to its end with advance_clock.',
      inputSchema: typed<GenerateRequest & Scoped>(generate.body().extend({ key: keyArg, tenant })),
      outputSchema: generate.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    ({ key, tenant, ...request }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const apiKey = world.keyFor(key);
        const { taskId } = await world.handle.client({ apiKey }).createTask(request, { maxRetries: 0 });
        world.rememberTask(taskId, apiKey);
        return answer(
          `Task ${taskId} accepted for ${redactKey(apiKey)} in ${world.id}: poll it with get_task_status.`,
          { task_id: taskId },
        );
      }),
  );

  server.registerTool(
    'get_task_status',
    {
      title: 'Poll a task once',
      description:
        'Sends one GET /api/status?task_id=… as a client would (with the key that created the task, ' +
        'unless another is given) and answers the task record: IN_PROGRESS, then SUCCESS with the image ' +
        'URLs, or FAILED with its error message and the refund (consumed_credits 0). A task of another ' +
        'key is a 404, as for a real client. Polling does not move a virtual clock: advance_clock does.',
      inputSchema: typed<{ task_id: string } & Scoped>(
        z.strictObject({ task_id: status.parameter('task_id'), key: keyArg, tenant }),
      ),
      outputSchema: status.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ task_id: taskId, key, tenant }) =>
      guarded(async () => {
        const world = worlds.get(tenant);
        const record = await world.handle.client({ apiKey: world.keyFor(key, taskId) }).getTask(taskId);
        return answer(describeRecord(record), record);
      }),
  );
}
