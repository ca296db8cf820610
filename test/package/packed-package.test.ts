/**
 * The package as a client team meets it (issue 12): `npm pack`, the tarball installed into a fresh
 * project outside the repository, and there (a) the `dreamcore-simulator` bin started and stopped,
 * the console and the API reference (Swagger UI's files included) served from the installed files;
 * (b) a TypeScript test that uses startSimulator, the reference client and `await using`,
 * type-checked by its own TypeScript and run by node; (c) the published types checked with no Node
 * types at all; (d) a CommonJS script that `require()`s both entry points; (e) a jest test in
 * CommonJS; (f) `dreamcore-simulator mcp` serving its tools over stdio. One install serves them all.
 * Nothing in that project refers to this repository.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning, waitFor } from '../support/process-tools.js';
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

/** Only the published declarations and the Fetch API's types (TypeScript's DOM lib): no `@types/node`. */
const NO_NODE_TYPES_CONSUMER = `import { startSimulator, connectSimulator, type SimulatorHandle } from 'dreamcore-simulator';
import { TaskFailedError, type GenerateRequest } from 'dreamcore-simulator/client';

export async function fox(): Promise<string> {
  await using sim: SimulatorHandle = await startSimulator({ clock: 'virtual', seed: 'types' });
  await using again = await connectSimulator(sim.url, { tenant: 'new' });
  const request: GenerateRequest = { prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' };
  try {
    return (await again.client().generate(request, { signal: AbortSignal.timeout(1000) })).status;
  } catch (err) {
    return err instanceof TaskFailedError ? err.message : 'failed';
  }
}
`;

