/**
 * `dreamcore-simulator mcp`'s tools, through the MCP SDK's own client over memory, on a simulator
 * started in this process: the tools and their schemas (held to the specs), a task from creation to
 * SUCCESS on the virtual clock, a fault rule, the journal, accounts, errors as tool errors, and the
 * scope of a tenant's credential.
 */
import type { OpenAPIV3 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../contracts/client/types.js';
import type {
  Account,
  ClockView,
  FaultRule,
  JournalEntry,
  VerdictReport,
} from '../../mock-server/src/embed/handle.js';
import { API_SPEC_PATH, CONTROL_SPEC_PATH, loadSpec } from '../../mock-server/src/http/load-spec.js';
import { startSimulator } from '../../mock-server/src/embed/start.js';
import { attachmentOf, type CreatedTenant } from '../../mock-server/src/mcp/worlds.js';
import { tableUnder } from '../docs/markdown.js';
import { openSession, textOf, type Session } from './support.js';

const TOOLS = [
  'create_tenant',
  'generate',
  'get_task_status',
  'add_fault_rule',
  'list_fault_rules',
  'remove_fault_rule',
  'clear_fault_rules',
  'advance_clock',
  'read_journal',
  'get_account',
  'set_balance',
  'reset',
  'read_report',
];

const FOX = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' } as const;

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  required?: string[];
  additionalProperties?: unknown;
};

/** The values a listed JSON Schema allows: its `enum`, or zod's `anyOf` of constants for numbers. */
function allowed(schema: JsonSchema | undefined): unknown[] | undefined {
  return schema?.enum ?? schema?.anyOf?.map((s) => s.const);
}

type Schema = OpenAPIV3.SchemaObject;
const props = (schema: unknown): Record<string, Schema> =>
  (schema as Schema).properties as Record<string, Schema>;

let session: Session;
beforeAll(async () => {
  session = await openSession();
});
afterAll(async () => {
  await session?.[Symbol.asyncDispose]();
});

describe('the tools', () => {
  it('are listed, each with a description, an input schema and an output schema', async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(60);
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
    }
  });

  it('are the ones the guide lists (docs/guides/agents-and-mcp.md)', async () => {
    const { tools } = await session.client.listTools();
    const table = tableUnder('docs/guides/agents-and-mcp.md', 'The tools');
    expect(table.codeRows.map((row) => row[0]![0])).toEqual(TOOLS);
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
  });

  it("take the specs' shapes: the fault rule, the generate body, the journal's filters, the tenant", async () => {
    const control = await loadSpec(CONTROL_SPEC_PATH);
    const api = await loadSpec(API_SPEC_PATH);
    const schemas = control.components!.schemas!;
    const { tools } = await session.client.listTools();
    const input = (name: string) => tools.find((t) => t.name === name)!.inputSchema as JsonSchema;

    const rule = input('add_fault_rule');
    expect(Object.keys(rule.properties!).sort()).toEqual(
      [...Object.keys(props(schemas.FaultRuleInput)), 'tenant'].sort(),
    );
    expect(rule.required).toEqual(['action']);
    expect(rule.additionalProperties).toBe(false);
    const action = rule.properties!.action!.properties!;
    const specAction = props(schemas.FaultAction);
    expect(allowed(action.status)).toEqual(specAction.status!.enum);
    expect(allowed(action.fault)).toEqual((schemas.NetworkFault as Schema).enum);
    expect(allowed(action.task!.properties!.outcome)).toEqual(props(schemas.TaskScenario).outcome!.enum);
    const match = rule.properties!.match!.properties!;
    expect(allowed(match.path)).toEqual(props(schemas.FaultMatch).path!.enum);
    expect(allowed(match.method)).toEqual(props(schemas.FaultMatch).method!.enum);

    const generate = input('generate');
    const body = api.components!.schemas!.GenerateRequest as Schema;
    expect(Object.keys(generate.properties!).sort()).toEqual(
      [...Object.keys(props(body)), 'key', 'tenant'].sort(),
    );
    expect(allowed(generate.properties!.aspectRatio)).toEqual(props(body).aspectRatio!.enum);
    expect(allowed(generate.properties!.quality)).toEqual(props(body).quality!.enum);
    expect(generate.required).toEqual(body.required);

    const journalQuery = (control.paths['/__mock/journal']!.get!.parameters as OpenAPIV3.ParameterObject[])
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
    expect(Object.keys(input('read_journal').properties!).sort()).toEqual([...journalQuery, 'tenant'].sort());

    expect(Object.keys(input('create_tenant').properties!).sort()).toEqual(
      Object.keys(props(schemas.TenantInput)).sort(),
    );
    expect(allowed(input('create_tenant').properties!.clock)).toEqual(props(schemas.TenantInput).clock!.enum);

    // The report's structured result is the spec's VerdictReport, to its findings' fields.
    const report = tools.find((t) => t.name === 'read_report')!.outputSchema as JsonSchema;
    const verdict = schemas.VerdictReport as Schema;
    expect(Object.keys(report.properties!).sort()).toEqual(Object.keys(props(verdict)).sort());
    expect(report.required?.sort()).toEqual([...verdict.required!].sort());
    expect(report.additionalProperties).toBe(false);
    const finding = report.properties!.findings as JsonSchema & { items: JsonSchema };
    expect(Object.keys(finding.items.properties!).sort()).toEqual(
      Object.keys(props(schemas.VerdictFinding)).sort(),
    );
    // The specs' own annotations stay out of what an agent reads.
    expect(JSON.stringify(tools)).not.toMatch(/"x-|"example"/);
  });
});

