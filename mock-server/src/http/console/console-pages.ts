/**
 * GET /__mock/console and its assets: one page, from the simulator's own package, that does
 * everything through the control API (so all it shows can be scripted too). The page holds no data:
 * it is served without a token, and its calls carry the token the user gives it (a login box or a
 * `#token=` fragment, which never reaches the server in a URL), as every control call must.
 */
import type { RequestHandler, Response } from 'express';
import { DEV_KEY } from '../../config.js';
import { ownerOf, redactKey } from '../../domain/keys.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { ApiError } from '../errors.js';
import { consoleBundle } from './console-bundle.js';

/** Only the simulator itself: no CDN, no other host, no inline script, no framing by another site. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // data: for the page's own blank favicon and CSS icons; images of tasks come from /files here.
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function sendPage(res: Response, html: string, csp: string = PAGE_CSP): void {
  res
    .status(200)
    .set({
      'Content-Security-Policy': csp,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
    .type('text/html; charset=utf-8')
    .send(html);
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Whether the configured dev key is on: it is in the default world's start accounts. */
export async function devKeyOn(tenancy: Tenancy): Promise<boolean> {
  const world = await tenancy.defaultWorld();
  const owner = ownerOf(DEV_KEY);
  return world.view.spec.accounts.some((a) => a.owner === owner);
}

/** The dev key, when it is on (a public constant, printed in the README): the page fills it in. */
export async function devKeyMeta(tenancy: Tenancy): Promise<string> {
  if (!(await devKeyOn(tenancy))) return '';
  return `<meta name="dreamcore-dev-key" content="${escape(DEV_KEY)}">\n    <meta name="dreamcore-dev-key-label" content="${escape(redactKey(DEV_KEY))}">`;
}

export function consoleHandlers(deps: {
  tenancy: Tenancy;
  version: string;
}): Record<'getConsole' | 'getConsoleAsset', RequestHandler> {
  return {
    getConsole: async (_req, res) => {
      sendPage(
        res,
        `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="dreamcore-version" content="${escape(deps.version)}">
    ${await devKeyMeta(deps.tenancy)}
    <title>DreamCore simulator · QA console</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/__mock/console/console.css">
  </head>
  <body>
    <div id="app"><noscript>The console needs JavaScript.</noscript></div>
    <script type="module" src="/__mock/console/console.js"></script>
  </body>
</html>
`,
      );
    },

    getConsoleAsset: async (req, res) => {
      const loaded = await consoleBundle();
      if (!loaded.ok) throw new ApiError(503, loaded.reason, { type: 'service_unavailable' });
      const file = loaded.bundle.get(req.params.asset as string);
      if (!file) throw new ApiError(404, 'No such console file', { type: 'not_found' });
      res
        .set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' })
        .type(file.contentType)
        .send(file.body);
    },
  };
}
