/** The DreamCore reference client: one import for callers and tests. */
export * from './backoff.js';
export * from './dreamcore-client.js';
export * from './errors.js';
export type * from './types.js';
export { ERROR_TYPES, TASK_RECORD_KEYS, TASK_STATUSES, isErrorEnvelope } from './wire.js';
