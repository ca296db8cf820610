/**
 * What the proxy's exchange steps share (exchange.ts runs them, exchange-steps.ts holds them): the
 * gateway's settings and one exchange's context. A leaf of the two, so neither imports the other back.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { CassetteRecorder, RecordedTiming } from '../cassette/recorder.js';
import type { Redactor } from '../cassette/redaction.js';
import type { RateLimitConfig } from '../config.js';
import type { DriftSummaries } from '../drift/drift-summary.js';
import type { DriftFinding, SpecDrift } from '../drift/spec-drift.js';
import type { ApiError } from '../http/errors.js';
import type { ImageRenderer } from '../images/image-renderer.js';
import type { World } from '../tenancy/world.js';
import type { GatewayInfo } from './gateway.js';
import type { Upstream, UpstreamRequest, UpstreamResult } from './upstream.js';

export interface GatewayOptions {
  upstream: Upstream;
  drift: SpecDrift;
  summaries: DriftSummaries;
  strict: boolean;
  /** The credit guard's limit; undefined: no guard. Only in proxy mode (a replay spends nothing). */
  maxCredits: number | undefined;
  recorder: CassetteRecorder | undefined;
  /** Off unless `--rate-limit` was given explicitly (config.ts). */
  rateLimit: RateLimitConfig | 'off';
  faultHeaders: boolean;
  bodyLimit: string;
  generatePath: string;
  /** A replay's image files, if it serves any. */
  fileHandler?: (images: ImageRenderer) => RequestHandler;
  /** Where a cassette that cannot be written is reported (the answer still goes back). */
  logger?: Pick<Logger, 'error'>;
}

/** What a gateway's steps share across its exchanges: its options and what is built from them once. */
export interface GatewaySettings extends GatewayOptions {
  mode: 'proxy' | 'replay';
  info: GatewayInfo;
  /** How a message names the answer: the live API's, or the cassette's. */
  source: string;
  rawBody: RequestHandler;
  baseUrl: (req: Request) => string;
}

/** One exchange as it goes through the steps. */
export interface ExchangeContext {
  readonly gateway: GatewaySettings;
  readonly req: Request;
  readonly res: Response;
  readonly world: World;
  /** Every secret of the request (its key) out of what is kept: findings, summaries, messages. */
  readonly redactor: Redactor;
  /** What goes to the upstream (its body once readBody has read it). */
  readonly request: UpstreamRequest;
  readonly isGenerate: boolean;
  /** The request's drift findings (checkRequestDrift), then the answer's (checkAnswer). */
  findings: DriftFinding[];
  /** Credits the credit guard reserved, given back when the request was not taken. */
  reserved: number;
  /** The recording's id and offset, when recording (taken as the request is forwarded). */
  timing: RecordedTiming | undefined;
  /** What the upstream said (forward). */
  result: UpstreamResult | undefined;
}

/** The proxy answers itself, and the exchange ends: `label` is its X-Mock-Injected. */
export interface Refusal {
  label: string;
  error: ApiError;
}
