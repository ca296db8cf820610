/**
 * The ceiling for an Express 5 server on this machine: the simulator's routes with the same JSON
 * bodies, but no validation, no authentication, no state. It parses the JSON body (any server
 * must read it) and the query string, then answers a constant-shaped body.
 *
 * run-bench.ts transpiles this file and runs it with plain `node` (no loader), on PORT (0: any
 * free port) and HOST; it prints `listening on http://HOST:PORT` when ready.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.set('query parser', 'simple');
app.use(express.json({ limit: '64kb' }));

const PROMPT =
  'Cinematic photo of sparkling handmade plastic tuna in Domenickmouth, red palette, stormy lighting, volumetric fog';
let next = 0;

app.post('/api/generate', (_req, res) => {
  const taskId = `sd45_${(next++).toString(16).padStart(16, '0')}`;
  res.json({ code: 200, message: 'success', data: { task_id: taskId } });
});

app.get('/api/status', (req, res) => {
  const taskId = String(req.query.task_id);
  res.json({
    code: 200,
    message: 'success',
    data: {
      task_id: taskId,
      status: 'SUCCESS',
      request: { prompt: PROMPT, aspectRatio: '16:9', quality: 'high' },
      response: [`${req.protocol}://${req.get('host') ?? 'localhost'}/files/${taskId}/0.jpg`],
      consumed_credits: 18,
      error_message: null,
      created_at: '2025-06-14T05:21:11Z',
    },
  });
});

app.get('/__mock/health', (_req, res) => {
  res.json({ code: 200, message: 'success', data: { status: 'ok' } });
});

const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://${address}:${port}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
