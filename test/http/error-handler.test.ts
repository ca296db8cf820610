/**
 * The one error exit, for the failures of a shared store: each is an answer in the envelope with
 * Retry-After, never a 500 with a stack. A tenant dropped (through another replica) between the
 * moment a request found it and the moment it read it is such a failure: transient, so 503.
 */
import express from 'express';
import { pino } from 'pino';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../mock-server/src/http/middleware/error-handler.js';
import { StoreUnavailableError, WorldMissingError } from '../../mock-server/src/store/store.js';

function appThrowing(err: unknown) {
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(errorHandler(pino({ level: 'silent' }), '1kb'));
  return supertest(app);
}

describe('the error handler, for a shared store', () => {
  it('a world dropped meanwhile: 503 service_unavailable with Retry-After, the world not named', async () => {
    const res = await appThrowing(new WorldMissingError('t-0123456789ab')).get('/x');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ code: 503, data: { type: 'service_unavailable' } });
    expect(res.text).not.toContain('t-0123456789ab');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('the store unreachable: 503 with its Retry-After', async () => {
    const res = await appThrowing(new StoreUnavailableError('connection refused')).get('/x');
    expect([res.status, res.headers['retry-after'], res.body.data.type]).toEqual([
      503,
      '1',
      'service_unavailable',
    ]);
  });

  it('anything else: 500 internal_error, no stack', async () => {
    const res = await appThrowing(new Error('boom at /srv/x.ts:1')).get('/x');
    expect([res.status, res.body.data.type]).toEqual([500, 'internal_error']);
    expect(res.text).not.toContain('boom');
  });
});
