/**
 * The cassette: what the live API really said, one exchange after another, as a documented and
 * versioned JSON document (README, "Proxy, record, replay"). Written by the proxy (`--record`),
 * served back by the replay (`--replay`), turned into a scenario (`dreamcore-simulator cassette
 * to-scenario`).
 *
 * Made for people and for review: pretty-printed, every object's keys in one fixed order (headers and
 * query parameters sorted by name), bodies as JSON values, keys redacted (cassette/redaction.ts).
 */
import { readFileSync, statSync } from 'node:fs';

export * from './cassette-format.js';
import {
  CASSETTE_FORMAT,
  CASSETTE_VERSION,
  type Cassette,
  type CassetteRequest,
  type CassetteResponse,
} from './cassette-format.js';

/**
 * Reads a cassette and validates it whole (cassette-validation.ts): the error names the file, the
 * exchange and what is wrong. Every reader of a cassette goes through here.
 */
export async function readCassette(file: string): Promise<Cassette> {
  const { MAX_CASSETTE_BYTES, validateCassette } = await import('./cassette-validation.js');
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_CASSETTE_BYTES)
      throw new Error(`it is larger than ${MAX_CASSETTE_BYTES} bytes (${size}); record one session per file`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the cassette ${file}: ${(error as Error).message}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a cassette: not valid JSON`);
  }
  const version = (doc as { version?: unknown } | null)?.version;
  if ((doc as { format?: unknown } | null)?.format === CASSETTE_FORMAT && version !== CASSETTE_VERSION) {
    throw new Error(
      `${file} is a cassette of version ${JSON.stringify(version)}; this simulator reads version ${CASSETTE_VERSION}`,
    );
  }
  const cassette = await validateCassette(doc, file);
  cassette.exchanges.sort((a, b) => a.id - b.id);
  return cassette;
}

/** The text of a cassette: pretty-printed, with a final newline (the objects are built in a fixed order). */
export function cassetteText(cassette: Cassette): string {
  return `${JSON.stringify(cassette, null, 2)}\n`;
}

/** A task id in a request (query or JSON body), as the API reads it. */
export function requestTaskId(request: CassetteRequest): string | undefined {
  const fromQuery = request.query.task_id;
  if (typeof fromQuery === 'string') return fromQuery;
  const fromBody = (request.body as { task_id?: unknown } | undefined)?.task_id;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

/** The `data.task_id` of an answer's JSON body, if any. */
export function answerTaskId(response: CassetteResponse | undefined): string | undefined {
  const id = (response?.body as { data?: { task_id?: unknown } } | undefined)?.data?.task_id;
  return typeof id === 'string' ? id : undefined;
}
