/**
 * The QA console in a real browser (issue 14): each scenario ends on what the page shows. The
 * simulator runs in this process (startSimulator) on a virtual clock; the "curl" requests are made
 * from here over HTTP, as a client would.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import {
  renameField,
  startRewritingProxy,
  type RewritingProxy,
} from '../../contracts/provider/rewriting-proxy.js';
import type { Page } from 'playwright-core';
import { launchBrowser, watchedPage, type Browser, type WatchedPage } from './browser.js';

const DEV_KEY = 'sk-dreamcore-dev';
const BODY = { prompt: 'a red fox in the snow', aspectRatio: '1:1', quality: 'basic' } as const;
/** Waiting for the page: a generous bound for a loaded 2-core machine, never a speed claim. */
const PAGE_WAIT = { timeout: 15_000 };

async function generate(
  sim: SimulatorHandle,
  headers: Record<string, string> = {},
  key = DEV_KEY,
): Promise<{ status: number; taskId: string | undefined }> {
  const res = await fetch(`${sim.url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(BODY),
  });
  const body = (await res.json()) as { data?: { task_id?: string } };
  return { status: res.status, taskId: body.data?.task_id };
}

describe('the QA console', () => {
  let sim: SimulatorHandle;
  let browser: Browser;
  let w: WatchedPage;

  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'console',
      rateLimit: 'off',
      validateResponses: true,
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  const open = async (view = 'journal') => {
    w = await watchedPage(browser, sim.url);
    await w.page.goto(`${sim.url}/__mock/console#/${view}`);
    await w.page.locator('nav.views a.active').waitFor(PAGE_WAIT);
    if (view === 'journal')
      await w.page.locator('[data-testid="live"]', { hasText: 'live' }).waitFor(PAGE_WAIT);
    return w.page;
  };

  afterEach(async () => {
    // Every scenario: nothing but the simulator was asked for anything, and nothing went wrong.
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
    await sim.reset();
  });

  it('shows a generate made with curl in the live journal, from the stream, without reading the journal again', async () => {
    const page = await open('journal');
    const journalReads = () => w.requests.filter((u) => new URL(u).pathname === '/__mock/journal').length;
    const readsBefore = journalReads();
    const sent = performance.now();
    const { status, taskId } = await generate(sim);
    expect(status).toBe(200);
    const row = page.locator('[data-testid="journal"] tr', { hasText: taskId! });
    await row.waitFor(PAGE_WAIT);
    const shownAfterMs = performance.now() - sent;
    console.log(
      `console: a generate appeared in the live journal ${shownAfterMs.toFixed(0)} ms after it was answered`,
    );
    expect(await row.textContent()).toContain('POST /api/generate');
    expect(await row.locator('.status').textContent()).toBe('200');
    // It came by the stream: the page did not read the journal again to show it.
    expect(journalReads()).toBe(readsBefore);
    expect(w.requests.some((u) => new URL(u).pathname === '/__mock/journal/stream')).toBe(true);
    // Its detail: headers with the key redacted, the body, the answer, and a curl that sends it again.
    await row.click();
    const detail = page.locator('[data-testid="entry-detail"]');
    await detail.waitFor(PAGE_WAIT);
    const text = (await detail.textContent())!;
    expect(text).toContain('"authorization": "Bearer sk-d…-dev#d88b21"');
    expect(text).not.toContain(`Bearer ${DEV_KEY}"`);
    expect(text).toContain('a red fox in the snow');
    expect(text).toContain(taskId!);
    const curl = (await page.locator('[data-testid="curl"]').textContent())!;
    expect(curl).toContain(`'${sim.url}/api/generate'`);
    expect(curl).toContain(`'Authorization: Bearer ${DEV_KEY}'`);
    await w.screenshot('scenario-journal');
    // The command really sends the same request again: run its parts (no shell needed to check it).
    const again = await generate(sim);
    expect(again.status).toBe(200);
  });

  it('adds a rule from the form; the next generate fails, and the journal marks it injected by that rule', async () => {
    const page = await open('rules');
    const form = page.locator('[data-testid="rule-form"]');
    await form.locator('select[name="method"]').selectOption('POST');
    await form.locator('select[name="path"]').selectOption('/api/generate');
    await form.locator('select[name="status"]').selectOption('500');
    await form.locator('input[name="times"]').fill('1');
    await form.locator('button[type="submit"]').click();
    const rule = page.locator('[data-testid="rules"] tr[data-rule="rule_1"]');
    await rule.waitFor(PAGE_WAIT);
    expect(await rule.locator('[data-testid="times-left"]').textContent()).toBe('1');
    await w.screenshot('scenario-rules');

    const failed = await generate(sim);
    expect(failed.status).toBe(500);
    // The rule retired after its one time: the list shows it gone once the page reads again.
    await page
      .locator('[data-testid="rules"] tr[data-rule="rule_1"]')
      .waitFor({ state: 'detached', ...PAGE_WAIT });

    await page.locator('nav.views a', { hasText: 'Journal' }).click();
    const row = page.locator('[data-testid="journal"] tr.injected').first();
    await row.waitFor(PAGE_WAIT);
    expect(await row.locator('.badge.injected').textContent()).toBe('rule_1');
    expect(await row.locator('.status').textContent()).toBe('500');
    await row.click();
    expect(await page.locator('[data-testid="injected-by"]').textContent()).toBe('fault rule rule_1');
    // The injected filter shows it alone; "not injected" hides it.
    await page.locator('select[name="injected"]').selectOption('false');
    await page.locator('[data-testid="journal"] tr.injected').waitFor({ state: 'detached', ...PAGE_WAIT });
    await page.locator('select[name="injected"]').selectOption('true');
    await page.locator('[data-testid="journal"] tr.injected').first().waitFor(PAGE_WAIT);
    expect(await page.locator('[data-testid="journal"] tbody tr').count()).toBe(1);
  });

  it('fails a task by its button, and the ledger shows the refund', async () => {
    const { taskId } = await generate(sim, { 'X-Mock-Duration-Ms': '3600000' });
    const page = await open('tasks');
    const row = page.locator(`[data-testid="tasks"] tr[data-task="${taskId}"]`);
    await row.waitFor(PAGE_WAIT);
    expect(await row.textContent()).toContain('in 60 min'); // planned end, on the simulator's clock
    await w.screenshot('scenario-tasks');
    await row.locator('button', { hasText: 'Fail' }).click();
    await row.waitFor({ state: 'detached', ...PAGE_WAIT }); // no longer IN_PROGRESS

    await page.locator('nav.views a', { hasText: 'Accounts' }).click();
    const account = page.locator('[data-testid="accounts"] article[data-account="sk-d…-dev#d88b21"]');
    const refund = account.locator('tr[data-kind="refund"]', { hasText: taskId! });
    await refund.waitFor(PAGE_WAIT);
    expect(await refund.textContent()).toContain('+12');
    expect(await account.locator('[data-testid="balance"]').textContent()).toBe('1000 credits');
    await w.screenshot('scenario-accounts');
  });

  it('shows one world at a time: choosing a tenant hides the other tenants and the default world', async () => {
    const created = (
      (await await fetch(`${sim.url}/__mock/tenants`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'qa-team-b', clock: 'virtual' }),
      }).then((r) => r.json())) as { data: { tenant: { id: string }; keys: Array<{ apiKey: string }> } }
    ).data;
    const mine = await generate(sim);
    const theirs = await generate(sim, {}, created.keys[0]!.apiKey);
    const page = await open('journal');
    const journal = page.locator('[data-testid="journal"]');
    await journal.locator('tr', { hasText: mine.taskId! }).waitFor(PAGE_WAIT);
    expect(await journal.locator('tr', { hasText: theirs.taskId! }).count()).toBe(0);

    await page.locator('select[data-testid="world"]').selectOption(created.tenant.id);
    await journal.locator('tr', { hasText: theirs.taskId! }).waitFor(PAGE_WAIT);
    expect(await journal.locator('tr', { hasText: mine.taskId! }).count()).toBe(0);
    // The live stream follows the chosen world too.
    const next = await generate(sim, {}, created.keys[0]!.apiKey);
    const other = await generate(sim);
    await journal.locator('tr', { hasText: next.taskId! }).waitFor(PAGE_WAIT);
    expect(await journal.locator('tr', { hasText: other.taskId! }).count()).toBe(0);

    await page.locator('nav.views a', { hasText: 'Tenants' }).click();
    await page.locator(`[data-testid="tenants"] tr[data-tenant="${created.tenant.id}"]`).waitFor(PAGE_WAIT);
    await w.screenshot('scenario-tenants');
  });

  /** Right edges, in CSS pixels: the journal table, its last header cell, and its card. */
  const journalEdges = (page: Page) =>
    page.evaluate(`(() => {
      const table = document.querySelector('[data-testid="journal"]');
      const card = table.closest('section.panel');
      const last = table.querySelector('thead th:last-child');
      return {
        table: table.getBoundingClientRect().right,
        lastColumn: last.getBoundingClientRect().right,
        card: card.getBoundingClientRect().right,
        pageWidth: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
      };
    })()`) as Promise<{
      table: number;
      lastColumn: number;
      card: number;
      pageWidth: number;
      viewport: number;
    }>;

  it('keeps the journal table inside its card: at 1400 px with the detail pane open, and at 800 px', async () => {
    // The widest values a row shows: a task id, a key label, a rule id, a request held by a rule.
    const KEY = 'sk-qa-journal-width-0001';
    await sim.accounts.setBalance(KEY, 1000);
    const { taskId } = await generate(sim, {}, KEY);
    await sim.rules.add({ match: { path: '/api/status' }, action: { delayMs: 5 }, times: 1 });
    await fetch(`${sim.url}/api/status?task_id=${taskId}`, { headers: { Authorization: `Bearer ${KEY}` } });
    const page = await open('journal');
    await page.setViewportSize({ width: 1400, height: 900 });
    const row = page.locator('[data-testid="journal"] tr', { hasText: taskId! }).first();
    await row.waitFor(PAGE_WAIT);
    await row.click();
    await page.locator('[data-testid="entry-detail"]').waitFor(PAGE_WAIT);
    const wide = await journalEdges(page);
    expect(wide.table, JSON.stringify(wide)).toBeLessThanOrEqual(wide.card);
    expect(wide.lastColumn, JSON.stringify(wide)).toBeLessThanOrEqual(wide.card);
    await w.screenshot('journal-1400-detail');

    await page.setViewportSize({ width: 800, height: 900 });
    const narrow = await journalEdges(page);
    expect(narrow.table, JSON.stringify(narrow)).toBeLessThanOrEqual(narrow.card);
    expect(narrow.lastColumn, JSON.stringify(narrow)).toBeLessThanOrEqual(narrow.card);
    expect(narrow.pageWidth, JSON.stringify(narrow)).toBeLessThanOrEqual(narrow.viewport);
    await w.screenshot('journal-800');
  });

  /** The page's own confirmation: it names what will be lost; cancel or accept. */
  const confirmation = (page: Page) => page.locator('[data-testid="confirm"]');

  it('asks before resetting a world, naming what will be lost; cancel does nothing', async () => {
    const { taskId } = await generate(sim, { 'X-Mock-Duration-Ms': '3600000' });
    const page = await open('tenants');
    const reset = page.locator('[data-testid="tenants"] tr[data-tenant="default"] button', {
      hasText: 'Reset',
    });
    await reset.click();
    await confirmation(page).waitFor(PAGE_WAIT);
    const asked = (await confirmation(page).textContent())!;
    expect(asked).toContain('default');
    expect(asked).toMatch(/task/);
    expect(asked).toMatch(/fault rule/);
    expect(asked).toMatch(/journal/);
    await confirmation(page).locator('button', { hasText: 'Cancel' }).click();
    await confirmation(page).waitFor({ state: 'hidden', ...PAGE_WAIT });
    expect((await sim.tasks.get(taskId!)).record.task_id).toBe(taskId);

    await reset.click();
    await confirmation(page).locator('button', { hasText: 'Reset' }).click();
    await confirmation(page).waitFor({ state: 'hidden', ...PAGE_WAIT });
    await expect.poll(async () => (await sim.tasks.list()).length, PAGE_WAIT).toBe(0);
  });

  it('asks before removing every rule and before dropping a tenant', async () => {
    await sim.rules.add({ action: { status: 500 }, times: 3 });
    await sim.rules.add({ action: { delayMs: 10 } });
    const created = (
      (await fetch(`${sim.url}/__mock/tenants`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'qa-drop-me', clock: 'virtual' }),
      }).then((r) => r.json())) as { data: { tenant: { id: string } } }
    ).data.tenant.id;
    const page = await open('rules');
    await page.locator('[data-testid="rules"] tr[data-rule="rule_2"]').waitFor(PAGE_WAIT);
    await page.locator('button', { hasText: 'Remove all' }).click();
    await confirmation(page).waitFor(PAGE_WAIT);
    expect(await confirmation(page).textContent()).toMatch(/2 fault rules/);
    await confirmation(page).locator('button', { hasText: 'Cancel' }).click();
    expect(await sim.rules.list()).toHaveLength(2);
    await page.locator('button', { hasText: 'Remove all' }).click();
    await confirmation(page).locator('button', { hasText: 'Remove all' }).click();
    await page
      .locator('[data-testid="rules"] tr[data-rule]')
      .first()
      .waitFor({ state: 'detached', ...PAGE_WAIT });
    expect(await sim.rules.list()).toEqual([]);

    await page.locator('nav.views a', { hasText: 'Tenants' }).click();
    const tenant = page.locator(`[data-testid="tenants"] tr[data-tenant="${created}"]`);
    await tenant.locator('button', { hasText: 'Drop' }).click();
    await confirmation(page).waitFor(PAGE_WAIT);
    expect(await confirmation(page).textContent()).toContain(created);
    await confirmation(page).locator('button', { hasText: 'Cancel' }).click();
    expect(await tenant.count()).toBe(1);
    await tenant.locator('button', { hasText: 'Drop' }).click();
    await confirmation(page).locator('button', { hasText: 'Drop' }).click();
    await tenant.waitFor({ state: 'detached', ...PAGE_WAIT });
  });

  it("shows the rule it added (its id), and the API's field errors next to the form", async () => {
    const page = await open('rules');
    const form = page.locator('[data-testid="rule-form"]');
    await form.locator('input[name="kind"][value="status"]').check();
    await form.locator('select[name="status"]').selectOption('503');
    await form.locator('input[name="retryAfterSeconds"]').fill('30');
    await form.locator('input[name="message"]').fill('Overloaded, says the rule');
    await form.locator('button[type="submit"]').click();
    const feedback = page.locator('[data-testid="rule-feedback"]');
    await feedback.filter({ hasText: 'rule_1' }).waitFor(PAGE_WAIT);
    expect(await sim.rules.list()).toEqual([
      expect.objectContaining({
        id: 'rule_1',
        action: { status: 503, retryAfterSeconds: 30, message: 'Overloaded, says the rule' },
      }),
    ]);
    const res = await generate(sim);
    expect(res.status).toBe(503);

    // A key longer than the API takes: its 400 names the field, and the page shows it.
    await form.locator('input[name="apiKey"]').fill(`sk-${'x'.repeat(600)}`);
    await form.locator('button[type="submit"]').click();
    const problem = page.locator('[data-testid="rule-errors"]');
    await problem.waitFor(PAGE_WAIT);
    expect(await problem.textContent()).toContain('body.match.apiKey');
    expect(await feedback.count()).toBe(0);
    // The browser logs the refused call itself; that is the only error.
    expect(w.errors.every((e) => e.includes('400'))).toBe(true);
    w.errors.length = 0;
  });

  it('cannot build a dead rule: what the rule does comes first, and only its fields are shown', async () => {
    const page = await open('rules');
    const form = page.locator('[data-testid="rule-form"]');
    // Shaping a task: no status to choose, and the match is the one route that creates a task.
    await form.locator('input[name="kind"][value="task"]').check();
    expect(await form.locator('select[name="status"]').count()).toBe(0);
    expect(await form.locator('select[name="fault"]').count()).toBe(0);
    expect(await form.locator('select[name="method"]').inputValue()).toBe('POST');
    expect(await form.locator('select[name="path"]').inputValue()).toBe('/api/generate');
    // A task rule must say something about the task.
    expect(await form.locator('button[type="submit"]').isDisabled()).toBe(true);
    await form.locator('select[name="outcome"]').selectOption('failed');
    await form.locator('input[name="errorMessage"]').fill('The rule says no');
    await form.locator('select[name="ends"]').selectOption('poll');
    await form.locator('input[name="completeOnPoll"]').fill('2');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-testid="rule-feedback"]').filter({ hasText: 'rule_1' }).waitFor(PAGE_WAIT);
    expect((await sim.rules.list())[0]).toMatchObject({
      match: { method: 'POST', path: '/api/generate' },
      action: { task: { outcome: 'failed', errorMessage: 'The rule says no', completeOnPoll: 2 } },
    });
    const { status, taskId } = await generate(sim);
    expect(status).toBe(200);
    expect((await sim.tasks.get(taskId!)).plan).toMatchObject({ outcome: 'failed', complete_on_poll: 2 });

    // A status: the choices are those the matched routes all list; Retry-After only with 429 or 503.
    await form.locator('input[name="kind"][value="status"]').check();
    await form.locator('select[name="path"]').selectOption('/api/status');
    const statuses = await form.locator('select[name="status"] option').allTextContents();
    expect(statuses).toContain('404');
    expect(statuses).not.toContain('402');
    await form.locator('select[name="status"]').selectOption('500');
    expect(await form.locator('input[name="retryAfterSeconds"]').count()).toBe(0);
    await form.locator('select[name="status"]').selectOption('429');
    expect(await form.locator('input[name="retryAfterSeconds"]').count()).toBe(1);
    expect(await form.locator('input[name="completeOnPoll"]').count()).toBe(0);
    // A method and a path that reach no route cannot be chosen together.
    await form.locator('select[name="path"]').selectOption('/api/generate');
    expect(await form.locator('select[name="method"] option', { hasText: /^GET$/ }).isDisabled()).toBe(true);
    // Only holding the answer: a delay, and nothing else.
    await form.locator('input[name="kind"][value="delay"]').check();
    expect(await form.locator('select[name="status"]').count()).toBe(0);
    expect(await form.locator('input[name="delayMs"]').count()).toBe(1);
    await w.screenshot('scenario-rule-form');
  });

  /** A naive client: a generate, a 429 (a rule's, with Retry-After: 2), and the same generate at once. */
  async function retryAtOnce(): Promise<{ first: string; retry: string }> {
    const first = await generate(sim);
    await sim.rules.add({
      match: { method: 'POST', path: '/api/generate' },
      action: { status: 429, retryAfterSeconds: 2 },
      times: 1,
    });
    expect((await generate(sim)).status).toBe(429);
    const retry = await generate(sim);
    expect(retry.status).toBe(200);
    return { first: first.taskId!, retry: retry.taskId! };
  }

  it('reports a retry that ignored Retry-After; its example opens the journal entry it cites', async () => {
    await retryAtOnce();
    const page = await open('journal');
    // A journal filter that hides the retry: the example still opens it (read by its id).
    await page.locator('select[name="status"]').selectOption('5xx');
    await page.locator('[data-testid="journal"] tr[data-entry]').first().waitFor({ state: 'detached' });

    await page.locator('nav.views a', { hasText: 'Report' }).click();
    const finding = page.locator('[data-testid="findings"] article[data-rule="retry-after-ignored"]');
    await finding.waitFor(PAGE_WAIT);
    const report = await sim.report();
    const expected = report.findings.find((f) => f.rule === 'retry-after-ignored')!;
    expect(await finding.locator('.severity').textContent()).toContain('error');
    expect(await finding.locator('.message').textContent()).toBe(expected.message);
    expect(await finding.locator('[data-testid="occurrences"]').textContent()).toBe('1 occurrence');
    expect(await finding.textContent()).toContain(expected.help);
    expect(await finding.locator('[data-testid="rule-link"]').getAttribute('href')).toMatch(/^\/docs\b/);
    // Coverage: the 429 met once, and outcomes the client never met, marked as missing in words.
    const cell = (outcome: string) => page.locator(`[data-testid="coverage"] [data-outcome="${outcome}"]`);
    expect(await cell('generate:429').getAttribute('data-state')).toBe('seen');
    expect(await cell('generate:429').textContent()).toContain('×1');
    expect(await cell('generate:402').getAttribute('data-state')).toBe('missing');
    expect(await cell('generate:402').textContent()).toContain('missing');
    expect(await page.locator('[data-testid="coverage"] [data-state="missing"]').count()).toBe(
      report.coverage.missing.length,
    );
    // Spend: the ledger's debits and refunds, to the credit.
    const ledger = (await sim.accounts.get(DEV_KEY)).ledger;
    const debited = -ledger.filter((l) => l.kind === 'debit').reduce((a, l) => a + l.amount, 0);
    const refunded = ledger.filter((l) => l.kind === 'refund').reduce((a, l) => a + l.amount, 0);
    expect(debited).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="spend-debited"]').textContent()).toBe(`${debited} credits`);
    expect(await page.locator('[data-testid="spend-net"]').textContent()).toBe(
      `${debited - refunded} credits`,
    );
    const byKey = page.locator('[data-testid="spend-by-key"] tr[data-key="sk-d…-dev#d88b21"]');
    expect(await byKey.locator('td').allTextContents()).toEqual([
      'sk-d…-dev#d88b21',
      String(debited),
      String(refunded),
      String(debited - refunded),
    ]);
    expect(await page.locator('[data-testid="blind-spots"]').count()).toBe(0);
    // The whole view, for the QA guide: the page as tall as the report.
    const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
    await page.setViewportSize({ width: 1440, height: Math.min(height, 2400) });
    await w.screenshot('console-report');
    await page.setViewportSize({ width: 1440, height: 900 });

    // The example: the retry, opened in the journal's detail.
    const cited = expected.examples[0]!.journal_id!;
    await finding.locator(`a[data-journal-id="${cited}"]`).click();
    const detail = page.locator(`[data-testid="entry-detail"][data-entry="${cited}"]`);
    await detail.waitFor(PAGE_WAIT);
    expect(page.url()).toContain(`#/journal?entry=${cited}`);
    const entry = (await sim.journal.list({ limit: 5 })).find((e) => e.id === cited)!;
    expect(entry).toMatchObject({ method: 'POST', path: '/api/generate', status: 200 });
    expect(await detail.textContent()).toContain(entry.task_id!);
    // Back: the report again.
    await page.goBack();
    await finding.waitFor(PAGE_WAIT);
  });

  it('reads the report again when the journal moves, on Refresh, and for the world chosen', async () => {
    // A tenant (the world selector lists those the page found when it opened).
    const tenant = (
      (await fetch(`${sim.url}/__mock/tenants`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'qa-report', clock: 'virtual' }),
      }).then((r) => r.json())) as { data: { tenant: { id: string } } }
    ).data.tenant.id;
    await retryAtOnce();
    const page = await open('report');
    const requests = page.locator('[data-testid="report-requests"]');
    await requests.filter({ hasText: /^3 requests observed/ }).waitFor(PAGE_WAIT);
    // A request: the journal shows it, and the report follows without a click.
    const poll = await fetch(`${sim.url}/api/status?task_id=sd45_0000000000000000`, {
      headers: { Authorization: `Bearer ${DEV_KEY}` },
    });
    expect(poll.status).toBe(404);
    await requests.filter({ hasText: /^4 requests observed/ }).waitFor(PAGE_WAIT);
    await page.locator('[data-testid="coverage"] [data-outcome="status:404"][data-state="seen"]').waitFor();
    // The clock moved by a script (no request): Refresh reads it; the two paid tasks were never read.
    expect(await page.locator('article[data-rule="abandoned-task"]').count()).toBe(0);
    await sim.clock.advance(3_600_000);
    await page.locator('[data-testid="report-refresh"]').click();
    const abandoned = page.locator('article[data-rule="abandoned-task"]');
    await abandoned.waitFor(PAGE_WAIT);
    expect(await abandoned.locator('[data-testid="occurrences"]').textContent()).toBe('2 occurrences');

    // The JUnit XML, as the control API gives it.
    const [download] = await Promise.all([
      page.waitForEvent('download', PAGE_WAIT),
      page.locator('[data-testid="report-junit"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('verdict-default.xml');
    const xml = await readFile((await download.path())!, 'utf8');
    expect(xml).toBe(await sim.reportJUnit());

    // Another world: its own verdict (nothing yet), and back.
    await page.locator('select[data-testid="world"]').selectOption(tenant);
    await page.locator('[data-testid="no-findings"]').waitFor(PAGE_WAIT);
    expect(await page.locator('.panel h2', { hasText: 'Verdict on' }).textContent()).toContain(tenant);
    expect(await requests.textContent()).toMatch(/^0 requests observed/);
    await page.locator('select[data-testid="world"]').selectOption('default');
    await page.locator('article[data-rule="retry-after-ignored"]').waitFor(PAGE_WAIT);
    await fetch(`${sim.url}/__mock/tenants/${tenant}`, { method: 'DELETE' });
  });

  it('fits an 800 px window, and an example opens its journal entry in view there', async () => {
    await retryAtOnce();
    // Enough requests after it that the journal's table fills a narrow window.
    for (let i = 0; i < 24; i++)
      await fetch(`${sim.url}/api/status?task_id=sd45_${String(i).padStart(16, '0')}`, {
        headers: { Authorization: `Bearer ${DEV_KEY}` },
      });
    const page = await open('report');
    await page.setViewportSize({ width: 800, height: 900 });
    await page.locator('article[data-rule="retry-after-ignored"]').waitFor(PAGE_WAIT);
    const overflow = (await page.evaluate(`(() => {
      const out = [];
      for (const panel of document.querySelectorAll('[data-testid="report"] section.panel')) {
        const edge = panel.getBoundingClientRect().right;
        for (const el of panel.querySelectorAll('*'))
          if (el.getBoundingClientRect().right > edge + 0.5 && !el.closest('.table-fit'))
            out.push(el.tagName + '.' + el.className);
      }
      return { out, page: document.documentElement.scrollWidth, viewport: window.innerWidth };
    })()`)) as { out: string[]; page: number; viewport: number };
    expect(overflow.out).toEqual([]);
    expect(overflow.page).toBeLessThanOrEqual(overflow.viewport);
    await w.screenshot('report-800');
    // An example's link: the journal's detail, below its table in a narrow window, is brought into view.
    await page.locator('article[data-rule="retry-after-ignored"] a[data-journal-id]').first().click();
    const detail = page.locator('[data-testid="entry-detail"]');
    await detail.waitFor(PAGE_WAIT);
    const inView = async () => {
      const y = (await detail.boundingBox())?.y;
      return y !== undefined && y >= 0 && y < 900;
    };
    await expect.poll(inView, PAGE_WAIT).toBe(true);
  });

  it('moves the clock from the header', async () => {
    const page = await open('journal');
    const now = page.locator('[data-testid="clock-now"]');
    await now.filter({ hasText: '2025-06-14 05:21:11' }).waitFor(PAGE_WAIT);
    await page.locator('[data-testid="clock"] button', { hasText: '+1 min' }).click();
    await now.filter({ hasText: '2025-06-14 05:22:11' }).waitFor(PAGE_WAIT);
    expect((await sim.clock.get()).iso).toBe('2025-06-14T05:22:11.000Z');
  });
});

