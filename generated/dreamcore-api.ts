/**
 * GENERATED FILE: DO NOT EDIT.
 * Source: openapi.yaml. Regenerate with `npm run generate`;
 * the test suite fails when this file drifts from its source.
 */

export type paths = {
    "/api/generate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create generation task
         * @description Submits a new Seedream 4.5 job. The API immediately returns a `task_id` while the render
         *     completes asynchronously. Credits are deducted when the task is accepted (see `x-credit-cost`).
         *
         *     Credit consumption (provider's table):
         *
         *     | Preset | Credits deducted |
         *     |---|---|
         *     | Text-to-Image · Basic quality | 12 |
         *     | Text-to-Image · High quality | 18 |
         *     | Edit (with references) · Basic quality | 18 |
         *     | Edit (with references) · High quality | 24 |
         *     | 4-image burst (single call) | 48 |
         *
         *     The preset is chosen from the request: `numImages: 4` is the burst (48 whatever the quality or
         *     references); otherwise a non-empty `imageUrls` is the edit preset; otherwise text-to-image.
         */
        post: operations["createGenerationTask"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Check task status
         * @description Poll this endpoint to retrieve the latest record. If the task is still `IN_PROGRESS` the
         *     provider queries the upstream again before replying. Polling faster than the rate limit allows
         *     is answered 429.
         */
        get: operations["getTaskStatus"];
        put?: never;
        /**
         * Check task status (POST)
         * @description Same as `GET /api/status`. The documented way is the `task_id` query parameter; a JSON body
         *     `{"task_id": "..."}` is also accepted (inferred). When both are given they must be equal.
         */
        post: operations["postTaskStatus"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
};
export type webhooks = Record<string, never>;
export type components = {
    schemas: {
        /**
         * @description `sd45_` followed by 16 lowercase hex digits.
         * @example sd45_b83bf7c0c51a4c71
         */
        TaskId: string;
        /** @enum {string} */
        AspectRatio: "1:1" | "3:4" | "4:3" | "9:16" | "16:9";
        /**
         * @description `basic` (fast, 2K) or `high` (slower, 4K).
         * @enum {string}
         */
        Quality: "basic" | "high";
        /** @description Primary text description (1500 characters max). */
        Prompt: string;
        /**
         * @description Optional reference images. A non-empty list selects the edit preset. Empty means text-to-image
         *     (the provider's sample sends `[]`). At most 14, the upstream model's limit.
         */
        ImageUrls: string[];
        /**
         * @description `4` requests the 4-image burst (48 credits, one call, four images). The provider prices the
         *     burst but names no field for it; we call it `numImages`.
         * @default 1
         * @enum {integer}
         */
        NumImages: 1 | 4;
        GenerateRequest: {
            prompt: components["schemas"]["Prompt"];
            aspectRatio: components["schemas"]["AspectRatio"];
            quality: components["schemas"]["Quality"];
            imageUrls?: components["schemas"]["ImageUrls"];
            numImages?: components["schemas"]["NumImages"];
        };
        StatusRequest: {
            task_id?: components["schemas"]["TaskId"];
        };
        /**
         * @description Sanitized snapshot of the payload submitted: the documented fields, with `imageUrls` only when
         *     non-empty and `numImages` only for the burst (the provider's sample omits the empty `imageUrls`).
         */
        RequestSnapshot: {
            prompt: components["schemas"]["Prompt"];
            aspectRatio: components["schemas"]["AspectRatio"];
            quality: components["schemas"]["Quality"];
            imageUrls?: string[];
            /** @enum {integer} */
            numImages?: 4;
        };
        /**
         * @description `IN_PROGRESS` until the render ends, then `SUCCESS` or `FAILED`; terminal states never change.
         * @enum {string}
         */
        TaskStatus: "IN_PROGRESS" | "SUCCESS" | "FAILED";
        TaskRecord: {
            task_id: components["schemas"]["TaskId"];
            status: components["schemas"]["TaskStatus"];
            request: components["schemas"]["RequestSnapshot"];
            /** @description Image URLs once the task is `SUCCESS` (four for the burst); empty before and on failure. */
            response: string[];
            /** @description Credits spent for the task (0 when refunded). */
            consumed_credits: number;
            /** @description Provider error string when status is `FAILED`; null otherwise. */
            error_message: string | null;
            /**
             * Format: date-time
             * @description UTC timestamp, to the second, recorded when the job entered the queue.
             */
            created_at: string;
        };
        GenerateResponse: {
            /** @enum {integer} */
            code: 200;
            /** @enum {string} */
            message: "success";
            data: {
                task_id: components["schemas"]["TaskId"];
            };
        };
        TaskStatusResponse: {
            /** @enum {integer} */
            code: 200;
            /** @enum {string} */
            message: "success";
            data: components["schemas"]["TaskRecord"];
        };
        FieldError: {
            /** @description Where the problem is: body.prompt, query.task_id, header.authorization, body (whole body). */
            field: string;
            message: string;
        };
        /**
         * @description Every kind of error an answer to the public routes can carry. Clients should treat an unknown
         *     value as the status's general meaning: the list may grow.
         * @enum {string}
         */
        ErrorType: "invalid_request" | "unauthorized" | "insufficient_credits" | "not_found" | "method_not_allowed" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "internal_error" | "forbidden" | "request_timeout" | "headers_too_large" | "service_unavailable" | "bad_gateway" | "gateway_timeout";
        /**
         * @description One envelope for every error, the same shape as the success envelope: `code` is the HTTP status,
         *     `message` a human-readable sentence, `data` the details (never null: at least the error's `type`).
         */
        ErrorResponse: {
            code: number;
            message: string;
            data: {
                type: components["schemas"]["ErrorType"];
                errors?: components["schemas"]["FieldError"][];
                required_credits?: number;
                balance?: number;
                retry_after_seconds?: number;
            };
        };
    };
    responses: {
        /** @description The task's latest record. */
        TaskStatus: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["TaskStatusResponse"];
            };
        };
        /** @description The request is malformed or invalid; `data.errors` names each offending field. */
        BadRequest: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 400,
                 *       "message": "Invalid request: aspectRatio must be one of 1:1, 3:4, 4:3, 9:16, 16:9",
                 *       "data": {
                 *         "type": "invalid_request",
                 *         "errors": [
                 *           {
                 *             "field": "body.aspectRatio",
                 *             "message": "must be equal to one of the allowed values"
                 *           }
                 *         ]
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Missing or invalid API key. */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 401,
                 *       "message": "Missing or invalid API key",
                 *       "data": {
                 *         "type": "unauthorized"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description The credit balance could not cover the deduction. Nothing was deducted and no task was created. */
        PaymentRequired: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 402,
                 *       "message": "Insufficient credits: this request costs 18, the balance is 6",
                 *       "data": {
                 *         "type": "insufficient_credits",
                 *         "required_credits": 18,
                 *         "balance": 6
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description No task with this id belongs to the calling key (unknown, or another key's; the two are not told apart). */
        TaskNotFound: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 404,
                 *       "message": "Task not found",
                 *       "data": {
                 *         "type": "not_found"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description The request body is larger than the server accepts. */
        PayloadTooLarge: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 413,
                 *       "message": "Request body too large (limit 64kb)",
                 *       "data": {
                 *         "type": "payload_too_large"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description The request body is not `application/json`. */
        UnsupportedMediaType: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 415,
                 *       "message": "Unsupported Content-Type text/plain: send application/json",
                 *       "data": {
                 *         "type": "unsupported_media_type"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Too many requests for this key; slow the polling cadence or request rate. Nothing was deducted. */
        TooManyRequests: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 429,
                 *       "message": "Too many requests: retry after 2 s",
                 *       "data": {
                 *         "type": "rate_limited",
                 *         "retry_after_seconds": 2
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /**
         * @description The service cannot answer now; retry after `Retry-After` seconds. The simulator answers it when
         *     its shared store (Redis, for a fleet of replicas) is unreachable, when its memory has no room
         *     for a new task (docs/reference/resource-model.md), and QA can force it.
         */
        ServiceUnavailable: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 503,
                 *       "message": "The simulator's store is unavailable: retry after 1 s",
                 *       "data": {
                 *         "type": "service_unavailable",
                 *         "retry_after_seconds": 1
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Transient issue; retry with exponential backoff. */
        InternalError: {
            headers: {
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "code": 500,
                 *       "message": "The service encountered an unexpected internal error. Please retry later.",
                 *       "data": {
                 *         "type": "internal_error"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
    };
    parameters: {
        /**
         * @description ID returned by /generate.
         * @example sd45_b83bf7c0c51a4c71
         */
        TaskIdQueryRequired: components["schemas"]["TaskId"];
        /**
         * @description ID returned by /generate. Required unless given in the JSON body.
         * @example sd45_b83bf7c0c51a4c71
         */
        TaskIdQueryOptional: components["schemas"]["TaskId"];
    };
    requestBodies: never;
    headers: {
        /** @description Seconds to wait before the next request. */
        "Retry-After": number;
        /**
         * @description Requests allowed in the current window for this key and route.
         *     Present on every answer to an authenticated request while rate limiting is on (and on every
         *     429); absent on a 401, and on an answer QA forced before authentication.
         */
        "X-RateLimit-Limit": number;
        /**
         * @description Requests left in the current window.
         *     Present on every answer to an authenticated request while rate limiting is on (and on every
         *     429); absent on a 401, and on an answer QA forced before authentication.
         */
        "X-RateLimit-Remaining": number;
        /**
         * @description Seconds until the key's bucket is full again (all of X-RateLimit-Limit available).
         *     Present on every answer to an authenticated request while rate limiting is on (and on every
         *     429); absent on a 401, and on an answer QA forced before authentication.
         */
        "X-RateLimit-Reset": number;
    };
    pathItems: never;
};
export type $defs = Record<string, never>;
export interface operations {
    createGenerationTask: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GenerateRequest"];
            };
        };
        responses: {
            /** @description Task accepted; credits deducted. */
            200: {
                headers: {
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GenerateResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            402: components["responses"]["PaymentRequired"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getTaskStatus: {
        parameters: {
            query: {
                /**
                 * @description ID returned by /generate.
                 * @example sd45_b83bf7c0c51a4c71
                 */
                task_id: components["parameters"]["TaskIdQueryRequired"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["TaskStatus"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["TaskNotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    postTaskStatus: {
        parameters: {
            query?: {
                /**
                 * @description ID returned by /generate. Required unless given in the JSON body.
                 * @example sd45_b83bf7c0c51a4c71
                 */
                task_id?: components["parameters"]["TaskIdQueryOptional"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["StatusRequest"];
            };
        };
        responses: {
            200: components["responses"]["TaskStatus"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["TaskNotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
}
