/** What the client under test did, as the simulator saw it: the journal, and the verdict on it. */
import * as z from 'zod';
import type { paths } from '../../../../generated/control-api.js';
import { ControlApiError, dataOf } from '../../embed/control-client.js';
import type { JournalEntry, VerdictReport } from '../../embed/handle.js';
import { renderFinding } from '../../verdict/render-text.js';
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

/** The report, or an error saying why this simulator has none (the verdict off, proxy or replay). */
async function reportOf(world: World): Promise<VerdictReport> {
  try {
    return await world.handle.report();
  } catch (error) {
    if (error instanceof ControlApiError && error.status === 404) {
      throw new Error(
        `No verdict on this simulator (GET /__mock/report answered ${error.message}). ` +
          'read_journal still shows what the client did.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Missing outcomes listed in the summary; the structured result holds them all. */
const SUMMARY_MISSING = 40;

/**
 * What an agent acts on, in that order: the rules broken (each with its examples and how to avoid
 * it), the outcomes the client never met (each one a fault rule away), the credits it spent, and
 * what the judge could not see.
 */
function describeReport(report: VerdictReport): string {
  const { summary, requests, coverage, spend } = report;
  const lines = [
    `Verdict on ${report.world}${report.since ? ` since ${report.since}` : ''}: ${summary.errors} error(s), ` +
      `${summary.warnings} warning(s) over ${requests.observed} request(s).`,
  ];

  if (report.findings.length === 0)
    lines.push('', `No findings: the ${summary.rules_checked} rules checked passed.`);
  else {
    lines.push('', 'Findings (what the client did wrong, errors first):');
    for (const finding of report.findings) lines.push(...renderFinding(finding));
    const cited = report.findings
      .flatMap((f) => f.examples.map((e) => e.journal_id))
      .find((id): id is number => id !== null);
    if (cited !== undefined)
      lines.push(
        `An example's request in full: read_journal with { "before": "${cited + 1}", "limit": "1" } ` +
          `shows #${cited}.`,
      );
  }

  const met = summary.outcomes_seen - summary.outcomes_unexpected;
  lines.push('', `Outcomes met: ${met} of ${summary.outcomes_catalogued}.`);
  if (coverage.missing.length > 0) {
    const shown = coverage.missing.slice(0, SUMMARY_MISSING).join(', ');
    const more =
      coverage.missing.length > SUMMARY_MISSING
        ? `, … ${coverage.missing.length - SUMMARY_MISSING} more`
        : '';
    lines.push(
      `Never met (${coverage.missing.length}): ${shown}${more}. Each is a bad day the client was not ` +
        'tested against: add_fault_rule makes one happen (an error status, a network fault, a task planned ' +
        'to fail), then run the client again.',
    );
  }

  lines.push('', `Spend: ${spend.debited} credit(s) debited, ${spend.refunded} refunded, ${spend.net} net.`);
  for (const k of spend.by_key)
    lines.push(`  ${k.key}: ${k.debited} debited, ${k.refunded} refunded, ${k.net} net`);

  if (!report.blind_spots.complete)
    lines.push('', 'Blind spots:', ...report.blind_spots.notes.map((n) => `  ${n}`));
  return lines.join('\n');
}

export function registerObserveTools({ server, worlds, docs }: ToolContext): void {
  const journal = endpoint(docs.control, 'get', '/__mock/journal');
  const report = endpoint(docs.control, 'get', '/__mock/report');
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
        'the simulator injected is never held against the client; only what the client did next. The ' +
        'summary lists the findings first (each example with its journal id), then the outcomes never met, ' +
        'then the spend.',
      inputSchema: z.strictObject({ tenant }),
      outputSchema: report.data(),
      annotations: { ...CLOSED_WORLD, readOnlyHint: true },
    },
    ({ tenant }) =>
      guarded(async () => {
        const verdict = await reportOf(worlds.get(tenant));
        return answer(describeReport(verdict), verdict);
      }),
  );
}
