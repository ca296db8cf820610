/**
 * A simulator whose logs are captured (pino at trace, one line per request), for tests that hold
 * secrets out of the logs: every line the simulator writes, as text.
 */
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { compose, createLogger, type Composition } from '../../mock-server/src/compose.js';
import { parseConfig } from '../../mock-server/src/config.js';
import { BASE_ARGS } from './harness.js';

export interface CapturedSimulator extends Composition {
  http: ReturnType<typeof supertest>;
  lines: string[];
  text(): string;
}

export async function capturingSimulator(args: string[]): Promise<CapturedSimulator> {
  const config = parseConfig([...BASE_ARGS, '--request-log=on', '--log-level=trace', ...args], {});
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const composition = await compose(config, { logger: createLogger(config, sink) });
  return { ...composition, http: supertest(composition.app), lines, text: () => lines.join('') };
}

/** Lets pino-http write the lines of responses that have just finished. */
export const flushLogs = () => new Promise<void>((resolve) => setImmediate(resolve));
