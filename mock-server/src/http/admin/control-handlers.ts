/** The control plane QA uses: wire <-> simulator and QA state, nothing else. */
import type { Request, RequestHandler } from 'express';
import type { operations } from '../../../../generated/control-api.js';
import { ownerOf } from '../../domain/keys.js';
import type { LedgerEntry } from '../../domain/ledger.js';
import type { Simulator } from '../../domain/simulator.js';
import { isTerminal, type Task } from '../../domain/tasks.js';
import type { FaultRule, FaultRuleInput } from '../../qa/fault-rules.js';
import type { QaState } from '../../qa/qa-state.js';
import { success } from '../envelope.js';
import { ApiError, errors } from '../errors.js';
import { toTaskRecord, utcSeconds } from '../handlers/task-record.js';

export type ControlOperationId = Exclude<keyof operations, 'getTaskImage'>;

type HealthData = operations['getHealth']['responses'][200]['content']['application/json']['data'];
export type HealthComponents = HealthData['components'];
export type ComponentHealth = HealthComponents[keyof HealthComponents];

export interface ControlDeps {
  simulator: Simulator;
  qa: QaState;
  /**
   * Each part the simulator depends on, asked on every health check. A new one (a networked
   * store, say) is one entry in control-api.yaml's HealthComponents and one here.
   */
  healthComponents: { [K in keyof HealthComponents]: () => ComponentHealth | Promise<ComponentHealth> };
  version: string;
  seed: string;
  baseUrl: (req: Request) => string;
  /** undefined when the rule's status is allowed on every route it matches, else the allowed statuses. */
  ruleStatuses: (match: FaultRuleInput['match'], status: number) => number[] | undefined;
}

const notFound = (what: string) => new ApiError(404, `${what} not found`, { type: 'not_found' });

function ledgerEntry(e: LedgerEntry) {
  return {
    at: utcSeconds(e.at),
    kind: e.kind,
    amount: e.amount,
    balance_after: e.balanceAfter,
    task_id: e.taskId,
  };
}

function ruleView(rule: FaultRule) {
  const { method, path, keyLabel } = rule.match;
  return {
    id: rule.id,
    match: {
      ...(method ? { method } : {}),
      ...(path ? { path } : {}),
      ...(keyLabel ? { apiKey: keyLabel } : {}),
    },
    action: rule.action,
    times_left: rule.timesLeft,
    probability: rule.probability,
    hits: rule.hits,
  };
}

function limitOf(value: unknown, fallback: number): number {
  return typeof value === 'string' ? Math.min(Number(value), 10_000) : fallback;
}