/** A plain CommonJS program: require() of both entry points, as Node 22.12+ and 24 load ES modules. */
const COMMONJS_CONSUMER = `'use strict';
const { startSimulator } = require('dreamcore-simulator');
const { TaskFailedError, isErrorEnvelope } = require('dreamcore-simulator/client');

(async () => {
  const sim = await startSimulator({ clock: 'virtual', seed: 'commonjs' });
  try {
    const client = sim.client({ sleep: sim.clock.sleep });
    const done = await client.generate({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
    console.log('commonjs consumer:', done.status, typeof TaskFailedError, typeof isErrorEnvelope);
  } finally {
    await sim.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

/** jest's own runtime loads ES modules only through Node's VM modules (a flag, below). */
const jestTest = (load: 'require' | 'import') => `'use strict';
test('a generate from a CommonJS jest test (${load})', async () => {
  const { startSimulator } = ${load === 'require' ? "require('dreamcore-simulator')" : "await import('dreamcore-simulator')"};
  const { TaskFailedError } = ${load === 'require' ? "require('dreamcore-simulator/client')" : "await import('dreamcore-simulator/client')"};
  const sim = await startSimulator({ clock: 'virtual', seed: 'jest' });
  try {
    const client = sim.client({ sleep: sim.clock.sleep });
    const done = await client.generate({ prompt: 'a red fox', aspectRatio: '1:1', quality: 'basic' });
    expect(done.status).toBe('SUCCESS');
    expect(typeof TaskFailedError).toBe('function');
  } finally {
    await sim.stop();
  }
});
`;

/**
 * jest 30 runs `require()` of an ES module on Node 24.9 and later (vm.SourceTextModule's
 * hasAsyncGraph), and on any supported Node an `await import()`, both with --experimental-vm-modules.
 */
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number) as [number, number];
const jestRequiresEsm = nodeMajor > 24 || (nodeMajor === 24 && nodeMinor >= 9);

describe('the packed package, installed in a fresh project', () => {
  let project: string;
  let packDir: string;
  let tarball: string;
  let installLog: string;

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
      JSON.stringify(
        {
          name: 'consumer',
          private: true,
          type: 'module',
          jest: { testEnvironment: 'node', testMatch: ['<rootDir>/*.jest.test.cjs'], transform: {} },
        },
        null,
        2,
      ),
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
    await writeFile(
      join(project, 'tsconfig.no-node-types.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'esnext.disposable', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['no-node-types.ts'],
      }),
    );
    await writeFile(join(project, 'sim.test.ts'), CONSUMER_TEST);
    await writeFile(join(project, 'no-node-types.ts'), NO_NODE_TYPES_CONSUMER);
    await writeFile(join(project, 'consumer.cjs'), COMMONJS_CONSUMER);
    await writeFile(join(project, 'require.jest.test.cjs'), jestTest('require'));
    await writeFile(join(project, 'import.jest.test.cjs'), jestTest('import'));
    // Its own TypeScript, Node types and jest, from the registry (the npm cache makes this quick).
    const install = await run(
      'npm',
      [
        'install',
        tarball,
        'typescript@~5.9.3',
        '@types/node@^22',
        'jest@^30',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
      ],
      { cwd: project, maxBuffer: 1 << 24 },
    );
    installLog = install.stdout + install.stderr;
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
        // The console and the API reference, from the bundle the package ships (no sources, no
        // esbuild), and Swagger UI's files from the copy it ships (swagger-ui-dist is not installed).
        expect(existsSync(join(project, 'node_modules', 'swagger-ui-dist'))).toBe(false);
        for (const page of [
          '/__mock/console',
          '/__mock/console/console.js',
          '/docs',
          '/docs/assets/docs.js',
          '/docs/assets/swagger-ui-bundle.js',
          '/docs/assets/swagger-ui-standalone-preset.js',
          '/docs/assets/swagger-ui.css',
          '/docs/assets/favicon-32x32.png',
        ]) {
          expect((await fetch(`${url}${page}`)).status, page).toBe(200);
        }
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
    '`dreamcore-simulator mcp` starts from the installed package and lists its tools over stdio',
    async () => {
      const transport = new StdioClientTransport({
        command: join(project, 'node_modules', '.bin', 'dreamcore-simulator'),
        args: ['mcp'],
        cwd: project,
        stderr: 'pipe',
      });
      const client = new Client({ name: 'packed-package-test', version: '0.0.0' });
      await client.connect(transport);
      const pid = transport.pid!;
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(
          expect.arrayContaining(['create_tenant', 'generate', 'add_fault_rule', 'read_journal']),
        );
      } finally {
        process.kill(pid, 'SIGTERM');
        await waitFor(() => !isRunning(pid), 'the mcp process to exit');
        await client.close();
      }
    },
    2 * MINUTES,
  );

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

  it(
    'type-checks a consumer with no Node types: the published declarations need no @types/node',
    async () => {
      const tsc = join(project, 'node_modules', '.bin', 'tsc');
      const config = join(project, 'tsconfig.no-node-types.json');
      await run(tsc, ['-p', config], { cwd: project });
      // @types/node is installed (for the test above): none of its files may be pulled in.
      const { stdout } = await run(tsc, ['-p', config, '--listFilesOnly'], { cwd: project });
      const files = stdout.trim().split('\n');
      expect(files.some((f) => f.includes('/dreamcore-simulator/dist/mock-server/src/index.d.ts'))).toBe(
        true,
      );
      expect(files.filter((f) => f.includes('/@types/node/'))).toEqual([]);
    },
    2 * MINUTES,
  );

  it(
    'is require()d from CommonJS: both entry points, a simulator started, a generate, a stop',
    async () => {
      const { stdout } = await run(process.execPath, [join(project, 'consumer.cjs')], { cwd: project });
      expect(stdout).toContain('commonjs consumer: SUCCESS function function');
    },
    2 * MINUTES,
  );

  it(
    `runs in a jest test in CommonJS (${jestRequiresEsm ? 'require() and import()' : 'import(); require() needs Node 24.9'})`,
    async () => {
      const jest = join(project, 'node_modules', 'jest', 'bin', 'jest.js');
      const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' };
      const jestRun = (pattern: string) =>
        run(process.execPath, [jest, '--ci', pattern], { cwd: project, env }).then(
          ({ stderr }) => ({ ok: true, stderr }),
          (err: { stderr: string }) => ({ ok: false, stderr: err.stderr }),
        );
      const imported = await jestRun('import.jest.test.cjs');
      expect(imported.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
      expect(imported.ok).toBe(true);
      const required = await jestRun('require.jest.test.cjs');
      if (jestRequiresEsm) {
        expect(required.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
        expect(required.ok).toBe(true);
      } else {
        // jest's own limitation, not the package's: plain node require()s it on this Node (above).
        expect(required.stderr).toContain('Use Node v24.9+ where Jest supports require(esm) natively');
        expect(required.ok).toBe(false);
      }
    },
    2 * MINUTES,
  );

  it('brings no install script with it: no @scarf/scarf (swagger-ui-dist is not a dependency)', async () => {
    const ls = await run('npm', ['ls', '@scarf/scarf', '--all', '--json'], { cwd: project }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    );
    expect(JSON.parse(ls.stdout)).not.toHaveProperty('dependencies');
    // npm names each package whose install scripts it did not run or allow: none of ours.
    const flagged = [...installLog.matchAll(/install-scripts\s+(@?[^@\s]+)@\S+ \(/g)].map((m) => m[1]);
    expect(flagged.filter((name) => name === 'dreamcore-simulator' || name === '@scarf/scarf')).toEqual([]);
    expect(installLog).not.toContain('scarf');
  });

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
    expect(files).toContain('package/LICENSE');
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE'])
      expect(files).toContain(`package/dist/swagger-ui/${file}`);
  });
});
