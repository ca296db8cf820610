/** The image files of successful tasks: real JPEGs at the upstream's sizes, deterministic per task. */
import type { RequestHandler } from 'express';
import { worldOf } from '../world.js';
import { outputSize } from '../../images/output-sizes.js';
import type { ImageRenderer } from '../../images/image-renderer.js';
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
      const { simulator } = worldOf(res.locals);
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
      const jpeg = await deps.images.render({ taskId, index, width, height });
      res
        .status(200)
        .type('image/jpeg')
        .set('Cache-Control', 'private, max-age=86400, immutable')
        .set('Content-Length', String(jpeg.length))
        .end(jpeg);
    },
  };
}
