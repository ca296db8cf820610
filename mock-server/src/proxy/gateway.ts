/**
 * Proxy and replay modes as the app sees them (types only, so that a simulator that answers itself
 * never loads the drift checker or Ajv): what takes the public API's requests in place of
 * authentication and the handlers, and what the control API shows of it.
 */
import type { Request, RequestHandler } from 'express';
import type { ImageRenderer } from '../images/image-renderer.js';

export interface GatewayInfo {
  mode: 'proxy' | 'replay';
  /** The live API's base URL (proxy), or the one the cassette was recorded from (replay). */
  target: string;
  strict: boolean;
  /** The credit guard's limit (`--proxy-max-credits`), if any. */
  maxCredits: number | undefined;
}

export interface Gateway {
  readonly info: GatewayInfo;
  /**
   * The handlers of every public API route after fault injection, in place of authentication, the
   * rate limiter, validation and the operations' handlers; they end every request.
   */
  publicHandlers(options: { baseUrl: (req: Request) => string }): RequestHandler[];
  /** Before the image files' own handler (a replay serves its recorded tasks' images). */
  fileHandler?(images: ImageRenderer): RequestHandler;
  /** A world was reset (`undefined`: every world): cursors and summaries start again. */
  onReset(worldId: string | undefined): void;
}

/** The name of the credit guard's budget in a world's store (Store.reserveBudget). */
export const CREDIT_BUDGET = 'proxy-credits';

/** What the task-shaping QA headers are: they cannot shape a task the live API runs. */
export const TASK_SHAPING_HEADERS = [
  'x-mock-outcome',
  'x-mock-error-message',
  'x-mock-duration-ms',
  'x-mock-polls',
] as const;
