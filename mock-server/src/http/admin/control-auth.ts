/**
 * The control plane needs `X-Mock-Token` when a token is configured (always when the simulator
 * listens beyond loopback). Compared in constant time. Health stays open for container checks.
 */
import type { RequestHandler } from 'express';
import { secretsEqual } from '../../domain/keys.js';
import { ApiError } from '../errors.js';

export function controlAuth(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (token === undefined || req.path === '/health') return next();
    const given = req.headers['x-mock-token'];
    if (typeof given === 'string' && secretsEqual(given, token)) return next();
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
