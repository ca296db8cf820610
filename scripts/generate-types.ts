/**
 * Generates the committed TypeScript files that derive from the OpenAPI documents:
 * - `generated/<name>.ts`: openapi-typescript types of each document;
 * - `generated/credit-table.ts`: the credit table read from `x-credit-cost` on the generate operation.
 *
 * `npm run generate` writes them; `npm run generate -- --check` (and the drift test) fails when a
 * committed file differs from what the spec produces, so nobody edits generated code by hand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { parse } from 'yaml';
import { projectRoot } from './lib/project-root.js';

const BANNER = (source: string) =>
  `/**\n * GENERATED FILE: DO NOT EDIT.\n * Source: ${source}. Regenerate with \`npm run generate\`;\n * the test suite fails when this file drifts from its source.\n */\n\n`;

/** The OpenAPI documents whose types are generated, and where the types go. */
export const TYPE_SOURCES = [
  { spec: 'openapi.yaml', out: 'generated/dreamcore-api.ts' },
  { spec: 'mock-server/control-api.yaml', out: 'generated/control-api.ts' },
] as const;

export const CREDIT_TABLE_OUT = 'generated/credit-table.ts';

async function typesFor(root: string, spec: string): Promise<string | undefined> {
  const path = join(root, spec);
  if (!existsSync(path)) return undefined; // a document that does not exist yet produces no file
  // A file URL, not parsed text, so relative $refs between the documents resolve.
  const ast = await openapiTS(pathToFileURL(path), { alphabetize: false, exportType: true });
  return BANNER(spec) + astToString(ast);
}

interface CreditCostExtension {
  presets: Record<string, number>;
}

async function creditTable(root: string): Promise<string> {
  const doc = parse(await readFile(join(root, 'openapi.yaml'), 'utf8'));
  const ext = doc?.paths?.['/api/generate']?.post?.['x-credit-cost'] as CreditCostExtension | undefined;
  if (!ext?.presets) throw new Error('openapi.yaml: POST /api/generate has no x-credit-cost.presets');
  const entries = Object.entries(ext.presets)
    .map(([preset, credits]) => `  '${preset}': ${Number(credits)},`)
    .join('\n');
  return (
    BANNER('openapi.yaml, x-credit-cost of POST /api/generate') +
    `/** Credits deducted per preset, as the provider's credit table states them. */\n` +
    `export const CREDIT_TABLE = {\n${entries}\n} as const;\n\n` +
    `export type Preset = keyof typeof CREDIT_TABLE;\n`
  );
}

/** Every generated file, path relative to the project root, with the content it should have. */
export async function renderGeneratedFiles(root = projectRoot()): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const { spec, out } of TYPE_SOURCES) {
    const content = await typesFor(root, spec);
    if (content !== undefined) files.set(out, content);
  }
  files.set(CREDIT_TABLE_OUT, await creditTable(root));
  return files;
}

async function main(): Promise<void> {
  const root = projectRoot();
  const check = process.argv.includes('--check');
  const files = await renderGeneratedFiles(root);
  const stale: string[] = [];
  for (const [path, content] of files) {
    const current = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (current === content) continue;
    if (check) stale.push(path);
    else await writeFile(join(root, path), content);
  }
  if (stale.length > 0) {
    console.error(`Generated files are out of date: ${stale.join(', ')}. Run \`npm run generate\`.`);
    process.exit(1);
  }
  console.log(check ? 'Generated files are up to date.' : `Wrote ${[...files.keys()].join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
