/**
 * Builds the gateway of proxy or replay mode from the configuration. Imported by compose.ts only in
 * those modes (it loads the drift checker and Ajv, which a simulator answering itself does without).
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { readCassette } from '../cassette/cassette.js';
import { CassetteRecorder } from '../cassette/recorder.js';
import { CassetteReplay } from '../cassette/replay.js';
import type { DriftSummaries } from '../drift/drift-summary.js';
import { SpecDrift } from '../drift/spec-drift.js';
import { specOperations } from '../http/load-spec.js';
import { displayTarget } from './display.js';
import { createGateway } from './exchange.js';
import type { Gateway } from './gateway.js';
import { LiveUpstream } from './live-upstream.js';

export async function gatewayFor(
  config: Config,
  deps: { summaries: DriftSummaries; version: string; logger?: Pick<Logger, 'error'> },
): Promise<Gateway> {
  const drift = await SpecDrift.load();
  const generatePath = specOperations(drift.document).find(
    (op) => op.operationId === 'createGenerationTask',
  )!.path;
  const common = {
    drift,
    summaries: deps.summaries,
    rateLimit: config.rateLimit,
    faultHeaders: config.faultHeaders,
    bodyLimit: config.bodyLimit,
    generatePath,
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
  if (config.proxy) {
    const { target, strict, maxCredits, timeoutMs, recordFile } = config.proxy;
    return createGateway({
      ...common,
      upstream: new LiveUpstream(target, timeoutMs),
      strict,
      maxCredits,
      recorder:
        recordFile === undefined
          ? undefined
          : new CassetteRecorder(
              resolve(recordFile),
              displayTarget(target),
              `dreamcore-simulator ${deps.version}`,
            ),
    });
  }
  if (!config.replay) throw new Error('gatewayFor: neither --proxy nor --replay');
  const file = resolve(config.replay.file);
  let cassette;
  try {
    cassette = await readCassette(file);
  } catch (error) {
    throw new Error(`--replay: ${(error as Error).message}`, { cause: error });
  }
  const replay = new CassetteReplay(cassette, config.replay.timing, config.replay.file);
  return createGateway({
    ...common,
    upstream: replay,
    strict: config.replay.strict,
    maxCredits: undefined,
    recorder: undefined,
    fileHandler: (images) => replay.fileHandler(images),
  });
}
