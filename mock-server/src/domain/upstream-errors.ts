/**
 * The real service's failure vocabulary, verbatim (docs/provider/upstream-facts.md), and how often each
 * ends a task. Output moderation is the most common failure upstream, then internal errors.
 */
import type { Rng } from './rng.js';

export interface UpstreamFailure {
  code: string;
  message: string;
  /** Relative weight among failures. */
  weight: number;
  /** Only an edit (a request with reference images) can fail this way. */
  editOnly?: boolean;
}

export const UPSTREAM_FAILURES: readonly UpstreamFailure[] = [
  {
    code: 'OutputImageSensitiveContentDetected',
    message: 'The request failed because the output image may contain sensitive information.',
    weight: 55,
  },
  {
    code: 'InternalServiceError',
    message: 'The service encountered an unexpected internal error. Please retry later.',
    weight: 20,
  },
  {
    code: 'InputTextSensitiveContentDetected',
    message: 'The request failed because the input text may contain sensitive information.',
    weight: 10,
  },
  {
    code: 'InputImageSensitiveContentDetected',
    message: 'The request failed because the input image may contain sensitive information.',
    weight: 5,
    editOnly: true,
  },
  {
    code: 'InputImageSensitiveContentDetected.PrivacyInformation',
    message: 'The request failed because the input image may contain real person.',
    weight: 5,
    editOnly: true,
  },
  {
    code: 'InvalidParameter',
    message:
      'The parameter `image` specified in the request are not valid: Timeout while downloading url={url}',
    weight: 5,
    editOnly: true,
  },
];

/** The message of the default failure, used when a failure is forced without a message. */
export const DEFAULT_FAILURE_MESSAGE = UPSTREAM_FAILURES[0]!.message;

/** Draws a failure message that fits the request (image failures only for edits). */
export function drawFailureMessage(rng: Rng, imageUrls: readonly string[] | undefined): string {
  const candidates = UPSTREAM_FAILURES.filter((f) => !f.editOnly || (imageUrls?.length ?? 0) > 0);
  const total = candidates.reduce((sum, f) => sum + f.weight, 0);
  let pick = rng.next() * total;
  for (const failure of candidates) {
    pick -= failure.weight;
    // A function replacement: `$&` and friends are legal in URLs and must not be read as patterns.
    if (pick < 0) return failure.message.replace('{url}', () => imageUrls?.[0] ?? '');
  }
  return DEFAULT_FAILURE_MESSAGE;
}
