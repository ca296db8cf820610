/**
 * The API's request and record shapes, taken from the types generated from openapi.yaml so the
 * domain never re-declares a schema.
 */
import type { components } from '../../../generated/dreamcore-api.js';

type Schemas = components['schemas'];
export type GenerateRequest = Schemas['GenerateRequest'];
export type RequestSnapshot = Schemas['RequestSnapshot'];
export type TaskRecord = Schemas['TaskRecord'];
export type TaskStatus = Schemas['TaskStatus'];
export type AspectRatio = Schemas['AspectRatio'];
export type Quality = Schemas['Quality'];
export type ErrorType = Schemas['ErrorType'];
/** One offending field of a 400 (`body.prompt`, `query.task_id`) and what is wrong with it. */
export type FieldError = Schemas['FieldError'];
