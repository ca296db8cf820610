/**
 * GENERATED FILE: DO NOT EDIT.
 * Source: mock-server/control-api.yaml. Regenerate with `npm run generate`;
 * the test suite fails when this file drifts from its source.
 */

export type paths = {
    "/files/{taskId}/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download an image of a successful task
         * @description The URLs in a SUCCESS task's `response` point here. JPEG, at the exact pixel size the upstream
         *     produces for the task's aspect ratio and quality, deterministic per task. No key is needed (the
         *     upstream's links are signed URLs). Links expire like the upstream's, 24 hours after the task
         *     succeeded by default (`--image-ttl`), on the simulator's clock.
         */
        get: operations["getTaskImage"];
        put?: never;
        post?: never;
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
        ErrorResponse: {
            code: number;
            message: string;
            data: {
                type: string;
                errors?: {
                    field: string;
                    message: string;
                }[];
            } | null;
        };
    };
    responses: {
        /** @description An error, in the same envelope as the public API's. */
        Error: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
};
export type $defs = Record<string, never>;
export interface operations {
    getTaskImage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                taskId: string;
                /** @description `<index>.jpg`, index from 0 (0 to 3 for a burst). */
                file: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                };
            };
            400: components["responses"]["Error"];
            404: components["responses"]["Error"];
            410: components["responses"]["Error"];
        };
    };
}
