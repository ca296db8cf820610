/**
 * The package as a client team meets it (issue 12): `npm pack`, the tarball installed into a fresh
 * project outside the repository, and there (a) the `dreamcore-simulator` bin started and stopped,
 * (b) a TypeScript test that uses startSimulator, the reference client and `await using`, type-checked
 * by its own TypeScript and run by node. Nothing in that project refers to this repository.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/spec-walk.js';

const run = promisify(execFile);
const MINUTES = 60_000;

const CONSUMER_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type SimulatorHandle } from 'dreamcore-simulator';
import { TaskFailedError } from 'dreamcore-simulator/client';

test('a task, a refund and the journal, without a real second of waiting', async () => {
  await using sim: SimulatorHandle = await startSimulator({ clock: 'virtual', seed: 'consumer' });
  const client = sim.client({ sleep: sim.clock.sleep });
  const done = await client.generate({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
  assert.equal(done.status, 'SUCCESS');
  assert.equal(done.response.length, 1);

  await sim.rules.add({ match: { path: '/api/generate' }, action: { task: { outcome: 'failed' } }, times: 1 });
  await assert.rejects(
    client.generate({ prompt: 'a blue fox', aspectRatio: '1:1', quality: 'high' }),
    (err: unknown) => err instanceof TaskFailedError,
  );
  const account = await sim.accounts.get(sim.key);
  assert.equal(account.balance, 1000 - 12);
  const refund = account.ledger.find((e) => e.kind === 'refund');
  assert.equal(refund?.amount, 18);

  const entry = await sim.journal.waitFor({ path: '/api/generate', status: '200' });
  assert.equal(entry.method, 'POST');
  console.log('consumer test: ok on', sim.url);
});
`;

describe('the packed package, installed in a fresh project', () => {
  let project: string;
  let packDir: string;
  let tarball: string;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'dreamcore-consumer-'));
    packDir = await mkdtemp(join(tmpdir(), 'dreamcore-pack-'));
    // dist/ was built once for the whole run (test/support/build-once.ts): pack it as it is.
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--silent'], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const [file] = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
    tarball = join(packDir, file!);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'esnext.disposable'],
          types: ['node'],
          strict: true,
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['*.ts'],
      }),
    );
    await writeFile(join(project, 'sim.test.ts'), CONSUMER_TEST);
    // Its own TypeScript and Node types, from the registry (the npm cache makes this quick).
    await run(
      'npm',
      [
        'install',
        tarball,
        'typescript@~5.9.3',
        '@types/node@^22',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
      ],
      { cwd: project, maxBuffer: 1 << 24 },
    );
  }, 6 * MINUTES);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
    if (packDir) await rm(packDir, { recursive: true, force: true });
  });

  it(
    'runs the dreamcore-simulator bin: banner, health, SIGTERM',
    async () => {
      const child = spawn(
        join(project, 'node_modules', '.bin', 'dreamcore-simulator'),
        ['--port=0', '--log-level=warn'],
        {
          cwd: project,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no banner:\n${out}`)), 60_000);
          child.stdout.on('data', () => {
            const m = /listening on (http:\/\/\S+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]!);
            }
          });
          void exited.then((code) => reject(new Error(`exited ${code}:\n${out}`)));
        });
        const health = await fetch(`${url}/__mock/health`);
        expect(health.status).toBe(200);
        // The console and the API reference, from the bundle the package ships (no sources, no esbuild).
        for (const page of ['/__mock/console', '/__mock/console/console.js', '/docs', '/docs/assets/docs.js'])
          expect((await fetch(`${url}${page}`)).status, page).toBe(200);
        expect(out).toContain('Dev key:   sk-dreamcore-dev');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    2 * MINUTES,
  );

  it('the bin has --version and the cassette command, from the installed package alone', async () => {
    const bin = join(project, 'node_modules', '.bin', 'dreamcore-simulator');
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await run(bin, ['--version'], { cwd: project })).stdout.trim()).toBe(version);
    expect((await run(bin, ['--help'], { cwd: project })).stdout).toMatch(/\n {2}cassette <command>/);
    // A file that is not a cassette: the command ran (its spec read from the package), and refused it.
    const refused = await run(bin, ['cassette', 'to-scenario', 'package.json'], { cwd: project }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cassette to-scenario: /) });
  });

  it(
    'type-checks and runs a TypeScript test using startSimulator, the reference client and await using',
    async () => {
      const tsc = join(project, 'node_modules', '.bin', 'tsc');
      await run(tsc, ['-p', project], { cwd: project });
      const { stdout } = await run(
        process.execPath,
        ['--test', '--test-reporter=tap', join(project, 'out', 'sim.test.js')],
        {
          cwd: project,
        },
      );
      expect(stdout).toContain('consumer test: ok on http://127.0.0.1:');
      expect(stdout).toMatch(/# pass 1/);
      expect(stdout).toMatch(/# fail 0/);
    },
    2 * MINUTES,
  );

  it('ships only what it needs: no sources, tests or maps', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(
      files.filter(
        (f) =>
          /\.test\.|\.map$|\/src\/.*\.ts$|^package\/test\/|^package\/scripts\//.test(f) &&
          !f.endsWith('.d.ts'),
      ),
    ).toEqual([]);
    expect(files).toContain('package/dist/mock-server/src/index.js');
    expect(files).toContain('package/dist/contracts/client/index.d.ts');
    expect(files).toContain('package/openapi.yaml');
    expect(files).toContain('package/mock-server/control-api.yaml');
    expect(files).toContain('package/dist/console/console.js');
    expect(files).toContain('package/dist/console/manifest.json');
  });
});
