/**
 * What the README says takes a rate-limit token, held to the code: the limiter runs after fault
 * injection and authentication and before the body is read, so requests refused after it (400, 402)
 * take one; its own 429s, and answers QA forced before it, take none.
 */
import { expect, it } from 'vitest';
import { SAMPLE_REQUEST, testSimulator } from '../support/harness.js';

it('400 and 402 take a token; forced answers and the 429s of the limiter take none', async () => {
  const sim = await testSimulator(['--rate-limit=generate=3/60s,status=60/10s']);
  const generate = (body: object, headers: Record<string, string> = {}, key?: string) =>
    sim.http.post('/api/generate').set(sim.auth(key)).set(headers).send(body);
  const remaining = (res: { headers: Record<string, string> }) => res.headers['x-ratelimit-remaining'];

  const forced = await generate(SAMPLE_REQUEST, { 'X-Mock-Status': '500' });
  expect([forced.status, remaining(forced)]).toEqual([500, undefined]); // before the limiter: no token
  const invalid = await generate({ prompt: 'no ratio' });
  expect([invalid.status, remaining(invalid)]).toEqual([400, '2']);
  await sim.http.put('/__mock/accounts/sk-dreamcore-dev').send({ balance: 0 });
  const unpaid = await generate(SAMPLE_REQUEST);
  expect([unpaid.status, remaining(unpaid)]).toEqual([402, '1']);
  await sim.http.put('/__mock/accounts/sk-dreamcore-dev').send({ balance: 1000 });
  const accepted = await generate(SAMPLE_REQUEST);
  expect([accepted.status, remaining(accepted)]).toEqual([200, '0']);
  for (let i = 0; i < 5; i++) expect((await generate(SAMPLE_REQUEST)).status).toBe(429);
  // One token refills in 20 s; had the five 429s taken tokens, the bucket would still be empty.
  sim.advance(20_000);
  expect((await generate(SAMPLE_REQUEST)).status).toBe(200);
});
