/**
 * The only impure entry point: config -> composition -> listen -> banner -> graceful shutdown.
 */
import cluster from 'node:cluster';
import { CommanderError } from 'commander';
import { helpText, runSubcommand, serveArgs } from './cli/subcommands.js';
import { banner, bannerFacts, type BannerFacts } from './banner.js';
import { packageVersion, parseConfig, type Config } from './config.js';
import { compose, createLogger } from './compose.js';
import { createSimulatorServer } from './http/server.js';
import { createStdoutLogDestination } from './log-destination.js';

const IMAGE_WARM_UP_DELAY_MS = 1_000;
/** Idle tenants are dropped on this period too, not only when tenants are listed or created. */
const TENANT_SWEEP_MS = 60_000;
/** A worker that died is started again after this long (the fleet keeps its size). */
const WORKER_RESTART_MS = 1_000;
const PARENT_CHECK_MS = 1_000;
/** After the grace period, the exit itself (closing connections, flushing logs) gets this long. */
const EXIT_MARGIN_MS = 1_000;

/**
 * Under `npm start` the start script `exec`s node, so npm's forwarded SIGTERM and SIGINT reach us.
 * An npm that is SIGKILLed forwards nothing, and we would be left running, orphaned, holding the
 * port. Once the parent that started us is gone the kernel gives us a new one (init or a
 * subreaper), so a changed ppid means "stop". Only when run as an npm script: a simulator that a
 * shell deliberately starts in the background (`nohup node dist/... &`) outlives that shell.
 */
function watchParent(onGone: () => void, everyMs = PARENT_CHECK_MS): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref(); // never what keeps the process alive
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const exitCode = await runSubcommand(args); // `cassette ...`: not a start (cli/subcommands.ts)
  if (exitCode !== undefined) {
    process.exitCode = exitCode;
    return;
  }
  let config: Config;
  try {
    config = parseConfig(serveArgs(args));
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        process.stdout.write(helpText());
        process.exit(0);
      }
      if (err.code === 'commander.version') {
        process.stdout.write(`${packageVersion()}\n`);
        process.exit(0);
      }
      process.stderr.write(`dreamcore-simulator: ${err.message.replace(/^error: /, '')}\n`);
      process.stderr.write('Run with --help to list the options.\n');
      process.exit(2);
    }
    throw err;
  }

  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config);

  const logs = createStdoutLogDestination();
  // Output nobody reads any more must not end the process: EPIPE on the banner or on stderr is
  // ignored (the logs handle their own). Every way out flushes what the logs still hold, once.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  process.once('exit', () => logs.flushBeforeExit());
  const exit = (code: number): never => {
    logs.flushBeforeExit();
    process.exit(code);
  };

  const { app, images, logger, requestValidators, backend, tenancy } = await compose(config, {
    logger: createLogger(config, logs.stream),
  });
  const http = createSimulatorServer(app, config.server);
  const { port } = await http.listen(config.port, config.host).catch((err: NodeJS.ErrnoException) => {
    process.stderr.write(
      `dreamcore-simulator: cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}\n`,
    );
    return exit(1);
  });
  // Before the banner: whoever starts us may send SIGTERM as soon as it reads "listening on".
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    // The bound whatever else happens: the drain ends at the grace period, the exit a second later.
    setTimeout(() => exit(0), config.shutdownGraceMs + EXIT_MARGIN_MS).unref();
    void http.drain(config.shutdownGraceMs).then(async (how) => {
      if (how === 'drained') logger.info('stopped');
      else logger.warn('stopped: grace period over, the connections still open were closed');
      await backend.close().catch(() => undefined); // the exit timer above bounds this too
      exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A worker of a fleet (--workers) stops with its primary.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary exited'));
  setInterval(() => {
    tenancy.sweep().catch((err: unknown) => logger.warn({ err }, 'tenant sweep failed'));
  }, TENANT_SWEEP_MS).unref();
  const stopsWithParent = Boolean(process.env.npm_lifecycle_event);
  if (stopsWithParent) watchParent(() => stop('parent exited'));

  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  logger.info(
    { port, host: config.host, pid: process.pid, stopsWithParent, seed: config.seed, requestValidators },
    'ready',
  );
  // The primary of a fleet prints the banner once, for all its workers, with what the store holds.
  const facts = await bannerFacts(tenancy);
  if (cluster.isWorker) process.send?.({ type: 'dreamcore:listening', port, facts });
  else process.stdout.write(banner(config, url, facts) + '\n');
  // Loading libvips blocks the event loop for about 100 ms: done a moment after start, not in the
  // way of a client's (or a health check's) first requests, and still before a task can succeed.
  setTimeout(() => {
    images.warmUp().catch((err: unknown) => logger.warn({ err }, 'image encoder warm-up failed'));
  }, IMAGE_WARM_UP_DELAY_MS).unref();
}

/**
 * `--workers N`: N processes of one machine serving one port (node's cluster module shares it),
 * all on the Redis store, so they are one simulator. The primary serves nothing: it starts the
 * workers, prints the banner when all listen, starts again a worker that dies, and stops them all on
 * SIGTERM or SIGINT.
 */
function runPrimary(config: Config): void {
  let stopping = false;
  let listening = 0;
  let bannerShown = false;
  // What the configuration drew at random (the seed, a control token beyond loopback) is drawn once,
  // here, and handed to every worker: a fleet has one seed and one token.
  const env = {
    DREAMCORE_SEED: config.seed,
    ...(config.controlToken ? { DREAMCORE_CONTROL_TOKEN: config.controlToken } : {}),
  };
  const fork = () => cluster.fork(env);
  cluster.on('message', (_worker, message: { type?: string; port?: number; facts?: BannerFacts }) => {
    if (message?.type !== 'dreamcore:listening' || bannerShown) return;
    if (++listening < config.workers) return;
    bannerShown = true;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${message.port}`;
    process.stdout.write(banner(config, url, message.facts) + '\n');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(
      `dreamcore-simulator: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`,
    );
    setTimeout(fork, WORKER_RESTART_MS).unref();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), config.shutdownGraceMs + 2 * EXIT_MARGIN_MS).unref();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < config.workers; i++) fork();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `dreamcore-simulator: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
