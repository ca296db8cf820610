/** The control plane QA uses: wire <-> simulator and QA state, nothing else. */
import type { Request, RequestHandler, Response } from 'express';
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
import type { Tenancy } from '../../tenancy/tenancy.js';
import { worldOf, type World } from '../world.js';
import { controlErrors, scopeOf } from './control-scope.js';
import { journalEntryView, journalFilterOf, waitForJournal } from './journal-handlers.js';
import { streamJournal, type JournalStreamOptions } from './journal-stream.js';
import { tenantHandlers } from './tenant-handlers.js';

/** The pages and the metrics have modules of their own (http/console, http/docs, http/metrics). */
export type ControlOperationId = Exclude<
  keyof operations,
  | 'getTaskImage'
  | 'getMetrics'
  | 'getConsole'
  | 'getConsoleAsset'
  | 'getDocs'
  | 'getDocsDocument'
  | 'getDocsAsset'
>;

export interface ControlDeps {
  tenancy: Tenancy;
  qa: QaState;
  version: string;
  /** Whether this request may see what only the control token shows (the seed). */
  controlAuthorized: (req: Request) => boolean;
  baseUrl: (req: Request) => string;
  /** undefined when the rule's status is allowed on every route it matches, else the allowed statuses. */
  ruleStatuses: (match: FaultRuleInput['match'], status: number) => number[] | undefined;
  journalStream?: JournalStreamOptions;
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

/**
 * Whether a rule's action changes anything. The schema refuses an empty action and an empty task; an
 * action whose only property is a delay of 0 or a Retry-After without a status is refused here, so a
 * rule that would only mark requests as injected is never stored.
 */
function doesSomething(action: FaultRuleInput['action']): boolean {
  return (
    action.status !== undefined ||
    action.fault !== undefined ||
    action.task !== undefined ||
    (action.delayMs ?? 0) > 0
  );
}

export function limitOf(value: unknown, fallback: number): number {
  return typeof value === 'string' ? Math.min(Number(value), 10_000) : fallback;
}

export function controlHandlers(deps: ControlDeps): Record<ControlOperationId, RequestHandler> {
  const { qa } = deps;
  const simulatorOf = (res: Response): Simulator => worldOf(res.locals).simulator;

  const taskView = async (world: World, task: Task, req: Request) => {
    const owner = await world.store.getAccount(task.owner);
    return {
      record: toTaskRecord(task, deps.baseUrl(req), world.id),
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

  const clockView = (simulator: Simulator) => {
    const now = simulator.clock.now();
    return { kind: simulator.clock.kind, now, iso: new Date(now).toISOString() };
  };

  const forceEnd = (outcome: 'success' | 'failed'): RequestHandler => {
    return async (req, res) => {
      const world = worldOf(res.locals);
      const simulator = world.simulator;
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
      res.json(success(await taskView(world, task!, req)));
    };
  };

  /** The account's view, or the reason it cannot be shown: not in this world (404) or another's (403). */
  const accountOf = async (world: World, apiKey: string) => {
    const found = await world.simulator.account(apiKey);
    if (found) return found;
    const holder = await deps.tenancy.worldOfKey(ownerOf(apiKey));
    throw holder !== undefined && holder !== world.id ? controlErrors.otherTenant() : notFound('Account');
  };
  const accountView = (found: Awaited<ReturnType<typeof accountOf>>) =>
    success({
      apiKey: found.account.label,
      balance: found.account.balance,
      ledger: found.ledger.map(ledgerEntry),
    });

  return {
    ...tenantHandlers(deps.tenancy),

    getHealth: async (req, res) => {
      const world = await deps.tenancy.defaultWorld();
      res.json(
        success({
          status: 'ok',
          version: deps.version,
          // The seed makes task ids predictable: only for callers the control API would let in.
          ...(deps.controlAuthorized(req) ? { seed: world.view.spec.seed } : {}),
          tasks: await world.store.countTasks(),
          clock: clockView(world.simulator),
        }),
      );
    },

    // The operator's reset, with no tenant named, is the global one: every tenant dropped, the default
    // world back to its start. Any other reset puts back its own world and touches no other.
    resetSimulator: async (_req, res) => {
      const scope = scopeOf(res.locals);
      const world = worldOf(res.locals);
      if (scope.kind === 'operator' && !scope.named) await deps.tenancy.resetAll();
      else await deps.tenancy.resetWorld(world.id);
      res.json(success({ reset: true as const, accounts: (await world.store.listAccounts()).length }));
    },

    getAccount: async (req, res) => {
      res.json(accountView(await accountOf(worldOf(res.locals), req.params.apiKey as string)));
    },

    putAccount: async (req, res) => {
      const world = worldOf(res.locals);
      const apiKey = req.params.apiKey as string;
      // The key becomes this world's first, so no other world can take it meanwhile.
      if (!(await deps.tenancy.claimKey(ownerOf(apiKey), world.id))) throw controlErrors.otherTenant();
      await world.simulator.setBalance(apiKey, (req.body as { balance: number }).balance);
      res.json(accountView(await accountOf(world, apiKey)));
    },

    listAccounts: async (req, res) => {
      const world = worldOf(res.locals);
      const limit = Math.min(limitOf(req.query.limit, 100), 1_000);
      const offset = Number(req.query.offset ?? 0);
      const entries = Math.min(limitOf(req.query.ledger, 10), 100);
      // Settled first, as getAccount does, so balances include refunds of tasks that failed unpolled.
      await world.simulator.settleDue();
      const all = (await world.store.listAccounts()).sort(
        (a, b) => a.label.localeCompare(b.label) || a.owner.localeCompare(b.owner),
      );
      const page = all.slice(offset, offset + limit);
      const accounts = await Promise.all(
        page.map(async (account) => ({
          apiKey: account.label,
          balance: account.balance,
          ledger: entries === 0 ? [] : (await world.store.ledger(account.owner, entries)).map(ledgerEntry),
        })),
      );
      res.json(success({ total: all.length, accounts }));
    },

    listTasks: async (req, res) => {
      const world = worldOf(res.locals);
      const simulator = world.simulator;
      const { apiKey, status } = req.query as { apiKey?: string; status?: Task['status'] };
      const offset = Number(req.query.offset ?? 0);
      // One read examines at most 10,000 tasks: a page past them is empty, never a stall.
      const limit = Math.max(0, Math.min(limitOf(req.query.limit, 100), 10_000 - offset));
      const tasks = (
        await simulator.listTasks({
          ...(apiKey ? { owner: ownerOf(apiKey) } : {}),
          ...(status ? { status } : {}),
          limit: offset + limit,
        })
      ).slice(offset);
      res.json(success({ tasks: await Promise.all(tasks.map((t) => taskView(world, t, req))) }));
    },

    getTask: async (req, res) => {
      const world = worldOf(res.locals);
      const task = await world.simulator.inspectTask(req.params.taskId as string);
      if (!task) throw notFound('Task');
      res.json(success(await taskView(world, task, req)));
    },

    succeedTask: forceEnd('success'),
    failTask: forceEnd('failed'),

    getClock: (_req, res) => {
      res.json(success(clockView(simulatorOf(res))));
    },

    advanceClock: async (req, res) => {
      const world = worldOf(res.locals);
      const advanced = await world.store.advanceClock((req.body as { ms: number }).ms);
      if (!advanced.ok) throw errors.invalidRequest([{ field: 'body.ms', message: advanced.problem }]);
      // The world as it is after the move (a shared store's clock is read again, not moved here).
      const after = await deps.tenancy.refresh(world);
      await after.simulator.settleDue(); // refunds of tasks that failed during the jump land now
      res.json(success(clockView(after.simulator)));
    },

    listFaultRules: async (_req, res) => {
      res.json(success({ rules: (await worldOf(res.locals).store.listRules()).map(ruleView) }));
    },

    createFaultRule: async (req, res) => {
      const input = req.body as FaultRuleInput;
      if (!doesSomething(input.action)) {
        throw errors.invalidRequest([
          {
            field: 'body.action',
            message:
              'does nothing: give a status, a fault, a delayMs above 0 or a task (retryAfterSeconds only goes with status 429)',
          },
        ]);
      }
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
      const rule = await worldOf(res.locals).store.addRule(input);
      res.status(201).json(success(ruleView(rule), 201));
    },

    clearFaultRules: async (_req, res) => {
      res.json(success({ removed: await worldOf(res.locals).store.clearRules() }));
    },

    deleteFaultRule: async (req, res) => {
      if (!(await worldOf(res.locals).store.removeRule(req.params.ruleId as string)))
        throw notFound('Fault rule');
      res.json(success({ removed: 1 }));
    },

    getJournal: async (req, res) => {
      const { entries, next } = await worldOf(res.locals).store.queryJournal(
        journalFilterOf(req.query as Record<string, string | undefined>),
      );
      res.json(
        success({
          capacity: qa.options.journalSize,
          ...(next === undefined ? {} : { next }),
          entries: entries.map(journalEntryView),
        }),
      );
    },

    waitForJournal: async (req, res) => {
      const query = req.query as Record<string, string | undefined>;
      const { entries, timedOut } = await waitForJournal(
        worldOf(res.locals).store,
        journalFilterOf(query),
        Math.min(Number(query.timeoutMs ?? 5_000), 60_000),
        res,
      );
      res.json(success({ timed_out: timedOut, entries: entries.map(journalEntryView) }));
    },

    streamJournal: (req, res) => streamJournal(worldOf(res.locals).store, req, res, deps.journalStream),
  };
}
