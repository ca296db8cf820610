/**
 * `npm run build`, only when dist/ is not already what it would make of the sources (`npm start`'s
 * prestart, and `npm run fleet` once it has read its options).
 *
 * Why a check rather than the build every time: a build that changes nothing still takes seconds
 * (tsc, the spec cache, the console bundle), which `npm start -- --help`, `npm start -- --version`
 * and every restart paid. Why not a start script that answers --help itself: npm passes the
 * arguments to the `start` script only, never to `prestart`, and `start` must stay one `exec node`
 * (Dockerfile's CMD, and the signals of test/process/npm-start.test.ts); sniffing `--help` in a
 * shell line would also misread `--seed -h`. With the check, --help and --version print at once
 * whenever dist/ is up to date, and after an edit they show the edited options, built.
 *
 * dist/.build-stamp.json holds two digests, written after a build this script ran: one of the
 * build's inputs, one of its outputs. dist/ is fresh when both still match. An input edited, added or
 * removed changes the first (contents, not times: a checkout or `touch` that changes nothing costs
 * nothing); a build run by hand from other sources (`git stash; npm run build; git stash pop`) changes
 * the second, and the next start builds again.
 */
import { spawnSync } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from './lib/project-root.js';

/**
 * What `npm run build` reads, relative to the project root: the files the Dockerfile's build stage
 * copies in (a test holds the two together), and the installed dependencies' lock.
 */
export const BUILD_INPUTS = [
  'package.json',
  'package-lock.json',
  // The Node.js version check the build runs first (npm's prebuild).
  'scripts/check-node.cjs',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'openapi.yaml',
  'generated',
  'mock-server',
  'contracts/client',
] as const;

export const BUILD_OUTPUT = 'dist';
const STAMP = join(BUILD_OUTPUT, '.build-stamp.json');
/** tsc's own bookkeeping (timestamps) and the stamp itself are not the build's product. */
const NOT_OUTPUT = new Set([STAMP, join(BUILD_OUTPUT, '.tsbuildinfo')]);

interface Stamp {
  inputs: string;
  outputs: string;
}

/** Every file under `path` (or `path` itself), sorted, relative to `root`. */
function files(root: string, path: string): string[] {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** One digest of the paths and contents of these files: a rename or a new empty file changes it. */
function digest(root: string, paths: readonly string[]): string {
  const hash: Hash = createHash('sha256');
  for (const path of paths) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(root, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function inputsDigest(root: string): string {
  return digest(
    root,
    BUILD_INPUTS.flatMap((input) => files(root, input)),
  );
}

function outputsDigest(root: string): string {
  return digest(
    root,
    files(root, BUILD_OUTPUT).filter((path) => !NOT_OUTPUT.has(path)),
  );
}

/** Why dist/ must be built again, or undefined when it is up to date. */
export function staleBecause(root = projectRoot()): string | undefined {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8')) as Stamp;
  } catch {
    return 'no build stamp';
  }
  if (stamp.inputs !== inputsDigest(root)) return 'the sources changed';
  if (stamp.outputs !== outputsDigest(root)) return 'dist/ was built from other sources';
  return undefined;
}

/**
 * Builds when dist/ is stale; then stamps it. The inputs are read before the build: an edit during
 * the build leaves a stamp that no longer matches, so the next start builds again.
 * @returns the build's exit code (0 when no build was needed)
 */
export function buildIfStale(
  root = projectRoot(),
  build: () => number | null = () =>
    spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }).status,
): number {
  if (staleBecause(root) === undefined) return 0;
  const inputs = inputsDigest(root);
  const code = build() ?? 1;
  if (code === 0) writeFileSync(join(root, STAMP), JSON.stringify({ inputs, outputs: outputsDigest(root) }));
  return code;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = buildIfStale();
