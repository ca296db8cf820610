/**
 * The only impure entry point: config -> composition -> listen -> banner -> graceful shutdown.
 */
import { CommanderError } from 'commander';
import { buildCommand, DEV_KEY, parseConfig, type Config } from './config.js';
import { compose, createLogger } from './compose.js';
import { createSimulatorServer } from './http/server.js';
import { createStdoutLogDestination } from './log-destination.js';

const IMAGE_WARM_UP_DELAY_MS = 1_000;
const PARENT_CHECK_MS = 1_000;
/** After the grace period, the exit itself (closing connections, flushing logs) gets this long. */
const EXIT_MARGIN_MS = 1_000;

function banner(config: Config, url: string): string {
  const devKey = config.keys.find((k) => k.apiKey === DEV_KEY);
  const key = devKey ? DEV_KEY : '<YOUR_KEY>';
  const lines = [
    '',
    `  DreamCore simulator listening on ${url}`,
    '',
    devKey ? `  Dev key:   ${DEV_KEY} (${devKey.balance} credits)` : '  Dev key:   off',
    `  Keys:      ${config.keys.length} configured`,
    `  Clock:     ${config.clock}   Latency: ${config.latency}   Failure rate: ${config.failureRate}`,
    `  Seed:      ${config.seed}${config.seedGenerated ? ' (random; pass --seed to replay this run)' : ''}`,
    `  Rate limit: ${config.rateLimit === 'off' ? 'off' : `generate ${config.rateLimit.generate.limit}/${config.rateLimit.generate.windowMs / 1000}s, status ${config.rateLimit.status.limit}/${config.rateLimit.status.windowMs / 1000}s per key`}`,
    `  Control:   ${url}/__mock/health${config.controlToken ? `  (token${config.controlTokenGenerated ? ` ${config.controlToken}` : ' set'})` : ''}`,
    '',
    '  Try it:',
    `    curl -s ${url}/api/generate -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
    `      -d '{"prompt":"Cinematic photo of an obsidian smartwatch","aspectRatio":"4:3","quality":"high"}'`,
    `    curl -s '${url}/api/status?task_id=<task_id>' -H 'Authorization: Bearer ${key}'`,
    '',
  ];
  return lines.join('\n');
}

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
  let config: Config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        process.stdout.write(buildCommand().helpInformation());
        process.exit(0);
      }
      process.stderr.write(`dreamcore-simulator: ${err.message.replace(/^error: /, '')}\n`);
      process.stderr.write('Run with --help to list the options.\n');
      process.exit(2);
    }
    throw err;
  }

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

  const { app, images, logger, requestValidators } = await compose(config, {
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
    void http.drain(config.shutdownGraceMs).then((how) => {
      if (how === 'drained') logger.info('stopped');
      else logger.warn('stopped: grace period over, the connections still open were closed');
      exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const stopsWithParent = Boolean(process.env.npm_lifecycle_event);
  if (stopsWithParent) watchParent(() => stop('parent exited'));

  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  logger.info(
    { port, host: config.host, pid: process.pid, stopsWithParent, seed: config.seed, requestValidators },
    'ready',
  );
  process.stdout.write(banner(config, url) + '\n');
  // Loading libvips blocks the event loop for about 100 ms: done a moment after start, not in the
  // way of a client's (or a health check's) first requests, and still before a task can succeed.
  setTimeout(() => {
    images.warmUp().catch((err: unknown) => logger.warn({ err }, 'image encoder warm-up failed'));
  }, IMAGE_WARM_UP_DELAY_MS).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `dreamcore-simulator: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
