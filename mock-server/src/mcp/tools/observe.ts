/** What the client under test did, as the simulator saw it: the journal, and the verdict on it. */
import createClient from 'openapi-fetch';
import * as z from 'zod';
import type { paths } from '../../../../generated/control-api.js';
import { ControlApiError, dataOf } from '../../embed/control-client.js';
import type { JournalEntry } from '../../embed/handle.js';
import type { VerdictReport } from '../../verdict/report.js';
import { answer, guarded } from '../results.js';
import { endpoint } from '../spec-schemas.js';
import type { World } from '../worlds.js';
import { CLOSED_WORLD, tenantArg, typed, type ToolContext } from './common.js';

type JournalQuery = NonNullable<paths['/__mock/journal']['get']['parameters']['query']>;

/** Lines of a journal page shown in the summary; the structured result holds them all. */
const SUMMARY_LINES = 20;

function describeEntry(entry: JournalEntry): string {
  const task = entry.task_id ? ` ${entry.task_id}` : '';
  const injected = entry.injected ? ` [injected: ${entry.injected}]` : '';
  return `#${entry.id} ${entry.at} ${entry.method} ${entry.path} -> ${entry.status}${task}${injected}`;
}

/**
 * The verdict report, `GET /__mock/report`. The endpoint is not in control-api.yaml yet, so its path
 * is typed here and the tool has no output schema; once the handle has `report()`, this is that call
 * (and the tool's output schema the spec's VerdictReport, as the other tools' are).
 */
type ReportPaths = {
  '/__mock/report': {
    get: {
      responses: {
        200: { content: { 'application/json': { data: VerdictReport } } };
        default: { content: { 'application/json': unknown } };
      };
    };
  };
};

async function reportOf(world: World): Promise<VerdictReport> {
  const client = createClient<ReportPaths>({
    baseUrl: world.handle.url,
    headers: world.token ? { 'X-Mock-Token': world.token } : {},
  });
  try {
    return await dataOf(client.GET('/__mock/report'));
  } catch (error) {
    if (error instanceof ControlApiError && error.status === 404) {
      throw new Error(
        'The verdict report is not available on this simulator (GET /__mock/report answered 404): ' +
          'it needs a version that serves the report. read_journal shows what the client did.',
        { cause: error },
      );
    }
    throw error;
  }
}

function describeReport(report: VerdictReport): string {
  const { summary } = report;
  const head =
    `Verdict on ${report.world}: ${summary.errors} error(s), ${summary.warnings} warning(s) over ` +
    `${report.requests.observed} request(s); outcomes seen ${summary.outcomes_seen} of ` +
    `${summary.outcomes_catalogued}.`;
  const findings = report.findings.map(
    (f) => `${f.severity} ${f.rule} (${f.occurrences}x): ${f.message} (${f.help})`,
  );
  return [head, ...findings].join('\n');
}

export function registerObserveTools({ server, worlds, docs }: ToolContext): void {
  const journal = endpoint(docs.control, 'get', '/__mock/journal');
  const tenant = tenantArg(docs);

  server.registerTool(
    'read_journal',
    {
      title: 'Read the journal',
      description:
        'The requests the world received and what it answered, newest first (GET /__mock/journal): method, ' +
        'path, status, the task, what a fault rule or header injected, the bodies (truncated), keys redacted. ' +
        'Filters and paging are those of the endpoint, each a string as in its query (limit: "20"): pass ' +
        "a page's `next` as `before` to read older entries.",
      inputSchema: typed<JournalQuery & { tenant?: string }>(z.strictObject({ ...journal.query(), tenant })),
      outputSchema: journal.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ tenant, ...query }) =>
      guarded(async () => {
        const page = await dataOf(worlds.get(tenant).control.GET('/__mock/journal', { params: { query } }));
        const lines = page.entries.slice(0, SUMMARY_LINES).map(describeEntry);
        const more =
          page.entries.length > SUMMARY_LINES ? [`… ${page.entries.length - SUMMARY_LINES} more`] : [];
        const next = page.next === undefined ? '' : ` Older entries: before: "${page.next}".`;
        return answer([`${page.entries.length} entr(ies).${next}`, ...lines, ...more].join('\n'), page);
      }),
  );

  server.registerTool(
    'read_report',
    {
      title: 'Read the verdict on the client',
      description:
        "The verdict on the client under test since the world's last reset (GET /__mock/report): the rules " +
        'its requests broke (retrying at once, ignoring Retry-After, polling too fast, paying twice for one ' +
        'job, …) with examples, the outcomes of the API it met and missed, and the credits it spent. What ' +
        'the simulator injected is never held against the client; only what the client did next.',
      inputSchema: z.strictObject({ tenant }),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ tenant }) =>
      guarded(async () => {
        const report = await reportOf(worlds.get(tenant));
        return answer(describeReport(report), report);
      }),
  );
}
