/** The image files of successful tasks: real JPEGs at the upstream's sizes, deterministic per task. */
import type { RequestHandler } from 'express';
import { worldOf } from '../context.js';
import { outputSize } from '../../images/output-sizes.js';
import { EncoderUnavailableError, type ImageRenderer } from '../../images/image-renderer.js';
import { ApiError } from '../errors.js';

export interface FileHandlerDeps {
  images: ImageRenderer;
  /** How long after success a link works, like the upstream's signed links (ms). */
  imageTtlMs: number;
}

export function fileHandlers(deps: FileHandlerDeps): { getTaskImage: RequestHandler } {
  return {
    getTaskImage: async (req, res) => {
      const { taskId, file } = req.params as { taskId: string; file: string };
      const index = Number.parseInt(file, 10);
      const { simulator } = worldOf(res);
      const task = await simulator.inspectTask(taskId);
      if (!task || task.status !== 'SUCCESS' || index >= task.imageCount) {
        throw new ApiError(404, 'Image not found: the task is unknown, not finished, or has no such image', {
          type: 'not_found',
        });
      }
      if (simulator.clock.now() > (task.settledAt ?? task.createdAt) + deps.imageTtlMs) {
        throw new ApiError(410, 'Image link expired (the upstream keeps files for 24 hours)', {
          type: 'gone',
        });
      }
      const { width, height } = outputSize(task.request.aspectRatio, task.request.quality);
      const jpeg = await deps.images.render({ taskId, index, width, height }).catch((err: unknown) => {
        throw err instanceof EncoderUnavailableError ? encoderUnavailable(err) : err;
      });
      res
        .status(200)
        .type('image/jpeg')
        .set('Cache-Control', 'private, max-age=86400, immutable')
        .set('Content-Length', String(jpeg.length))
        .end(jpeg);
    },
  };
}

/**
 * 503 rather than 500: nothing is wrong with the request or the task, the encoder is retried, and
 * Retry-After says when; a client that retries then gets its image.
 */
function encoderUnavailable(err: EncoderUnavailableError): ApiError {
  const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
  return new ApiError(
    503,
    `Image encoder unavailable (${err.reason}): retry after ${seconds} s`,
    { type: 'service_unavailable', retry_after_seconds: seconds },
    { 'Retry-After': String(seconds) },
  );
}
