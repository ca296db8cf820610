/**
 * No Docker engine runs here, so the image cannot be built in CI; these checks keep the Dockerfile
 * honest against the project: the same start command as `npm start`, the files the server reads at
 * start copied in, a non-root user, the documented port and a health check on a real route.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, loadRawSpec } from '../support/spec-walk.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('Dockerfile', () => {
  it('starts the server with the same command as npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    // npm's script `exec`s node so that the signals npm forwards reach it rather than `sh`; the
    // exec form of CMD makes node the container's own process, which `docker stop` signals.
    expect(pkg.scripts.start).toMatch(/^exec /);
    expect((JSON.parse(cmd!) as string[]).join(' ')).toBe(pkg.scripts.start!.replace(/^exec /, ''));
  });

  it('is multi-stage on a slim glibc Node base matching the engines range, and runs as non-root', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^node:20-bookworm-slim$/);
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

  it('copies in every file the server reads at start', () => {
    expect(dockerfile).toMatch(/^COPY package\.json openapi\.yaml \.\/$/m);
    expect(dockerfile).toMatch(/^COPY mock-server\/control-api\.yaml/m);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  });
});
