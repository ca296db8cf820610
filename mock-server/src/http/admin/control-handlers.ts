/** The control plane QA uses: wire <-> simulator and QA state, nothing else. */
import type { Request, RequestHandler, Response } from 'express';
import type { operations } from '../../../../generated/control-api.js';
import { ownerOf } from '../../domain/keys.js';
import { checkInvariants } from '../../domain/invariants.js';
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
import { shortReason } from '../../short-reason.js';
import { streamJournal, type JournalStreamOptions } from './journal-stream.js';
import { tenantHandlers } from './tenant-handlers.js';
import { driftHandlers, type DriftHandlerDeps } from './drift-handlers.js';
import { ruleProblems, type RuleCheckOptions } from '../../qa/rule-checks.js';

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

type HealthData = operations['getHealth']['responses'][200]['content']['application/json']['data'];
export type HealthComponents = HealthData['components'];
export type ComponentHealth = HealthComponents[keyof HealthComponents];

export interface ControlDeps {
  tenancy: Tenancy;
  qa: QaState;
  /**
   * Each part the simulator depends on, asked on every health check. A new one (a networked
   * store, say) is one entry in control-api.yaml's HealthComponents and one here.
   */
  healthComponents: { [K in keyof HealthComponents]: () => ComponentHealth | Promise<ComponentHealth> };
  version: string;
  /** Whether this request may see what only the control token shows (the seed). */
  controlAuthorized: (req: Request) => boolean;
  baseUrl: (req: Request) => string;
  /** undefined when the rule's status is allowed on every route it matches, else the allowed statuses. */
  ruleStatuses: (match: FaultRuleInput['match'], status: number) => number[] | undefined;
  /** Proxy and replay modes: the drift summaries, the gateway (none when the simulator answers itself). */
  drift: Pick<DriftHandlerDeps, 'summaries' | 'gateway'>;
  /** After a reset (`undefined`: the global one): what lives outside the store starts again. */
  onReset?: (worldId: string | undefined) => void;
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

export function limitOf(value: unknown, fallback: number): number {
  return typeof value === 'string' ? Math.min(Number(value), 10_000) : fallback;
}

export function controlHandlers(deps: ControlDeps): Record<ControlOperationId, RequestHandler> {
  const { qa } = deps;
  const rules: RuleCheckOptions = { ruleStatuses: deps.ruleStatuses, mode: deps.drift.gateway?.mode };
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
    ...driftHandlers({ ...deps.drift, rules, ruleView }),

    // Health tells the truth about each part: the store unreachable is 503 (nothing can be served);
    // another part failed is still 200, `degraded`: the public API works (for images, everything but
    // the image files), so a health check that restarts on failure would only make it worse.
    getHealth: async (req, res) => {
      const components = await checkComponents(deps.healthComponents);
      let world: World | undefined;
      // A degraded store (a full Redis) still reads: the world is shown, and the status says degraded.
      if (components.store.status !== 'failed') {
        try {
          world = await deps.tenancy.defaultWorld();
        } catch (err) {
          components.store = { status: 'failed', error: shortReason(err) };
        }
      }
      const degraded = Object.values(components).some(
        (c) => c.status === 'failed' || c.status === 'degraded',
      );
      if (!world) {
        res
          .status(503)
          .set('Retry-After', '1')
          .json({
            code: 503,
            message: 'unavailable',
            data: { status: 'unavailable', version: deps.version, components },
          });
        return;
      }
      res.json(
        success({
          status: degraded ? ('degraded' as const) : ('ok' as const),
          version: deps.version,
          // The seed makes task ids predictable: only for callers the control API would let in.
          ...(deps.controlAuthorized(req) ? { seed: world.view.spec.seed } : {}),
          tasks: await world.store.countTasks(),
          clock: clockView(world.simulator),
          components,
        }),
      );
    },

    // The operator's reset, with no tenant named, is the global one: every tenant dropped, the default
    // world back to its start. Any other reset puts back its own world and touches no other.
    resetSimulator: async (_req, res) => {
      const scope = scopeOf(res.locals);
      const world = worldOf(res.locals);
      const global = scope.kind === 'operator' && !scope.named;
      if (global) await deps.tenancy.resetAll();
      else await deps.tenancy.resetWorld(world.id);
      deps.onReset?.(global ? undefined : world.id);
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
      // The first problem, as before: a rule that does nothing is told so before anything else.
      const [problem] = ruleProblems(input, rules);
      if (problem) throw errors.invalidRequest([problem]);
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

    getInvariants: async (_req, res) => {
      const { store } = worldOf(res.locals);
      const accounts = await Promise.all(
        (await store.listAccounts()).map(async (account) => ({
          account,
          ledger: await store.ledger(account.owner),
        })),
      );
      const report = checkInvariants({
        accounts,
        tasks: await store.listTasks({}),
        tasksDropped: (await store.stats()).tasksDropped,
      });
      res.json(
        success({
          ok: report.ok,
          checked: report.checked,
          problems: report.problems.map(({ taskId, ...p }) => ({
            ...p,
            ...(taskId ? { task_id: taskId } : {}),
          })),
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
