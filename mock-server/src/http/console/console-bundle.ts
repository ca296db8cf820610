/**
 * The browser side of the console and of the docs page: TypeScript (Preact) under
 * `mock-server/console/`, bundled by esbuild into `dist/console/` by `npm run build`, and served from
 * there, so a started simulator needs no bundler and no network.
 *
 * Like the spec cache, the build is used only when it matches the sources: `dist/console/manifest.json`
 * holds a digest of them. When it does not (tests and `npm run dev` run from the sources), the bundle
 * is built in memory once per process with esbuild, a development dependency. Where there are no
 * sources (an installed package ships the build only), the build is used as it is.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { projectRoot } from '../../project-root.js';

export const CONSOLE_SOURCE_DIR = join(projectRoot(), 'mock-server', 'console');
export const CONSOLE_DIST_DIR = join(projectRoot(), 'dist', 'console');
const MANIFEST = 'manifest.json';
const ENTRY_POINTS = ['console.tsx', 'docs.ts'];

export interface BundleFile {
  contentType: string;
  body: Buffer;
}

export type ConsoleBundle = ReadonlyMap<string, BundleFile>;

interface Manifest {
  digest: string;
  files: string[];
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** A digest of the console's sources (and the bundler's version), or undefined when they are not here. */
export function consoleSourcesDigest(): string | undefined {
  if (!existsSync(CONSOLE_SOURCE_DIR)) return undefined;
  const hash = createHash('sha256');
  for (const file of sourceFiles(CONSOLE_SOURCE_DIR))
    hash.update(relative(projectRoot(), file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Bundles the sources with esbuild: file name -> contents. */
export async function buildConsoleBundle(): Promise<Map<string, Uint8Array>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: projectRoot(),
    entryPoints: ENTRY_POINTS.map((e) => join(CONSOLE_SOURCE_DIR, e)),
    outdir: CONSOLE_DIST_DIR,
    entryNames: '[name]',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome115', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(CONSOLE_SOURCE_DIR, 'tsconfig.json'),
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [basename(f.path), f.contents]));
}

/** `npm run build`: dist/console/ and its manifest. */
export async function writeConsoleBundle(): Promise<string> {
  const digest = consoleSourcesDigest();
  if (digest === undefined) throw new Error(`no console sources in ${CONSOLE_SOURCE_DIR}`);
  const files = await buildConsoleBundle();
  rmSync(CONSOLE_DIST_DIR, { recursive: true, force: true });
  mkdirSync(CONSOLE_DIST_DIR, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(CONSOLE_DIST_DIR, name), contents);
  const manifest: Manifest = { digest, files: [...files.keys()].sort() };
  writeFileSync(join(CONSOLE_DIST_DIR, MANIFEST), JSON.stringify(manifest, null, 2));
  return CONSOLE_DIST_DIR;
}

function readBuilt(): { manifest: Manifest; bundle: ConsoleBundle } | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(CONSOLE_DIST_DIR, MANIFEST), 'utf8')) as Manifest;
    const bundle = new Map<string, BundleFile>();
    for (const name of manifest.files) {
      const path = join(CONSOLE_DIST_DIR, name);
      // The package ships no source maps (package.json `files`): a build without them still serves.
      if (name.endsWith('.map') && !existsSync(path)) continue;
      bundle.set(name, { contentType: contentTypeOf(name), body: readFileSync(path) });
    }
    return { manifest, bundle };
  } catch {
    return undefined; // not built yet
  }
}

export type LoadedBundle =
  { ok: true; bundle: ConsoleBundle; origin: 'built' | 'memory' } | { ok: false; reason: string };

async function load(): Promise<LoadedBundle> {
  const digest = consoleSourcesDigest();
  const built = readBuilt();
  if (built && (digest === undefined || built.manifest.digest === digest))
    return { ok: true, bundle: built.bundle, origin: 'built' };
  if (digest === undefined) return { ok: false, reason: 'The console is not built: run npm run build' };
  try {
    const files = await buildConsoleBundle();
    const bundle = new Map(
      [...files].map(([name, contents]) => [
        name,
        { contentType: contentTypeOf(name), body: Buffer.from(contents) },
      ]),
    );
    return { ok: true, bundle, origin: 'memory' };
  } catch (err) {
    return {
      ok: false,
      reason: `The console is not built (run npm run build), and could not be built now: ${(err as Error).message.split('\n', 1)[0]}`,
    };
  }
}

let loaded: Promise<LoadedBundle> | undefined;

/** The bundle, loaded (or built) once per process, on the first request that needs it. */
export function consoleBundle(): Promise<LoadedBundle> {
  return (loaded ??= load());
}
