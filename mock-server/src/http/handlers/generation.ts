/** The public API's operations: wire <-> domain, nothing else. */
import type { Request, RequestHandler } from 'express';
import type { operations } from '../../../../generated/dreamcore-api.js';
import type { TaskScenario } from '../../domain/simulator.js';
import type { GenerateRequest } from '../../domain/wire-types.js';
import { success } from '../envelope.js';
import { errors } from '../errors.js';
import { ownerOfResponse } from '../middleware/auth.js';
import { worldOf } from '../world.js';
import { toTaskRecord } from './task-record.js';

export type ApiOperationId = keyof operations;

export interface GenerationHandlerDeps {
  /** Where image URLs point; by default the address the client used to reach the simulator. */
  publicUrl: ((req: Request) => string) | string;
  /** A QA scenario decoded at the edge (headers, rules, markers), if any. */
  scenarioOf?: (req: Request, locals: Record<string, unknown>) => TaskScenario | undefined;
  /** Called once a task has really been created (a task-shaping fault rule counts it). */
  onTaskCreated?: (locals: Record<string, unknown>) => Promise<void>;
}

export function generationHandlers(deps: GenerationHandlerDeps): Record<ApiOperationId, RequestHandler> {
  const baseUrl = (req: Request) =>
    typeof deps.publicUrl === 'string' ? deps.publicUrl : deps.publicUrl(req);

  const readTask = async (req: Request, taskId: string, locals: Record<string, unknown>) => {
    const world = worldOf(locals);
    const task = await world.simulator.readTask(ownerOfResponse(locals), taskId, { poll: true });
    if (!task) throw errors.taskNotFound();
    return success(toTaskRecord(task, baseUrl(req), world.id));
  };

  return {
    createGenerationTask: async (req, res) => {
      const request = req.body as GenerateRequest;
      const result = await worldOf(res.locals).simulator.generate(
        ownerOfResponse(res.locals),
        request,
        deps.scenarioOf?.(req, res.locals) ?? {},
      );
      if (!result.ok) {
        if (result.reason === 'unknown_account') throw errors.invalidKey();
        throw errors.insufficientCredits(result.required, result.balance);
      }
      await deps.onTaskCreated?.(res.locals);
      res.json(success({ task_id: result.task.id }));
    },

    getTaskStatus: async (req, res) => {
      res.json(await readTask(req, req.query.task_id as string, res.locals));
    },

    postTaskStatus: async (req, res) => {
      const fromQuery = req.query.task_id as string | undefined;
      const fromBody = (req.body as { task_id?: string } | undefined)?.task_id;
      if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
        throw errors.invalidRequest([
          {
            field: 'body.task_id',
            message: `differs from query.task_id (${fromQuery}); send one, or the same`,
          },
        ]);
      }
      const taskId = fromQuery ?? fromBody;
      if (taskId === undefined) {
        throw errors.invalidRequest([
          { field: 'query.task_id', message: 'is required (in the query string, or task_id in a JSON body)' },
        ]);
      }
      res.json(await readTask(req, taskId, res.locals));
    },
  };
}