export function controlHandlers(deps: ControlDeps): Record<ControlOperationId, RequestHandler> {
  const { simulator, qa } = deps;
  const clock = simulator.clock;

  const taskView = async (task: Task, req: Request) => {
    const owner = await simulator.store.getAccount(task.owner);
    return {
      record: toTaskRecord(task, deps.baseUrl(req)),
      owner: owner?.label ?? '(deleted key)',
      preset: task.preset,
      price: task.price,
      polls: task.polls,
      settled_at: task.settledAt === null ? null : utcSeconds(task.settledAt),
      plan: {
        outcome: task.plan.outcome,
        error_message: task.plan.errorMessage,
        ready_at: task.plan.readyAt === null ? null : new Date(task.plan.readyAt).toISOString(),
        complete_on_poll: task.plan.completeOnPoll,
      },
    };
  };

  const clockView = () => ({ kind: clock.kind, now: clock.now(), iso: new Date(clock.now()).toISOString() });

  const forceEnd = (outcome: 'success' | 'failed'): RequestHandler => {
    return async (req, res) => {
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
      res.json(success(await taskView(task!, req)));
    };
  };

  return {
    getHealth: async (_req, res) => {
      const components = await checkComponents(deps.healthComponents);
      // Still 200 when a component has failed: the public API works (for images, everything but
      // the image files), so a health check that restarts on failure would only make it worse.
      const degraded = Object.values(components).some((c) => c.status === 'failed');
      res.json(
        success({
          status: degraded ? 'degraded' : 'ok',
          version: deps.version,
          seed: deps.seed,
          tasks: await simulator.store.countTasks(),
          clock: clockView(),
          components,
        }),
      );
    },

    resetSimulator: async (_req, res) => {
      await simulator.reset();
      qa.reset();
      res.json(success({ reset: true as const, accounts: (await simulator.store.listAccounts()).length }));
    },

    getAccount: async (req, res) => {
      const found = await simulator.account(req.params.apiKey as string);
      if (!found) throw notFound('Account');
      res.json(
        success({
          apiKey: found.account.label,
          balance: found.account.balance,
          ledger: found.ledger.map(ledgerEntry),
        }),
      );
    },

    putAccount: async (req, res) => {
      const apiKey = req.params.apiKey as string;
      await simulator.setBalance(apiKey, (req.body as { balance: number }).balance);
      const found = (await simulator.account(apiKey))!;
      res.json(
        success({
          apiKey: found.account.label,
          balance: found.account.balance,
          ledger: found.ledger.map(ledgerEntry),
        }),
      );
    },

    listTasks: async (req, res) => {
      const { apiKey, status } = req.query as { apiKey?: string; status?: Task['status'] };
      const tasks = await simulator.listTasks({
        ...(apiKey ? { owner: ownerOf(apiKey) } : {}),
        ...(status ? { status } : {}),
        limit: limitOf(req.query.limit, 100),
      });
      res.json(success({ tasks: await Promise.all(tasks.map((t) => taskView(t, req))) }));
    },

    getTask: async (req, res) => {
      const task = await simulator.inspectTask(req.params.taskId as string);
      if (!task) throw notFound('Task');
      res.json(success(await taskView(task, req)));
    },

    succeedTask: forceEnd('success'),
    failTask: forceEnd('failed'),

    getClock: (_req, res) => {
      res.json(success(clockView()));
    },

    advanceClock: async (req, res) => {
      clock.advance((req.body as { ms: number }).ms);
      await simulator.settleDue(); // refunds of tasks that failed during the jump land now
      res.json(success(clockView()));
    },

    listFaultRules: (_req, res) => {
      res.json(success({ rules: qa.rules.list().map(ruleView) }));
    },

    createFaultRule: (req, res) => {
      const input = req.body as FaultRuleInput;
      if (input.action.status !== undefined) {
        const allowed = deps.ruleStatuses(input.match, input.action.status);
        if (allowed) {
          throw errors.invalidRequest([
            {
              field: 'body.action.status',
              message: `must be an error status the spec lists for every route the rule matches: ${allowed.join(', ') || '(none: the match reaches no route)'}`,
            },
          ]);
        }
      }
      const rule = qa.rules.add(input);
      res.status(201).json(success(ruleView(rule), 201));
    },

    clearFaultRules: (_req, res) => {
      res.json(success({ removed: qa.rules.clear() }));
    },

    deleteFaultRule: (req, res) => {
      if (!qa.rules.remove(req.params.ruleId as string)) throw notFound('Fault rule');
      res.json(success({ removed: 1 }));
    },

    getJournal: (req, res) => {
      const q = req.query as Record<string, string | undefined>;
      const entries = qa.journal.query({
        ...(q.method ? { method: q.method } : {}),
        ...(q.path ? { path: q.path } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.apiKey ? { keyOwner: ownerOf(q.apiKey) } : {}),
        ...(q.taskId ? { taskId: q.taskId } : {}),
        limit: limitOf(q.limit, 100),
      });
      res.json(
        success({
          capacity: qa.journal.capacity,
          entries: entries.map((e) => ({
            id: e.id,
            at: new Date(e.at).toISOString(),
            method: e.method,
            path: e.path,
            query: e.query,
            status: e.status,
            duration_ms: e.durationMs,
            api_key: e.keyLabel,
            task_id: e.taskId,
            injected: e.injected,
            ...(e.requestBody === undefined ? {} : { request_body: e.requestBody }),
            ...(e.responseBody === undefined ? {} : { response_body: e.responseBody }),
          })),
        }),
      );
    },
  };
}

/** Every component's state; a check that itself throws counts as that component failing. */
async function checkComponents(checks: ControlDeps['healthComponents']): Promise<HealthComponents> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, ComponentHealth]> => {
      try {
        return [name, await check()];
      } catch {
        return [name, { status: 'failed', error: 'the health check itself failed' }];
      }
    }),
  );
  return Object.fromEntries(entries) as HealthComponents;
}
