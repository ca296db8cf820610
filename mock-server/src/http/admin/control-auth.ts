/**
 * The control plane needs `X-Mock-Token` when a token is configured (always when the simulator
 * listens beyond loopback). Compared in constant time. Health stays open for container checks.
 */
import type { RequestHandler } from 'express';
import { secretsEqual } from '../../domain/keys.js';
import { ApiError } from '../errors.js';

/** Whether a request carries the control token (or none is needed). */
export function hasControlToken(
  token: string | undefined,
  req: { headers: Record<string, unknown> },
): boolean {
  if (token === undefined) return true;
  const given = req.headers['x-mock-token'];
  return typeof given === 'string' && secretsEqual(given, token);
}

export function controlAuth(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (req.path === '/health' || hasControlToken(token, req)) return next();
    next(
      new ApiError(
        401,
        'The control API needs X-Mock-Token: <token> (printed at start, or set with --control-token)',
        {
          type: 'unauthorized',
        },
      ),
    );
  };
}
