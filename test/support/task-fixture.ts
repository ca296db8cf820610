/** A text-to-image basic task, in progress, for domain and store tests; override what a test is about. */
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import type { Task, TaskPlan } from '../../mock-server/src/domain/tasks.js';

export function makeTask(overrides: Partial<Task> = {}, plan: Partial<TaskPlan> = {}): Task {
  return {
    id: 'sd45_0123456789abcdef',
    owner: ownerOf('sk-test'),
    request: { prompt: 'a cat', aspectRatio: '1:1', quality: 'basic' },
    preset: 'text-to-image-basic',
    price: 12,
    imageCount: 1,
    createdAt: 1_000,
    status: 'IN_PROGRESS',
    settledAt: null,
    errorMessage: null,
    polls: 0,
    plan: { outcome: 'success', errorMessage: null, readyAt: 5_000, completeOnPoll: null, ...plan },
    ...overrides,
  };
}
