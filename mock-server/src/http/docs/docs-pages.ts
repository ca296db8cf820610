/**
 * GET /docs: both documents in Swagger UI, whose files come from the swagger-ui-dist package (copied
 * into dist/ by the build: swagger-ui-files.ts), with "Try it out" against this simulator. Swagger UI because it renders OpenAPI 3.0
 * with a request client built in and ships as plain files that need no network (Redoc has no client;
 * Scalar's bundle loads web fonts from its own host unless told not to and is several times larger).
 *
 * The documents are served as the simulator loaded them (dereferenced), with two changes made here at
 * serve time, so nothing is written twice:
 * - `servers` is this simulator's own address, so a request sent from the page reaches it;
 * - every element that carries `x-provenance` gets a first line in its description saying where it
 *   comes from: documented by the provider (with `x-doc-quote`) or inferred (with
 *   `x-provenance-reason`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, RequestHandler } from 'express';
import type { OpenAPIV3 } from 'openapi-types';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { consoleBundle } from '../console/console-bundle.js';
import { devKeyMeta, sendPage, PAGE_CSP } from '../console/console-pages.js';
import { ApiError } from '../errors.js';
import { SWAGGER_UI_FILES, swaggerUiDir } from './swagger-ui-files.js';

type Json = Record<string, unknown>;

/** The page's own start script and style, built with the console (mock-server/console/docs.ts). */
const OWN_FILES = new Set(['docs.js', 'docs.css']);

/** The line put first in a description: where the element comes from. */
export function provenanceLine(element: Json): string | undefined {
  const provenance = element['x-provenance'];
  if (provenance === 'documented') {
    const quote = element['x-doc-quote'];
    return typeof quote === 'string'
      ? `**Provenance: documented** by the provider: “${quote.trim()}”`
      : '**Provenance: documented** by the provider.';
  }
  if (provenance === 'inferred') {
    const reason = element['x-provenance-reason'];
    return typeof reason === 'string'
      ? `**Provenance: inferred** (the provider's documentation does not say): ${reason.trim()}`
      : "**Provenance: inferred** (the provider's documentation does not say).";
  }
  return undefined;
}

/** A copy of the document with a provenance line in front of each marked element's description. */
export function withProvenance(doc: OpenAPIV3.Document): OpenAPIV3.Document {
  // structuredClone keeps shared objects shared (a dereferenced $ref), so each is annotated once.
  const copy = structuredClone(doc) as unknown as Json;
  const seen = new Set<object>();
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(walk);
    const element = node as Json;
    const line = provenanceLine(element);
    if (line) {
      const description = typeof element.description === 'string' ? element.description.trim() : '';
      element.description = description ? `${line}\n\n${description}` : line;
    }
    for (const value of Object.values(element)) walk(value);
  };
  walk(copy);
  return copy as unknown as OpenAPIV3.Document;
}

export function docsHandlers(deps: {
  tenancy: Tenancy;
  apiSpec: OpenAPIV3.Document;
  controlSpec: OpenAPIV3.Document;
  baseUrl: (req: Request) => string;
}): Record<'getDocs' | 'getDocsDocument' | 'getDocsAsset', RequestHandler> {
  const documents: Record<string, () => OpenAPIV3.Document> = {};
  const lazily = (make: () => OpenAPIV3.Document) => {
    let doc: OpenAPIV3.Document | undefined;
    return () => (doc ??= make());
  };
  documents['openapi.json'] = lazily(() => withProvenance(deps.apiSpec));
  documents['control-api.json'] = lazily(() => {
    const doc = withProvenance(deps.controlSpec);
    const note =
      "**Provenance: the simulator's own.** Nothing in this document comes from the provider: every endpoint here is the simulator's (openapi.yaml would call it inferred).";
    return { ...doc, info: { ...doc.info, description: `${note}\n\n${doc.info.description ?? ''}` } };
  });
  const cache = new Map<string, Buffer>();

  return {
    getDocs: async (_req, res) => {
      sendPage(
        res,
        `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    ${await devKeyMeta(deps.tenancy)}
    <title>DreamCore simulator · API reference</title>
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
    <link rel="stylesheet" href="/docs/assets/docs.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
    <script type="module" src="/docs/assets/docs.js"></script>
  </body>
</html>
`,
        // Swagger UI sets style attributes and loads its SVG icons as data: URIs; nothing leaves the host.
        PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
      );
    },

    getDocsDocument: (req, res) => {
      const doc = documents[req.params.document as string]!();
      res
        .set('Cache-Control', 'no-store')
        .json({ ...doc, servers: [{ url: deps.baseUrl(req), description: 'This simulator' }] });
    },

    getDocsAsset: async (req, res) => {
      const name = req.params.asset as string;
      if (OWN_FILES.has(name)) {
        const loaded = await consoleBundle();
        if (!loaded.ok) throw new ApiError(503, loaded.reason, { type: 'service_unavailable' });
        const file = loaded.bundle.get(name);
        if (!file) throw new ApiError(404, 'No such file', { type: 'not_found' });
        return void res.set('Cache-Control', 'no-cache').type(file.contentType).send(file.body);
      }
      let body = cache.get(name);
      if (!body) {
        const dir = swaggerUiDir();
        if (dir === undefined) {
          throw new ApiError(503, "Swagger UI's files are not built: run npm run build", {
            type: 'service_unavailable',
          });
        }
        cache.set(name, (body = readFileSync(join(dir, name))));
      }
      res.set('Cache-Control', 'public, max-age=3600').type(SWAGGER_UI_FILES[name]!).send(body);
    },
  };
}
