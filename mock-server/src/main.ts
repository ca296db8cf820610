/**
 * The only impure entry point: config -> composition -> listen -> banner -> graceful shutdown.
 */
import type { AddressInfo } from 'node:net';
import { CommanderError } from 'commander';
import { buildCommand, DEV_KEY, parseConfig, type Config } from './config.js';
import { compose } from './compose.js';
import { warmUpImages } from './images/image-renderer.js';

const IMAGE_WARM_UP_DELAY_MS = 1_000;

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
    // The token travels in the fragment, which the browser never sends: the console reads it and keeps it in the tab.
    `  Console:   ${url}/__mock/console${config.controlTokenGenerated ? `#token=${config.controlToken}` : ''}   Docs: ${url}/docs`,
    '',
    '  Try it:',
    `    curl -s ${url}/api/generate -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
    `      -d '{"prompt":"Cinematic photo of an obsidian smartwatch","aspectRatio":"4:3","quality":"high"}'`,
    `    curl -s '${url}/api/status?task_id=<task_id>' -H 'Authorization: Bearer ${key}'`,
    '',
  ];
  return lines.join('\n');
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

  const { app, logger, requestValidators } = await compose(config);
  const server = app.listen(config.port, config.host);
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout, so they close first
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch((err: NodeJS.ErrnoException) => {
    process.stderr.write(
      `dreamcore-simulator: cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}\n`,
    );
    process.exit(1);
  });
  // Before the banner: whoever starts us may send SIGTERM as soon as it reads "listening on".
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  logger.info({ port, host: config.host, seed: config.seed, requestValidators }, 'ready');
  process.stdout.write(banner(config, url) + '\n');
  // Loading libvips blocks the event loop for about 100 ms: done a moment after start, not in the
  // way of a client's (or a health check's) first requests, and still before a task can succeed.
  setTimeout(() => {
    warmUpImages().catch((err: unknown) => logger.warn({ err }, 'image encoder warm-up failed'));
  }, IMAGE_WARM_UP_DELAY_MS).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `dreamcore-simulator: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
