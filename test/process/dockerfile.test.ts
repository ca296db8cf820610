/**
 * No Docker engine runs here, so the image cannot be built in CI; these checks keep the Dockerfile
 * honest against the project: the same start command as `npm start`, the files the server reads at
 * start copied in, a non-root user, the documented port and a health check on a real route.
 *
 * They also hold the places that name a Node.js version to each other, since each is edited alone:
 * `engines` (what we promise), `devEngines` (what npm enforces), `scripts/ci/node-versions` (what CI
 * runs the suite on), the Dockerfile's base image (what ships), `@types/node` (what the type checker
 * lets the code use), the Docker section of the operations guide (docs/guides/operations.md), and the
 * `engines` of every locked dependency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT, loadRawSpec } from '../support/spec-walk.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
  devEngines?: { runtime?: { name: string; version?: string; onFail?: string } };
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; optional?: boolean; engines?: { node?: string } }>;
};
/** The releases CI runs the suite on (`scripts/ci/with-node.sh <major>` picks one). */
const ciNodeVersions = readFileSync(join(ROOT, 'scripts/ci/node-versions'), 'utf8')
  .split('\n')
  .filter((line) => /^\d/.test(line));
const dockerBases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);

/** The lowest version of each `||` alternative of the engines range: one per supported line. */
const supportedFloors = new semver.Range(pkg.engines.node).set.map((comparators) =>
  semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' ')))!,
);

describe('Dockerfile', () => {
  it('starts the server with the same command as npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    // npm's script `exec`s node so that the signals npm forwards reach it rather than `sh`; the
    // exec form of CMD makes node the container's own process, which `docker stop` signals.
    expect(pkg.scripts.start).toMatch(/^exec /);
    expect((JSON.parse(cmd!) as string[]).join(' ')).toBe(pkg.scripts.start!.replace(/^exec /, ''));
  });

  it('is multi-stage on one slim glibc Node base, and runs as non-root', () => {
    expect(dockerBases.length).toBeGreaterThanOrEqual(2);
    for (const base of dockerBases) expect(base).toMatch(/^node:\d+-bookworm-slim$/);
    expect(new Set(dockerBases).size).toBe(1);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('exposes 4010, listens on all interfaces, and checks a route that exists', () => {
    expect(dockerfile).toMatch(/^EXPOSE 4010$/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
    const healthPath = /HEALTHCHECK[\s\S]*?\/__mock\/health/.exec(dockerfile);
    expect(healthPath).not.toBeNull();
    expect(Object.keys(loadRawSpec('mock-server/control-api.yaml').paths as object)).toContain(
      '/__mock/health',
    );
  });

  it("copies into the build stage every folder `npm run build` compiles (tsconfig.build.json's include)", () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const stage = dockerfile.slice(dockerfile.indexOf('AS build'), dockerfile.indexOf('RUN npm run build'));
    for (const folder of build.include) {
      const top = folder.split('/')[0]!;
      const copied = new RegExp(
        `^COPY (${folder}|${top}) \\./${folder === top ? folder : `(${folder}|${top})`}\\b`,
        'm',
      );
      expect(stage, `the build stage copies ${folder}`).toMatch(copied);
    }
  });

  it('copies in, before each npm ci, every file the lifecycle scripts npm ci runs need', () => {
    // npm ci runs the project's preprepare hook (the Node.js check): each `node <file>` it runs.
    const files = [...(pkg.scripts.preprepare ?? '').matchAll(/\bnode (\S+)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    const stages = dockerfile.split(/^FROM /m).filter((stage) => /^RUN npm ci\b/m.test(stage));
    expect(stages.length).toBe(2);
    for (const stage of stages) {
      const install = stage.search(/^RUN npm ci\b/m);
      for (const file of files) {
        const copy = new RegExp(
          `^COPY (\\S+ )*${file.replace(/[.]/g, '\\.')} \\./${file.split('/').slice(0, -1).join('/')}/?$`,
          'm',
        );
        expect(stage.slice(0, install), `${file} copied before npm ci`).toMatch(copy);
      }
    }
  });

  it('copies in every file the server reads at start', () => {
    expect(dockerfile).toMatch(/^COPY package\.json openapi\.yaml \.\/$/m);
    expect(dockerfile).toMatch(/^COPY mock-server\/control-api\.yaml/m);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  });
});

describe('the supported Node.js versions agree everywhere', () => {
  it('devEngines names exactly the engines range (npm warns; scripts/check-node.cjs refuses, saying what to do)', () => {
    expect(pkg.devEngines?.runtime).toEqual({ name: 'node', version: pkg.engines.node, onFail: 'warn' });
  });

  it('CI pins one release per supported line, each inside the engines range', () => {
    expect(ciNodeVersions.length).toBeGreaterThan(0);
    for (const version of ciNodeVersions) {
      expect(semver.valid(version), version).toBe(version);
      expect(semver.satisfies(version, pkg.engines.node), `${version} in ${pkg.engines.node}`).toBe(true);
    }
    const pinnedMajors = ciNodeVersions.map((v) => semver.major(v));
    expect(new Set(pinnedMajors).size).toBe(pinnedMajors.length);
    expect(supportedFloors.map((floor) => floor.major).sort()).toEqual([...pinnedMajors].sort());
  });

  it('the image runs the newest line CI tests, and the operations guide says which', () => {
    const dockerMajor = Number(/^node:(\d+)-/.exec(dockerBases[0]!)![1]);
    const newestPinned = semver.rsort([...ciNodeVersions])[0]!;
    expect(dockerMajor).toBe(semver.major(newestPinned));
    const guide = readFileSync(join(ROOT, 'docs', 'guides', 'operations.md'), 'utf8');
    expect(guide).toContain('\n## Docker\n');
    const dockerSection = guide.slice(guide.indexOf('\n## Docker\n'));
    expect(dockerSection).toContain(`\`${dockerBases[0]}\``);
  });

  it('@types/node describes the oldest supported line, so the code cannot use a newer API', () => {
    const typesMajor = semver.minVersion(pkg.devDependencies['@types/node']!)!.major;
    expect(typesMajor).toBe(Math.min(...supportedFloors.map((floor) => floor.major)));
  });

  it('every locked dependency supports the lowest release of each supported line', () => {
    const refusals: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = entry.engines?.node;
      // Optional dependencies (other platforms' native builds) are skipped by npm when their engines
      // do not match: they cannot break an install here.
      if (!path || !range || entry.optional) continue;
      for (const floor of supportedFloors) {
        if (!semver.satisfies(floor, range)) {
          refusals.push(`${path}@${entry.version} needs node ${range}, which excludes ${floor.version}`);
        }
      }
    }
    expect(refusals, `raise engines (${pkg.engines.node}) or pick other versions`).toEqual([]);
  });
});
