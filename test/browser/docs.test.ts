/**
 * The API reference (/docs) in a real browser: both documents render with no console error and no
 * request to any host but the simulator; each element's provenance shows; "Try it out" sends a
 * request to this simulator with the dev key, filled in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../mock-server/src/index.js';
import { launchBrowser, watchedPage, type Browser } from './browser.js';

const PAGE_WAIT = { timeout: 20_000 };

describe('the API reference page', () => {
  let sim: SimulatorHandle;
  let browser: Browser;

  beforeAll(async () => {
    sim = await startSimulator({ clock: 'virtual', seed: 'docs', rateLimit: 'off', validateResponses: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('renders openapi.yaml with provenance, and sends a request to this simulator with the dev key', async () => {
    const w = await watchedPage(browser, sim.url);
    const { page } = w;
    await page.goto(`${sim.url}/docs`);
    const title = page.locator('.swagger-ui .info .title');
    await title.filter({ hasText: 'DreamCore' }).waitFor(PAGE_WAIT);
    // The servers are this simulator.
    expect(await page.locator('.swagger-ui .servers select').inputValue()).toBe(sim.url);

    await w.screenshot('docs-api');
    // An operation: its provenance first, from x-provenance / x-doc-quote / x-provenance-reason.
    const generate = page.locator('#operations-generation-createGenerationTask');
    await generate.locator('.opblock-summary').click();
    const description = generate.locator('.opblock-description-wrapper').first();
    await description.waitFor(PAGE_WAIT);
    expect(await description.textContent()).toMatch(/Provenance: (documented|inferred)/);
    // A schema property's provenance too (the models section, expanded).
    const provenanceLines = await page.locator('text=/Provenance: (documented|inferred)/').count();
    expect(provenanceLines).toBeGreaterThan(1);

    // Try it out: GET /api/status of a task, with the dev key the page filled in.
    const created = await sim
      .client()
      .createTask({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
    const status = page.locator('#operations-generation-getTaskStatus');
    await status.locator('.opblock-summary').click();
    await status.locator('input[placeholder="task_id"]').waitFor(PAGE_WAIT);
    await status.locator('input[placeholder="task_id"]').fill(created.taskId);
    await status.locator('button.execute').click();
    const code = status.locator('.live-responses-table .response .response-col_status');
    await code.first().waitFor(PAGE_WAIT);
    expect((await code.first().textContent())!.trim()).toBe('200');
    const sent = (await sim.journal.waitFor({ path: '/api/status', taskId: created.taskId })).request_headers;
    expect(sent?.authorization).toBe('Bearer sk-d…-dev#d88b21');
    await status.locator('.request-url').scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, -260);
    await w.screenshot('docs-try-it-out');

    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.close();
  });

  it("renders control-api.yaml, marked as the simulator's own", async () => {
    const w = await watchedPage(browser, sim.url);
    const { page } = w;
    await page.goto(`${sim.url}/docs?doc=control`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'control API' }).waitFor(PAGE_WAIT);
    expect(await page.locator('.swagger-ui .info .description').textContent()).toContain(
      "Provenance: the simulator's own.",
    );
    await page.locator('#operations-control-streamJournal').waitFor(PAGE_WAIT);
    // Switching documents with the top bar's selector works too.
    await page.locator('.topbar select').selectOption({ label: 'DreamCore API (openapi.yaml)' });
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'DreamCore' }).waitFor(PAGE_WAIT);
    await page.locator('.topbar select').selectOption({ label: 'Simulator control API (control-api.yaml)' });
    await page.locator('#operations-control-streamJournal').waitFor(PAGE_WAIT);
    await w.screenshot('docs-control');
    expect(w.foreign()).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.close();
  });
});
