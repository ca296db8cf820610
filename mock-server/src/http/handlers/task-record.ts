/** Domain task -> the wire's TaskRecord. */
import { consumedCredits, type Task } from '../../domain/tasks.js';
import type { TaskRecord } from '../../domain/wire-types.js';
import { DEFAULT_WORLD } from '../../tenancy/world.js';

/** `2025-06-14T05:21:11Z`: UTC to the second, as the provider's sample shows it. */
export function utcSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Where an image of a task is served. A tenant's links name the tenant: a seeded tenant's ids follow
 * from its seed, so two tenants on one seed have the same ids and only the tenant tells them apart.
 */
export function imageUrl(baseUrl: string, taskId: string, index: number, world = DEFAULT_WORLD): string {
  return `${baseUrl}/files/${taskId}/${index}.jpg${world === DEFAULT_WORLD ? '' : `?tenant=${world}`}`;
}

export function toTaskRecord(task: Task, baseUrl: string, world = DEFAULT_WORLD): TaskRecord {
  return {
    task_id: task.id,
    status: task.status,
    request: task.request,
    response:
      task.status === 'SUCCESS'
        ? Array.from({ length: task.imageCount }, (_, i) => imageUrl(baseUrl, task.id, i, world))
        : [],
    consumed_credits: consumedCredits(task),
    error_message: task.status === 'FAILED' ? task.errorMessage : null,
    created_at: utcSeconds(task.createdAt),
  };
}
