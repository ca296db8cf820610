/** GET /__mock/tasks, GET /__mock/tasks/{taskId}, POST .../succeed and .../fail: QA's view of tasks. */
import type { Request, RequestHandler } from 'express';
import { ownerOf } from '../../domain/keys.js';
import { isTerminal, type Task } from '../../domain/tasks.js';
import { worldOf } from '../context.js';
import { success } from '../envelope.js';
import { ApiError } from '../errors.js';
import { limitOf, notFound, taskView } from './control-views.js';

export function taskHandlers(
  baseUrl: (req: Request) => string,
): Record<'listTasks' | 'getTask' | 'succeedTask' | 'failTask', RequestHandler> {
  const forceEnd = (outcome: 'success' | 'failed'): RequestHandler => {
    return async (req, res) => {
      const world = worldOf(res);
      const { simulator } = world;
      const taskId = req.params.taskId as string;
      const current = await simulator.inspectTask(taskId);
      if (!current) throw notFound('Task');
      if (isTerminal(current)) {
        throw new ApiError(409, `Task already ended with ${current.status}; terminal states never change`, {
          type: 'conflict',
        });
      }
      const message = (req.body as { error_message?: string } | undefined)?.error_message;
      const task = await simulator.forceSettle(taskId, outcome, message);
      res.json(success(await taskView(world, task!, baseUrl(req))));
    };
  };

  return {
    listTasks: async (req, res) => {
      const world = worldOf(res);
      const { apiKey, status } = req.query as { apiKey?: string; status?: Task['status'] };
      const offset = Number(req.query.offset ?? 0);
      // One read examines at most 10,000 tasks: a page past them is empty, never a stall.
      const limit = Math.max(0, Math.min(limitOf(req.query.limit, 100), 10_000 - offset));
      const tasks = (
        await world.simulator.listTasks({
          ...(apiKey ? { owner: ownerOf(apiKey) } : {}),
          ...(status ? { status } : {}),
          limit: offset + limit,
        })
      ).slice(offset);
      res.json(success({ tasks: await Promise.all(tasks.map((t) => taskView(world, t, baseUrl(req)))) }));
    },

    getTask: async (req, res) => {
      const world = worldOf(res);
      const task = await world.simulator.inspectTask(req.params.taskId as string);
      if (!task) throw notFound('Task');
      res.json(success(await taskView(world, task, baseUrl(req))));
    },

    succeedTask: forceEnd('success'),
    failTask: forceEnd('failed'),
  };
}