describe('the drift view, in front of a drifting API', () => {
  let live: SimulatorHandle;
  let standIn: RewritingProxy;
  let proxy: SimulatorHandle;
  let browser: Browser;

  beforeAll(async () => {
    // The "live" API is a second simulator; the stand-in in front of it renames a field the spec requires.
    live = await startSimulator({ clock: 'virtual', seed: 'live', rateLimit: 'off' });
    standIn = await startRewritingProxy(live.url, renameField('task_id', 'taskId'));
    proxy = await startSimulator({ proxy: standIn.url, proxyMaxCredits: 100, clock: 'virtual' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await standIn?.close();
    await live?.stop();
  });

  it('shows each place in the spec the answers departed from, its provenance, and the credit guard', async () => {
    const res = await generate(proxy);
    expect(res.status).toBe(200); // the answer goes back unchanged, drift and all
    const w = await watchedPage(browser, proxy.url);
    await w.page.goto(`${proxy.url}/__mock/console#/drift`);
    const places = w.page.locator('[data-testid="drift-places"]');
    await places.waitFor(PAGE_WAIT);
    const required = places.locator('tr', {
      hasText: '#/components/schemas/GenerateResponse/properties/data/required',
    });
    expect(await required.textContent()).toContain('documented');
    expect(await required.textContent()).toContain("must have required property 'task_id'");
    expect(await w.page.locator('[data-testid="drift-exchanges"]').textContent()).toMatch(/^1, 1 with drift/);
    expect(await w.page.locator('[data-testid="drift-credits"]').textContent()).toBe(
      '12 of 100 credits forwarded',
    );
    await w.screenshot('console-drift');
    // Forgetting the counts is the control API's DELETE; the guard's spending stays.
    await w.page.locator('[data-testid="drift-forget"]').click();
    await w.page
      .locator('[data-testid="drift-exchanges"]', { hasText: /^0, 0 with drift/ })
      .waitFor(PAGE_WAIT);
    expect(await w.page.locator('[data-testid="drift-credits"]').textContent()).toBe(
      '12 of 100 credits forwarded',
    );
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  it('says there is no verdict where the simulator does not answer itself', async () => {
    const w = await watchedPage(browser, proxy.url);
    await w.page.goto(`${proxy.url}/__mock/console#/report`);
    const off = w.page.locator('[data-testid="report-off"]');
    await off.waitFor(PAGE_WAIT);
    expect(await off.textContent()).toMatch(/^No report: .* in proxy mode/);
    // The browser logs the 404 itself; that is the only error.
    expect(w.errors.every((e) => e.includes('404'))).toBe(true);
    await w.page.close();
  });

  it('says how to see drift when the simulator answers itself', async () => {
    const w = await watchedPage(browser, live.url);
    await w.page.goto(`${live.url}/__mock/console#/drift`);
    await w.page.locator('[data-testid="drift-off"]').waitFor(PAGE_WAIT);
    expect(await w.page.locator('[data-testid="drift-off"]').textContent()).toContain('--proxy');
    expect(w.errors).toEqual([]);
    await w.page.close();
  });
});

describe('the QA console behind a control token', () => {
  const TOKEN = 'console-test-token-0123456789';
  let sim: SimulatorHandle;
  let browser: Browser;

  beforeAll(async () => {
    sim = await startSimulator({ clock: 'virtual', seed: 'token', rateLimit: 'off', controlToken: TOKEN });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('asks for the token, takes it from a #token= fragment, and never puts it in a URL', async () => {
    const w = await watchedPage(browser, sim.url);
    const page = w.page;
    // Without a token: the page (which holds no data) loads, and asks for one.
    const errorsBefore = w.errors.length;
    await page.goto(`${sim.url}/__mock/console`);
    await page.locator('[data-testid="login"]').waitFor(PAGE_WAIT);
    // The refused call shows as a console error of the browser's own ("401"); nothing else does.
    expect(w.errors.slice(errorsBefore).every((e) => e.includes('401'))).toBe(true);
    w.errors.length = 0;

    await page.goto(`${sim.url}/__mock/console#token=${TOKEN}`);
    await page.reload();
    await page.locator('[data-testid="live"]', { hasText: 'live' }).waitFor(PAGE_WAIT);
    expect(page.url()).not.toContain(TOKEN); // the fragment was taken out of the address bar
    const { taskId } = await generate(sim);
    await page.locator('[data-testid="journal"] tr', { hasText: taskId! }).waitFor(PAGE_WAIT);
    expect(w.requests.filter((u) => u.includes(TOKEN))).toEqual([]);
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.close();
  });
});

/** Requests in parallel batches (the simulator's own loopback socket, bounded in count). */
async function many(count: number, make: (i: number) => Promise<unknown>, batch = 50): Promise<void> {
  for (let i = 0; i < count; i += batch)
    await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => make(i + j)));
}

describe('the QA console with a full journal and thousands of tasks', () => {
  const TASKS = 5_000;
  const JOURNAL = 10_000;
  let sim: SimulatorHandle;
  let browser: Browser;

  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'scale',
      rateLimit: 'off',
      journalSize: JOURNAL,
      keys: { 'sk-qa-scale-0001': 1_000_000 },
    });
    // 5,000 tasks in progress and 5,000 status polls: a journal of 10,000 entries, full.
    const ids: string[] = [];
    await many(TASKS, async () => {
      const { taskId } = await generate(sim, { 'X-Mock-Duration-Ms': '3600000' }, 'sk-qa-scale-0001');
      ids.push(taskId!);
    });
    await many(JOURNAL - TASKS, (i) =>
      fetch(`${sim.url}/api/status?task_id=${ids[i % ids.length]}`, {
        headers: { Authorization: 'Bearer sk-qa-scale-0001' },
      }).then((r) => r.arrayBuffer()),
    );
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('shows one page of each at a time, whatever their number', async () => {
    const w = await watchedPage(browser, sim.url);
    const { page } = w;
    const started = performance.now();
    await page.goto(`${sim.url}/__mock/console#/journal`);
    await page.locator('[data-testid="journal"] tbody tr[data-entry]').first().waitFor(PAGE_WAIT);
    const journalMs = performance.now() - started;
    expect(await page.locator('[data-testid="journal"] tbody tr').count()).toBe(50);
    // The next page is one click, and still 50 rows.
    await page.locator('.pager button', { hasText: 'Older' }).click();
    await page.locator('[data-testid="journal"] tbody tr[data-entry="9950"]').waitFor(PAGE_WAIT);
    expect(await page.locator('[data-testid="journal"] tbody tr').count()).toBe(50);

    const tasksStarted = performance.now();
    await page.locator('nav.views a', { hasText: 'Tasks' }).click();
    await page.locator('[data-testid="tasks"] tbody tr[data-task]').first().waitFor(PAGE_WAIT);
    const tasksMs = performance.now() - tasksStarted;
    expect(await page.locator('[data-testid="tasks"] tbody tr').count()).toBe(50);
    // (A string: this file is type-checked without the DOM library.)
    const elements = (await page.evaluate("document.getElementsByTagName('*').length")) as number;
    expect(elements).toBeLessThan(3_000);
    console.log(
      `console at scale (${JOURNAL} journal entries, ${TASKS} tasks): journal shown ${journalMs.toFixed(0)} ms after navigation, tasks view ${tasksMs.toFixed(0)} ms after the click, ${elements} DOM elements`,
    );
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.close();
  });
});

describe('screenshots of a busy simulator (for the README)', () => {
  let sim: SimulatorHandle;
  let browser: Browser;

  beforeAll(async () => {
    sim = await startSimulator({
      clock: 'virtual',
      seed: 'readme',
      rateLimit: 'off',
      keys: { 'sk-qa-poor-0001': 20 },
    });
    browser = await launchBrowser();
    const poll = (taskId: string) =>
      fetch(`${sim.url}/api/status?task_id=${taskId}`, { headers: { Authorization: `Bearer ${DEV_KEY}` } });
    const done = await generate(sim, { 'X-Mock-Duration-Ms': '2000' });
    await generate(sim, { 'X-Mock-Outcome': 'failed', 'X-Mock-Duration-Ms': '4000' });
    for (let i = 0; i < 3; i++) await generate(sim, { 'X-Mock-Duration-Ms': String(60_000 * (i + 1)) });
    await sim.rules.add({
      match: { method: 'POST', path: '/api/generate' },
      action: { status: 500 },
      times: 2,
    });
    await sim.rules.add({ match: { path: '/api/status' }, action: { fault: 'reset' }, probability: 0.05 });
    await generate(sim);
    await generate(sim, {}, 'sk-qa-poor-0001');
    await generate(sim, {}, 'sk-qa-poor-0001');
    await generate(sim, { 'X-Mock-Status': '429' });
    await sim.clock.advance(5_000);
    await poll(done.taskId!);
    await fetch(`${sim.url}/api/status?task_id=sd45_0000000000000000`, {
      headers: { Authorization: `Bearer ${DEV_KEY}` },
    });
    await fetch(`${sim.url}/api/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${DEV_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: '', aspectRatio: '5:4', quality: 'basic' }),
    });
    await fetch(`${sim.url}/__mock/tenants`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'ci-job-4711', seed: 'replay-me', clock: 'virtual' }),
    });
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('takes one of each view', async () => {
    const w = await watchedPage(browser, sim.url);
    const { page } = w;
    await page.goto(`${sim.url}/__mock/console#/journal`);
    const injected = page.locator('[data-testid="journal"] tr.injected', { hasText: 'rule_1' }).first();
    await injected.waitFor(PAGE_WAIT);
    await injected.click();
    await page.locator('[data-testid="entry-detail"]').waitFor(PAGE_WAIT);
    await w.screenshot('console-journal');
    for (const [view, ready] of [
      ['Accounts', '[data-testid="accounts"] article'],
      ['Tasks', '[data-testid="tasks"] tr[data-task]'],
      ['Fault rules', '[data-testid="rules"] tr[data-rule]'],
      ['Tenants', '[data-testid="tenants"] tr[data-tenant]'],
    ] as const) {
      await page.locator('nav.views a', { hasText: view }).click();
      await page.locator(ready).first().waitFor(PAGE_WAIT);
      await w.screenshot(`console-${view.toLowerCase().replace(' ', '-')}`);
    }
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.close();
  });
});
