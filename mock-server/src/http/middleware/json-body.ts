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

export function jsonBody(limit: string): RequestHandler {
  return express.json({
    limit,
    strict: true,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => {
      (req as { [RAW_BODY]?: Buffer })[RAW_BODY] = buf;
    },
  });
}

interface BodyParserError {
  type: string;
  status?: number;
}

export function translateBodyParserError(
  err: unknown,
  limit: string,
  contentType: string | undefined,
): ApiError | undefined {
  if (typeof err !== 'object' || err === null || typeof (err as BodyParserError).type !== 'string')
    return undefined;
  switch ((err as BodyParserError).type) {
    case 'entity.parse.failed':
      return errors.invalidRequest([{ field: 'body', message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return errors.payloadTooLarge(limit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return errors.unsupportedMediaType(contentType);
    case 'request.size.invalid':
    case 'request.aborted':
    case 'stream.encoding.set':
      return errors.invalidRequest([{ field: 'body', message: 'could not be read' }]);
    default:
      return undefined;
  }
}
