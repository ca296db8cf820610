/**
 * What of an upstream's answer may be served in the simulator's origin. The proxy and the replay
 * answer on the simulator's own host, next to its control API and console: an HTML page passed on
 * from an upstream (a gateway's error page, a crafted cassette) would run its script there, with the
 * control API in reach. So only what the spec lets the API answer passes:
 *
 * - a body only as JSON: a JSON media type (`application/json`, `application/*+json`) and a body that
 *   parses; anything else is refused as drift (proxy/exchange.ts answers 502 in the envelope, saying
 *   what was refused), never rendered. An empty body passes (there is nothing to render);
 * - headers only from the recorder's allowlist (RESPONSE_HEADERS: the ones openapi.yaml documents,
 *   Allow and Content-Type; a test holds the list to the spec), so no cookie, redirect, policy or CORS
 *   header of the upstream's is ever set; the body's framing is recomputed;
 * - every answer the gateway makes is marked `X-Content-Type-Options: nosniff` (NO_SNIFF).
 */
import { RESPONSE_HEADERS } from '../cassette/cassette.js';

/** The simulator's own (every answer carries it); the gateway marks its answers with it too. */
export { NO_SNIFF } from '../http/no-sniff.js';

const PASSED = new Set<string>(RESPONSE_HEADERS);

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  const media = mediaTypeOf(contentType);
  return media === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(media);
}

/** The headers that may pass (lower-case names), Content-Type only when it says JSON. */
export function passedHeaders(headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  return headers
    .filter(([name, value]) => PASSED.has(name) && (name !== 'content-type' || isJsonMediaType(value)))
    .map(([name, value]) => [name, value]);
}

/** Why an answer is no API answer at all, as a drift finding names it. */
export interface ForeignContent {
  kind: 'content-type' | 'body';
  where: 'content-type' | 'body';
  /** What was refused: `has content type "text/html", not JSON`. */
  what: string;
}

/** Why an answer may not be served (undefined: it may); `isJson` says whether its body parsed as JSON. */
export function foreignContent(answer: {
  contentType: string | undefined;
  bodyLength: number;
  isJson: boolean;
}): ForeignContent | undefined {
  if (answer.bodyLength === 0) return undefined;
  if (!isJsonMediaType(answer.contentType)) {
    const media = mediaTypeOf(answer.contentType) || '(none)';
    const shown = JSON.stringify(media.length > 60 ? `${media.slice(0, 57)}...` : media);
    return { kind: 'content-type', where: 'content-type', what: `has content type ${shown}, not JSON` };
  }
  if (!answer.isJson)
    return { kind: 'body', where: 'body', what: 'says it is JSON but its body is not valid JSON' };
  return undefined;
}