describe('a task, in a tenant of its own', () => {
  it('is created, polled, moved on by the clock, and polled to SUCCESS', async () => {
    const created = await session.ok<CreatedTenant & { url: string }>('create_tenant', {
      name: 'mcp-test',
      seed: 'mcp',
      clock: 'virtual',
      keys: [{ balance: 100 }],
    });
    expect(created.tenant).toMatchObject({ clock: 'virtual', seed: 'mcp' });
    expect(created.url).toBe(session.worlds.url);
    const tenant = created.tenant.id;

    const { task_id } = await session.ok<{ task_id: string }>('generate', { ...FOX, tenant });
    expect(task_id).toMatch(/^sd45_/);
    const polled = await session.ok<TaskRecord>('get_task_status', { task_id, tenant });
    expect(polled).toMatchObject({ task_id, status: 'IN_PROGRESS' });

    const clock = await session.ok<ClockView>('advance_clock', { ms: 600_000, tenant });
    expect(clock.kind).toBe('virtual');
    const done = await session.ok<TaskRecord>('get_task_status', { task_id, tenant });
    expect(done.status).toBe('SUCCESS');
    expect(done.response.length).toBe(1);

    const account = await session.ok<Account>('get_account', { tenant });
    expect(account.balance).toBe(100 - done.consumed_credits);
    // The tenant's world, not the default one: the task is unknown there.
    const elsewhere = await session.call('get_task_status', { task_id });
    expect(elsewhere.isError).toBe(true);
    expect(textOf(elsewhere)).toMatch(/^The API answered 404 not_found: /);
  });
});

describe('a fault rule', () => {
  it('fails the next generate with the status it names, once, and is seen in the journal', async () => {
    await session.ok('reset');
    const rule = await session.ok<FaultRule>('add_fault_rule', {
      match: { path: '/api/generate' },
      action: { status: 500, message: 'upstream exploded' },
      times: 1,
    });
    expect(rule.id).toMatch(/^rule_/);

    const failed = await session.call('generate', FOX);
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toBe('The API answered 500 internal_error: upstream exploded');
    const next = await session.ok<{ task_id: string }>('generate', FOX);
    expect(next.task_id).toMatch(/^sd45_/);
    expect((await session.ok<{ rules: FaultRule[] }>('list_fault_rules')).rules).toEqual([]);

    const injected = await session.ok<{ entries: JournalEntry[] }>('read_journal', {
      path: '/api/generate',
      status: '5xx',
    });
    expect(injected.entries).toHaveLength(1);
    expect(injected.entries[0]).toMatchObject({ status: 500, injected: rule.id });

    const page = await session.ok<{ entries: JournalEntry[]; next?: number }>('read_journal', { limit: '1' });
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]!.task_id).toBe(next.task_id);
    expect(page.next).toBeDefined();
    const older = await session.ok<{ entries: JournalEntry[] }>('read_journal', {
      limit: '1',
      before: String(page.next),
    });
    expect(older.entries[0]).toMatchObject({ status: 500 });
  });

  it('is removed by its id, and all of them by clear', async () => {
    const a = await session.ok<FaultRule>('add_fault_rule', { action: { status: 503 } });
    await session.ok<FaultRule>('add_fault_rule', { action: { fault: 'reset' }, probability: 0.5 });
    expect(await session.ok('remove_fault_rule', { ruleId: a.id })).toEqual({ removed: 1 });
    expect(await session.ok('clear_fault_rules')).toEqual({ removed: 1 });
    const gone = await session.call('remove_fault_rule', { ruleId: a.id });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toMatch(/^The control API answered 404 not_found: /);
  });
});

