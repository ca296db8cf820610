/**
 * The live API as an upstream: each request forwarded with Node's fetch (undici), with the caller's
 * own headers (their key included) minus hop-by-hop headers and the simulator's QA headers, within a
 * bounded time; the whole answer read (the API's are small JSON; larger than MAX_ANSWER_BYTES is a
 * failure, not a stalled proxy).
 */
import type { Upstream, UpstreamFailure, UpstreamRequest, UpstreamResult } from './upstream.js';

/** Never forwarded: connection-level headers, the body's framing (recomputed), and our QA headers. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'host',
  'content-length',
  // The body was decoded on the way in; fetch negotiates and decodes the answer's encoding itself.
  'content-encoding',
  'accept-encoding',
  // QA's: decided here, never the live API's business (X-Mock-* and Prism's Prefer: code=).
  'prefer',
]);

/** Largest answer read: the API's answers are a few KB; anything this big is not one of them. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export function forwardedHeaders(headers: UpstreamRequest['headers']): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || name.startsWith('x-mock-')) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}

/** Codes of a connection that was never made: nothing reached the live API. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class LiveUpstream implements Upstream {
  readonly mode = 'proxy' as const;

  constructor(
    readonly target: string,
    private readonly timeoutMs: number,
  ) {}

  async exchange(request: UpstreamRequest): Promise<UpstreamResult> {
    const started = performance.now();
    const failure = (f: Omit<UpstreamFailure, 'durationMs'>): UpstreamResult => ({
      kind: 'failure',
      failure: { ...f, durationMs: Math.round(performance.now() - started) },
    });
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
    try {
      const response = await fetch(`${this.target}${request.url}`, {
        method: request.method,
        headers: forwardedHeaders(request.headers),
        ...(hasBody ? { body: request.body } : {}),
        redirect: 'manual', // a redirect goes back to the caller as it was answered
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = await readLimited(response, MAX_ANSWER_BYTES);
      if (body === undefined) {
        return failure({
          kind: 'too-large',
          message: `the live API's answer is larger than ${MAX_ANSWER_BYTES} bytes`,
          mayHaveArrived: true,
        });
      }
      const headers: Array<[string, string]> = [];
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers.push([name, value]);
      });
      for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
      return {
        kind: 'answer',
        answer: {
          status: response.status,
          headers,
          body,
          durationMs: Math.round(performance.now() - started),
        },
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return failure({
          kind: 'timeout',
          message: `no answer from the live API within ${this.timeoutMs} ms (--proxy-timeout-ms)`,
          mayHaveArrived: true,
        });
      }
      const code = causeCode(error);
      return failure({
        kind: code !== undefined && NOT_CONNECTED.has(code) ? 'unreachable' : 'network',
        message: `the live API could not be reached${code ? ` (${code})` : ''}`,
        mayHaveArrived: code === undefined || !NOT_CONNECTED.has(code),
      });
    }
  }
}

function causeCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The body's bytes, or undefined past `limit` (the rest is not read). */
async function readLimited(response: Response, limit: number): Promise<Buffer | undefined> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Uint8Array).byteLength;
    if (size > limit) return undefined; // leaving the loop cancels the stream
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
