/**
 * Names for the generated OpenAPI types the client speaks. These are aliases, never hand-written
 * shapes: `generated/dreamcore-api.ts` is regenerated from `openapi.yaml`, so a spec change reaches the
 * client (and breaks its compilation where it must) without anyone copying a schema.
 */
import type { components } from '../../generated/dreamcore-api.js';

type Schemas = components['schemas'];

export type GenerateRequest = Schemas['GenerateRequest'];
export type GenerateResponse = Schemas['GenerateResponse'];
export type TaskId = Schemas['TaskId'];
export type TaskRecord = Schemas['TaskRecord'];
export type TaskStatus = Schemas['TaskStatus'];
export type TaskStatusResponse = Schemas['TaskStatusResponse'];
export type StatusRequest = Schemas['StatusRequest'];
export type ErrorResponse = Schemas['ErrorResponse'];
export type ErrorDetails = NonNullable<ErrorResponse['data']>;
export type ErrorType = Schemas['ErrorType'];
export type FieldError = Schemas['FieldError'];
