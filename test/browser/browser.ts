/**
 * A real browser for the console and docs tests: the operating system's Chromium (the Debian package
 * `chromium`, which .ci/run installs when it is missing), driven by playwright-core with
 * `executablePath` set; never a browser downloaded by Playwright. A machine without Chromium fails
 * these tests: it does not skip them.
 *
 * The network here is closed, so Chromium is told not to reach out by itself (background networking,
 * component updates, sync), and every run gets a fresh profile in the OS temp dir. Every page records
 * each request it makes and each console error: a test fails on a request to any host but the
 * simulator's and on any console error.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../mock-server/src/project-root.js';

export const SCREENSHOTS = join(projectRoot(), 'reports', 'screenshots');

/** Chromium's flags on these machines: headless, no sandbox (root), and nothing that calls home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error(
      'Chromium is not installed: the browser tests need it (apt-get install -y chromium; .ci/run does this), or set CHROMIUM_PATH',
    );
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'dreamcore-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests to a host other than the simulator's (data: and blob: URLs are the page's own). */
  foreign(): string[];
  /** reports/screenshots/<name>.png: the viewport, or one element of the page. */
  screenshot(name: string, element?: Locator): Promise<string>;
}

export async function watchedPage(browser: Browser, simulatorUrl: string): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  const origin = new URL(simulatorUrl).origin;
  page.on('request', (req) => requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return {
    page,
    requests,
    errors,
    foreign: () =>
      requests.filter(
        (url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin,
      ),
    screenshot: async (name, element) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await (element ? element.screenshot({ path }) : page.screenshot({ path, fullPage: false }));
      return path;
    },
  };
}
