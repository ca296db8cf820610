/**
 * JSON bodies, bounded in size. The body parser's own errors (bad JSON, too large, bad charset)
 * are translated into the envelope by `translateBodyParserError`.
 */
import express, { type RequestHandler } from 'express';
import { errors, type ApiError } from '../errors.js';

/** The body's bytes as the client sent them, for the journal (the validator later fills in defaults). */
export const RAW_BODY = Symbol('rawBody');

export function rawBodyOf(req: object): Buffer | undefined {
  return (req as { [RAW_BODY]?: Buffer })[RAW_BODY];
}

/**
 * GET and HEAD carry no body in this API: one sent anyway is not read, so it cannot turn a status
 * poll into a 413 or 415 that the spec does not list for it.
 */
export function jsonBody(limit: string): RequestHandler {
  const parse = express.json({
    limit,
    // Not strict: `42`, `"x"` and `null` are valid JSON, and body-parser's strict mode would call them a
    // syntax error ("is not valid JSON"). They reach the operation's validator, which says what is wrong
    // with them (the body must be an object), as it does for `[]`.
    strict: false,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => {
      (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = buf;
    },
  });
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : parse(req, res, next));
}

/** body-parser's errors are http-errors: a `type` for the ones it names, always a 4xx `status`. */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

export function translateBodyParserError(
  err: unknown,
  limit: string,
  headers: { 'content-type'?: string; 'content-encoding'?: string },
): ApiError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status, expose } = err as BodyParserError;
  switch (type) {
    case 'entity.parse.failed':
      return errors.invalidRequest([{ field: 'body', message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return errors.payloadTooLarge(limit);
    case 'encoding.unsupported':
      return errors.unsupportedEncoding(headers['content-encoding']);
    case 'charset.unsupported':
      return errors.unsupportedMediaType(headers['content-type']);
    case 'request.size.invalid':
    case 'request.aborted':
    case 'stream.encoding.set':
      return errors.invalidRequest([{ field: 'body', message: 'could not be read' }]);
  }
  // An untyped client error of the parser: a body that claims gzip/deflate/br and does not inflate.
  if (expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    return errors.invalidRequest([
      { field: 'body', message: `could not be decoded as ${headers['content-encoding'] ?? 'sent'}` },
    ]);
  }
  return undefined;
}
