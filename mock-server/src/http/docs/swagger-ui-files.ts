/**
 * Swagger UI's files for the /docs page. They come from the swagger-ui-dist package, a development
 * dependency only: `npm run build` copies the few the page loads, with the package's licence and
 * notices (Apache-2.0 asks for them), into dist/swagger-ui/, which the package ships. An installed
 * package serves them from there, so its users do not install swagger-ui-dist, nor its dependency
 * @scarf/scarf, whose install script npm warns about. Run from the sources with no build (tests,
 * `npm run dev`), they are read from swagger-ui-dist itself.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../project-root.js';

/** The files the page loads (docs-pages.ts), with their content types. */
export const SWAGGER_UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
/** Copied beside them, never served: the terms the files are redistributed under. */
const NOTICES = [
  'LICENSE',
  'NOTICE',
  'swagger-ui-bundle.js.LICENSE.txt',
  'swagger-ui-standalone-preset.js.LICENSE.txt',
];

export const SWAGGER_UI_DIST_DIR = join(projectRoot(), 'dist', 'swagger-ui');

/** swagger-ui-dist's folder, where it is installed (a development checkout). */
function packageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

/** `npm run build`: the page's files and their notices, copied into dist/swagger-ui/. */
export function writeSwaggerUiFiles(): string {
  const from = packageDir();
  if (from === undefined) throw new Error('swagger-ui-dist is not installed: run npm ci');
  rmSync(SWAGGER_UI_DIST_DIR, { recursive: true, force: true });
  mkdirSync(SWAGGER_UI_DIST_DIR, { recursive: true });
  for (const name of [...Object.keys(SWAGGER_UI_FILES), ...NOTICES]) {
    copyFileSync(join(from, name), join(SWAGGER_UI_DIST_DIR, name));
  }
  return SWAGGER_UI_DIST_DIR;
}

/**
 * Where the files are read: the build's copy (always, in an installed package), else the package
 * itself; undefined when neither is there (sources without their development dependencies).
 */
export function swaggerUiDir(): string | undefined {
  const built = Object.keys(SWAGGER_UI_FILES).every((name) => existsSync(join(SWAGGER_UI_DIST_DIR, name)));
  return built ? SWAGGER_UI_DIST_DIR : packageDir();
}