describe('errors are tool errors', () => {
  it('refuses bad input before anything is sent, naming the field', async () => {
    await session.ok('reset');
    for (const [args, field] of [
      [{ ...FOX, aspectRatio: '2:1' }, 'aspectRatio'],
      [{ ...FOX, aspect_ratio: '1:1' }, 'aspect_ratio'],
      [{ prompt: 'no ratio' }, 'aspectRatio'],
    ] as const) {
      const result = await session.call('generate', args);
      expect(result.isError, field).toBe(true);
      expect(textOf(result), field).toContain('Input validation error');
      expect(textOf(result), field).toContain(field);
    }
    const badRule = await session.call('add_fault_rule', { action: { status: 418 } });
    expect(badRule.isError).toBe(true);
    expect(textOf(badRule)).toContain('action.status');
    expect((await session.ok<{ entries: JournalEntry[] }>('read_journal')).entries).toEqual([]);
    expect((await session.ok<{ rules: FaultRule[] }>('list_fault_rules')).rules).toEqual([]);
  });

  it("carries the API's answer: a 402 after the balance is set to nothing, a rule the API refuses", async () => {
    const emptied = await session.ok<Account>('set_balance', { balance: 0 });
    expect(emptied.balance).toBe(0);
    const refused = await session.call('generate', FOX);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^The API answered 402 insufficient_credits: /);
    // A status the spec lists, on a route that cannot answer it: the control API's own 400.
    const wrongRoute = await session.call('add_fault_rule', {
      match: { path: '/api/generate' },
      action: { status: 404 },
    });
    expect(wrongRoute.isError).toBe(true);
    expect(textOf(wrongRoute)).toMatch(/^The control API answered 400 invalid_request: /);
    await session.ok('reset');
    expect((await session.ok<Account>('get_account')).balance).toBeGreaterThan(0);
  });

  it('names the worlds when a tool names a tenant this server did not make', async () => {
    const result = await session.call('list_fault_rules', { tenant: 't-000000000000' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^No tenant "t-000000000000" made by this server \(worlds: default, /);
  });
});

describe('read_report', () => {
  it("shows an agent's naive retry: a generate, an injected 429, the same generate at once", async () => {
    await session.ok('reset');
    const first = await session.ok<{ task_id: string }>('generate', FOX);
    await session.ok<FaultRule>('add_fault_rule', {
      match: { path: '/api/generate' },
      action: { status: 429, retryAfterSeconds: 5 },
      times: 1,
    });
    const limited = await session.call('generate', FOX);
    expect(limited.isError).toBe(true);
    expect(textOf(limited)).toMatch(/^The API answered 429 /);
    const retry = await session.ok<{ task_id: string }>('generate', FOX);

    const result = await session.call('read_report');
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as unknown as VerdictReport;
    expect(report).toEqual(await session.worlds.home.handle.report());
    const ignored = report.findings.find((f) => f.rule === 'retry-after-ignored')!;
    expect(ignored).toMatchObject({ severity: 'error', occurrences: 1 });
    // The same generate again, accepted: charged twice.
    expect(report.findings.map((f) => f.rule)).toEqual(['duplicate-generate', 'retry-after-ignored']);
    const [retried] = await session
      .ok<{ entries: JournalEntry[] }>('read_journal', { limit: '1' })
      .then((page) => page.entries);
    expect(retried!.task_id).toBe(retry.task_id);
    expect(ignored.examples.map((e) => e.journal_id)).toEqual([retried!.id]);
    expect(report.coverage.seen).toContainEqual({ outcome: 'generate:429', count: 1, unexpected: false });
    expect(report.coverage.missing).toContain('generate:402');

    // The summary: the findings first, then the outcomes never met, then the spend.
    const summary = result.content[0]!.type === 'text' ? result.content[0]!.text : '';
    expect(summary.split('\n')[0]).toBe(
      `Verdict on default since ${report.since}: 2 error(s), 0 warning(s) over 3 request(s).`,
    );
    /** Where `text` is, after the place before it in the list below. */
    let after = 0;
    const at = (text: string) => {
      const index = summary.indexOf(text, after);
      after = index;
      expect(index, text).toBeGreaterThan(0);
      return index;
    };
    const order = [
      at('ERROR duplicate-generate (1 occurrence)'),
      at('ERROR retry-after-ignored (1 occurrence)'),
      at(`    #${retried!.id} POST /api/generate 200 at `),
      at('See docs/reference/verdict-rules.md#retry-after-ignored'),
      at(`read_journal with { "before": "${retried!.id + 1}", "limit": "1" }`),
      at('Never met ('),
      at('Spend: 24 credit(s) debited, 0 refunded, 24 net.'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Each finding's example sits under its finding: the retry, in both.
    expect(summary.split(`    #${retried!.id} POST /api/generate 200 at `)).toHaveLength(3);
    expect(summary).toContain('generate:402');
    expect(summary).not.toContain('generate:429,');
    // The journal call the summary names opens the example's request.
    const cited = await session.ok<{ entries: JournalEntry[] }>('read_journal', {
      before: String(retried!.id + 1),
      limit: '1',
    });
    expect(cited.entries.map((e) => [e.id, e.task_id])).toEqual([[retried!.id, retry.task_id]]);
    expect(first.task_id).not.toBe(retry.task_id);
  });

  it('says there is none, and why, on a simulator with the verdict off', async () => {
    await using sim = await startSimulator({ clock: 'virtual', report: false });
    await using attached = await openSession({ kind: 'operator', url: sim.url });
    const result = await attached.call('read_report');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^No verdict on this simulator \(GET \/__mock\/report answered 404 not_found: No report: .*--report off.*\)\. read_journal still shows what the client did\.$/,
    );
  });
});

describe('attached with a tenant credential', () => {
  it('acts in that tenant only: its keys given, no other tenant made or reached', async () => {
    const operator = session.worlds;
    const { created } = await operator.createTenant({ seed: 'scoped', clock: 'virtual' });
    await using scoped = await openSession({ kind: 'tenant', url: operator.url, token: created.token });
    expect(scoped.worlds.home.id).toBe(created.tenant.id);

    const noKey = await scoped.call('generate', FOX);
    expect(noKey.isError).toBe(true);
    expect(textOf(noKey)).toContain('pass key');
    const key = created.keys[0]!.apiKey;
    const { task_id } = await scoped.ok<{ task_id: string }>('generate', { ...FOX, key });
    expect((await scoped.ok<TaskRecord>('get_task_status', { task_id })).status).toBe('IN_PROGRESS');
    const journal = await scoped.ok<{ entries: JournalEntry[] }>('read_journal', { path: '/api/generate' });
    expect(journal.entries.map((e) => e.task_id)).toEqual([task_id]);

    const create = await scoped.call('create_tenant', {});
    expect(create.isError).toBe(true);
    expect(textOf(create)).toMatch(/attached to the tenant t-[0-9a-f]{12} by its credential/);
    const other = await scoped.call('reset', { tenant: 'default' });
    expect(other.isError).toBe(true);
    // The default world saw none of it.
    const home = await session.ok<{ entries: JournalEntry[] }>('read_journal', { taskId: task_id });
    expect(home.entries).toEqual([]);
  });
});

describe('attached to a running simulator', () => {
  it("tells the operator's token from a tenant's credential, and refuses one that is neither", async () => {
    await using sim = await startSimulator({ controlToken: 'operator-token-for-mcp', clock: 'virtual' });
    await expect(attachmentOf(sim.url, 'operator-token-for-mcp')).resolves.toMatchObject({
      kind: 'operator',
    });
    await expect(attachmentOf(`${sim.url}/`, undefined)).rejects.toMatchObject({
      status: 401,
      type: 'unauthorized',
    });
    await expect(attachmentOf(sim.url, 'dct_not-a-credential')).rejects.toMatchObject({ status: 401 });

    // As the operator: the default world (its keys unknown: given), and tenants made with the token.
    await using operator = await openSession(await attachmentOf(sim.url, 'operator-token-for-mcp'));
    expect(operator.worlds.home.id).toBe('default');
    const { tenant, token } = await operator.ok<CreatedTenant>('create_tenant', { clock: 'virtual' });
    expect(await attachmentOf(sim.url, token)).toEqual({ kind: 'tenant', url: sim.url, token });
    const { task_id } = await operator.ok<{ task_id: string }>('generate', { ...FOX, tenant: tenant.id });
    expect((await operator.ok<TaskRecord>('get_task_status', { task_id, tenant: tenant.id })).status).toBe(
      'IN_PROGRESS',
    );
    await operator.ok('generate', { ...FOX, key: sim.key });
    expect((await sim.journal.list({ path: '/api/generate' })).map((e) => e.status)).toEqual([200]);

    // The tenants a session made are dropped when it ends.
    await operator[Symbol.asyncDispose]();
    const reachable = await fetch(`${sim.url}/__mock/tenants/${tenant.id}`, {
      headers: { 'X-Mock-Token': 'operator-token-for-mcp' },
    });
    expect(reachable.status).toBe(404);
  });
});
