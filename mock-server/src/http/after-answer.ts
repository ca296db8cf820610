/**
 * The first step of every request, and the one hook after its answer (fastify's `onRequest` and
 * `onResponse`, msw's `request:start` and `request:end`): the context is created here, and when the
 * connection is done with the request (answered, or closed without an answer as a network fault or a
 * client that left does), the metrics count it and the journal records what the responder did not.
 */
import type { RequestHandler } from 'express';
import type { Answering, RequestContext } from './context.js';
import type { JournalRecorder } from './journal-recorder.js';
import { isControlPath } from './journal-recorder.js';
import { ABSOLUTE_FORM } from './middleware/host-allowlist.js';
import { NO_SNIFF } from './no-sniff.js';
import type { RequestRenderer } from './request-rendering.js';

/** The templates of control-api.yaml's journal-free paths: the control API and the reference page. */
const CONTROL_TEMPLATE = /^\/(__mock|docs)(\/|$)/;

/** The path of a request target: origin-form as it is, absolute-form's path, no query. */
function pathOf(url: string): string {
  let target = url;
  if (ABSOLUTE_FORM.test(target)) {
    try {
      target = new URL(target).pathname;
    } catch {
      return url;
    }
  }
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

export interface AfterAnswer {
  (ctx: RequestContext): void;
}

export function requestContexts(deps: {
  render: RequestRenderer;
  recorder: JournalRecorder;
  respond: Answering;
  /** Everything else to do once a request is done (the metrics). */
  afterAnswer: AfterAnswer;
}): RequestHandler {
  const { render, recorder, respond, afterAnswer } = deps;
  return (req, res, next) => {
    const rendered = render(req);
    const path = pathOf(req.url);
    const ctx: RequestContext = {
      req,
      res,
      respond,
      started: performance.now(),
      startedAt: Date.now(),
      path,
      rendered,
      // A path that matched a spec template is the control API's when its template is; only the
      // others need the lenient check of every spelling.
      journaled:
        rendered.template !== undefined ? !CONTROL_TEMPLATE.test(rendered.template) : !isControlPath(path),
    };
    res.locals.ctx = ctx;
    // Once, before anything can answer: every answer of the app carries it.
    res.setHeader(NO_SNIFF.name, NO_SNIFF.value);
    // 'close' comes after 'finish' when the answer was sent, and alone when the connection went first.
    res.once('close', () => {
      void recorder.record(ctx, res.headersSent ? res.statusCode : 0, undefined);
      afterAnswer(ctx);
    });
    next();
  };
}
