/**
 * Pact consumer tests: what the reference client needs from the DreamCore API, one interaction per
 * outcome, each replayed later against the provider under its (parameterised) provider state.
 *
 * Every interaction is exercised through `DreamCoreClient`, not raw fetch, so the pact records the
 * requests the client really makes and the test proves the client copes with the answer.
 *
 * Matching policy: what the client branches on is exact (status codes, `status`, `data.type`, the
 * refund's `consumed_credits: 0`, the burst's `numImages: 4`); what varies per run is matched by type
 * or pattern (ids, URLs, messages, timestamps); ids the provider creates come from the provider state
 * (`fromProviderState('${taskId}', ...)`), never from literals that merely happen to match.
 */
import { rmSync } from 'node:fs';
import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { beforeAll, describe, expect, it } from 'vitest';
import { DreamCoreClient, type DreamCoreClientOptions } from '../client/dreamcore-client.js';
import {
  BadRequestError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TaskFailedError,
  UnauthorizedError,
} from '../client/errors.js';
import type { GenerateRequest } from '../client/types.js';
import {
  DEV_API_KEY,
  EXAMPLE_TASK_ID,
  UNKNOWN_API_KEY,
  UNKNOWN_TASK_ID,
  providerState,
} from '../provider-states.js';
import { CONSUMER, PACT_DIR, PACT_FILE, PROVIDER } from './pact-config.js';

const { arrayContaining, datetime, eachLike, fromProviderState, integer, like, regex } = MatchersV3;

const TASK_ID_PATTERN = '^sd45_[0-9a-f]{16}$';
const IMAGE_URL = regex('^https?://\\S+$', 'https://localhost:4010/images/sd45_b83bf7c0c51a4c71/0.jpg');
const CREATED_AT = datetime("yyyy-MM-dd'T'HH:mm:ss'Z'", '2025-06-14T05:21:11Z');
const TASK_ID_FROM_STATE = fromProviderState('${taskId}', EXAMPLE_TASK_ID);

/** Any bearer token; the example is the simulator's development key. */
const AUTHORIZATION = { Authorization: regex('^Bearer .+$', `Bearer ${DEV_API_KEY}`) };
/** Express adds `; charset=utf-8`; either form is JSON. */
const JSON_CONTENT = { 'Content-Type': regex('^application/json(;.*)?$', 'application/json') };

const ACCOUNT = providerState('an account exists', { apiKey: DEV_API_KEY, balance: 1000 });

const TEXT_TO_IMAGE_BASIC: GenerateRequest = {
  prompt: 'A lighthouse in a storm, oil painting',
  aspectRatio: '9:16',
  quality: 'basic',
};
/** The provider's documented sample request. */
const TEXT_TO_IMAGE_HIGH: GenerateRequest = {
  prompt: 'Cinematic photo of an obsidian smartwatch on a marble plinth, volumetric lighting',
  aspectRatio: '4:3',
  quality: 'high',
  imageUrls: [],
};
const EDIT: GenerateRequest = {
  prompt: 'Same watch, on a beach at sunset',
  aspectRatio: '1:1',
  quality: 'high',
  imageUrls: ['https://example.com/reference/watch.jpg'],
};
const BURST: GenerateRequest = {
  prompt: 'Four variations of a paper-cut fox in a snowy forest',
  aspectRatio: '16:9',
  quality: 'basic',
  numImages: 4,
};

const pact = new PactV4({ consumer: CONSUMER, provider: PROVIDER, dir: PACT_DIR, logLevel: 'warn' });

function client(baseUrl: string, options: Partial<DreamCoreClientOptions> = {}): DreamCoreClient {
  // No retries and no waiting: each interaction is one request, and a second one would be a mismatch.
  return new DreamCoreClient({
    baseUrl,
    apiKey: DEV_API_KEY,
    retry: { maxRetries: 0 },
    polling: { initialDelayMs: 0, timeoutMs: 2_000 },
    ...options,
  });
}

/** The success envelope of POST /api/generate. */
function generateResponseBody() {
  return { code: 200, message: 'success', data: { task_id: regex(TASK_ID_PATTERN, EXAMPLE_TASK_ID) } };
}

/** The snapshot of `request`: the fields that set the price are exact, the prompt is any string. */
function snapshotOf(request: GenerateRequest) {
  return {
    prompt: like(request.prompt),
    aspectRatio: request.aspectRatio,
    quality: request.quality,
    ...(request.imageUrls?.length ? { imageUrls: eachLike(request.imageUrls[0]) } : {}),
    ...(request.numImages === 4 ? { numImages: 4 } : {}),
  };
}

/** The status envelope of a task created from `request` and now in the given state. */
function statusResponseBody(
  request: GenerateRequest,
  record: { status: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED'; credits: number; errorMessage?: string },
) {
  return {
    code: 200,
    message: 'success',
    data: {
      task_id: TASK_ID_FROM_STATE,
      status: record.status,
      request: snapshotOf(request),
      response: record.status === 'SUCCESS' ? eachLike(IMAGE_URL) : [],
      // Exact for a refund (0 is the point); a charge is any integer, its amount is the ledger's business.
      consumed_credits: record.credits === 0 ? 0 : integer(record.credits),
      error_message: record.errorMessage === undefined ? null : like(record.errorMessage),
      created_at: CREATED_AT,
    },
  };
}

/** The error envelope with its exact `code` and `data.type`. */
function errorBody(code: number, type: string, message: string, details: Record<string, unknown> = {}) {
  return { code, message: like(message), data: { type, ...details } };
}

beforeAll(() => {
  // Pact merges into an existing file; start from nothing so removed interactions do not linger.
  rmSync(PACT_FILE, { force: true });
});

describe('POST /api/generate', () => {
  it.each([
    { preset: 'text-to-image basic', request: TEXT_TO_IMAGE_BASIC },
    { preset: 'text-to-image high (the documented sample)', request: TEXT_TO_IMAGE_HIGH },
    { preset: 'edit with a reference image', request: EDIT },
    { preset: '4-image burst', request: BURST },
  ])('accepts a $preset request and returns a task id', async ({ preset, request }) => {
    await pact
      .addInteraction()
      .given(...ACCOUNT)
      .uponReceiving(`a generate request: ${preset}`)
      .withRequest('POST', '/api/generate', (builder) => {
        builder
          .headers({ ...AUTHORIZATION, ...JSON_CONTENT })
          .jsonBody({ ...request, prompt: like(request.prompt) });
      })
      .willRespondWith(200, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(generateResponseBody());
      })
      .executeTest(async (mockServer) => {
        const { taskId } = await client(mockServer.url).createTask(request);
        expect(taskId).toMatch(new RegExp(TASK_ID_PATTERN));
      });
  });
});

describe('GET /api/status', () => {
  it('returns an IN_PROGRESS task with no images yet', async () => {
    await pact
      .addInteraction()
      .given(
        ...providerState('a task exists', {
          apiKey: DEV_API_KEY,
          status: 'IN_PROGRESS',
          request: TEXT_TO_IMAGE_BASIC,
          errorMessage: null,
        }),
      )
      .uponReceiving('a status request for an IN_PROGRESS task')
      .withRequest('GET', '/api/status', (builder) => {
        builder.query({ task_id: TASK_ID_FROM_STATE }).headers(AUTHORIZATION);
      })
      .willRespondWith(200, (builder) => {
        builder
          .headers(JSON_CONTENT)
          .jsonBody(statusResponseBody(TEXT_TO_IMAGE_BASIC, { status: 'IN_PROGRESS', credits: 12 }));
      })
      .executeTest(async (mockServer) => {
        const record = await client(mockServer.url).getTask(EXAMPLE_TASK_ID);
        expect(record).toMatchObject({ task_id: EXAMPLE_TASK_ID, status: 'IN_PROGRESS', response: [] });
        expect(record.error_message).toBeNull();
      });
  });

  it('returns a SUCCESS task with its image URLs', async () => {
    await pact
      .addInteraction()
      .given(
        ...providerState('a task exists', {
          apiKey: DEV_API_KEY,
          status: 'SUCCESS',
          request: TEXT_TO_IMAGE_HIGH,
          errorMessage: null,
        }),
      )
      .uponReceiving('a status request for a SUCCESS task')
      .withRequest('GET', '/api/status', (builder) => {
        builder.query({ task_id: TASK_ID_FROM_STATE }).headers(AUTHORIZATION);
      })
      .willRespondWith(200, (builder) => {
        builder
          .headers(JSON_CONTENT)
          .jsonBody(statusResponseBody(TEXT_TO_IMAGE_HIGH, { status: 'SUCCESS', credits: 18 }));
      })
      .executeTest(async (mockServer) => {
        const record = await client(mockServer.url).waitForTask(EXAMPLE_TASK_ID);
        expect(record.status).toBe('SUCCESS');
        expect(record.response.length).toBeGreaterThan(0);
        expect(record.consumed_credits).toBeGreaterThan(0);
        expect(record.error_message).toBeNull();
      });
  });

  it('returns a FAILED task, refunded, with the provider error', async () => {
    const errorMessage = 'The request failed because the output image may contain sensitive information.';
    await pact
      .addInteraction()
      .given(
        ...providerState('a task exists', {
          apiKey: DEV_API_KEY,
          status: 'FAILED',
          request: EDIT,
          errorMessage,
        }),
      )
      .uponReceiving('a status request for a FAILED and refunded task')
      .withRequest('GET', '/api/status', (builder) => {
        builder.query({ task_id: TASK_ID_FROM_STATE }).headers(AUTHORIZATION);
      })
      .willRespondWith(200, (builder) => {
        builder
          .headers(JSON_CONTENT)
          .jsonBody(statusResponseBody(EDIT, { status: 'FAILED', credits: 0, errorMessage }));
      })
      .executeTest(async (mockServer) => {
        const error = await client(mockServer.url)
          .waitForTask(EXAMPLE_TASK_ID)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TaskFailedError);
        const { record } = error as TaskFailedError;
        expect(record).toMatchObject({ status: 'FAILED', consumed_credits: 0, response: [] });
        expect(record.error_message).toEqual(expect.any(String));
      });
  });
});

describe('POST /api/status', () => {
  it.each([
    { where: 'query and body', taskIdIn: 'both' as const },
    { where: 'body only', taskIdIn: 'body' as const },
  ])('returns the task when task_id is in the $where', async ({ where, taskIdIn }) => {
    await pact
      .addInteraction()
      .given(
        ...providerState('a task exists', {
          apiKey: DEV_API_KEY,
          status: 'SUCCESS',
          request: BURST,
          errorMessage: null,
        }),
      )
      .uponReceiving(`a POST status request with task_id in the ${where}`)
      .withRequest('POST', '/api/status', (builder) => {
        if (taskIdIn === 'both') builder.query({ task_id: TASK_ID_FROM_STATE });
        builder.headers({ ...AUTHORIZATION, ...JSON_CONTENT }).jsonBody({ task_id: TASK_ID_FROM_STATE });
      })
      .willRespondWith(200, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(statusResponseBody(BURST, { status: 'SUCCESS', credits: 48 }));
      })
      .executeTest(async (mockServer) => {
        const record = await client(mockServer.url).getTask(EXAMPLE_TASK_ID, { method: 'POST', taskIdIn });
        expect(record).toMatchObject({ task_id: EXAMPLE_TASK_ID, status: 'SUCCESS' });
        expect(record.request.numImages).toBe(4);
      });
  });
});

describe('errors', () => {
  it('400: an invalid body names the offending field', async () => {
    const invalid = { ...TEXT_TO_IMAGE_BASIC, aspectRatio: '2:1' } as unknown as GenerateRequest;
    await pact
      .addInteraction()
      .given(...ACCOUNT)
      .uponReceiving('a generate request with an unsupported aspect ratio')
      .withRequest('POST', '/api/generate', (builder) => {
        builder.headers({ ...AUTHORIZATION, ...JSON_CONTENT }).jsonBody(invalid);
      })
      .willRespondWith(400, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(
          errorBody(
            400,
            'invalid_request',
            'Invalid request: aspectRatio must be one of 1:1, 3:4, 4:3, 9:16, 16:9',
            {
              errors: arrayContaining({
                field: 'body.aspectRatio',
                message: like('must be equal to one of the allowed values'),
              }),
            },
          ),
        );
      })
      .executeTest(async (mockServer) => {
        const error = await client(mockServer.url)
          .createTask(invalid)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BadRequestError);
        expect((error as BadRequestError).fieldErrors.map((e) => e.field)).toContain('body.aspectRatio');
      });
  });

  it('401: a request without an API key is refused', async () => {
    await pact
      .addInteraction()
      .given(...ACCOUNT)
      .uponReceiving('a generate request without an Authorization header')
      .withRequest('POST', '/api/generate', (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(TEXT_TO_IMAGE_BASIC);
      })
      .willRespondWith(401, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(errorBody(401, 'unauthorized', 'Missing or invalid API key'));
      })
      .executeTest(async (mockServer) => {
        const noKey = client(mockServer.url, { apiKey: '' });
        await expect(noKey.createTask(TEXT_TO_IMAGE_BASIC)).rejects.toBeInstanceOf(UnauthorizedError);
      });
  });

  it('401: a request with an unknown API key is refused', async () => {
    await pact
      .addInteraction()
      .given(...providerState('no account has the API key', { apiKey: UNKNOWN_API_KEY }))
      .uponReceiving('a generate request with an unknown API key')
      .withRequest('POST', '/api/generate', (builder) => {
        builder
          .headers({ Authorization: `Bearer ${UNKNOWN_API_KEY}`, ...JSON_CONTENT })
          .jsonBody(TEXT_TO_IMAGE_BASIC);
      })
      .willRespondWith(401, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(errorBody(401, 'unauthorized', 'Missing or invalid API key'));
      })
      .executeTest(async (mockServer) => {
        const badKey = client(mockServer.url, { apiKey: UNKNOWN_API_KEY });
        await expect(badKey.createTask(TEXT_TO_IMAGE_BASIC)).rejects.toMatchObject({
          name: 'UnauthorizedError',
          status: 401,
          type: 'unauthorized',
        });
      });
  });

  it('402: a balance below the price is refused with the price and the balance', async () => {
    await pact
      .addInteraction()
      .given(...providerState('an account exists', { apiKey: DEV_API_KEY, balance: 6 }))
      .uponReceiving('a generate request costing more than the balance')
      .withRequest('POST', '/api/generate', (builder) => {
        builder.headers({ ...AUTHORIZATION, ...JSON_CONTENT }).jsonBody(TEXT_TO_IMAGE_HIGH);
      })
      .willRespondWith(402, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(
          // 18 is the credit table's price of text-to-image high; 6 is the state's balance.
          errorBody(
            402,
            'insufficient_credits',
            'Insufficient credits: this request costs 18, the balance is 6',
            {
              required_credits: 18,
              balance: 6,
            },
          ),
        );
      })
      .executeTest(async (mockServer) => {
        const error = await client(mockServer.url)
          .createTask(TEXT_TO_IMAGE_HIGH)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InsufficientCreditsError);
        expect(error).toMatchObject({ requiredCredits: 18, balance: 6 });
      });
  });

  it('404: an unknown task id is not found', async () => {
    await pact
      .addInteraction()
      .given(...providerState('no task exists with the id', { apiKey: DEV_API_KEY, taskId: UNKNOWN_TASK_ID }))
      .uponReceiving('a status request for an unknown task')
      .withRequest('GET', '/api/status', (builder) => {
        // The literal id is the state's parameter: the state guarantees it is unknown.
        builder.query({ task_id: UNKNOWN_TASK_ID }).headers(AUTHORIZATION);
      })
      .willRespondWith(404, (builder) => {
        builder.headers(JSON_CONTENT).jsonBody(errorBody(404, 'not_found', 'Task not found'));
      })
      .executeTest(async (mockServer) => {
        await expect(client(mockServer.url).getTask(UNKNOWN_TASK_ID)).rejects.toBeInstanceOf(NotFoundError);
      });
  });

  it('429: polling too fast is refused with Retry-After', async () => {
    await pact
      .addInteraction()
      .given(
        ...providerState('a task exists', {
          apiKey: DEV_API_KEY,
          status: 'IN_PROGRESS',
          request: TEXT_TO_IMAGE_BASIC,
          errorMessage: null,
        }),
      )
      .given(
        ...providerState('the next request is rate limited', {
          method: 'GET',
          path: '/api/status',
          retryAfterSeconds: 2,
        }),
      )
      .uponReceiving('a status request over the rate limit')
      .withRequest('GET', '/api/status', (builder) => {
        builder.query({ task_id: TASK_ID_FROM_STATE }).headers(AUTHORIZATION);
      })
      .willRespondWith(429, (builder) => {
        builder
          .headers({ ...JSON_CONTENT, 'Retry-After': regex('^\\d+$', '2') })
          .jsonBody(errorBody(429, 'rate_limited', 'Too many requests: retry after 2 s'));
      })
      .executeTest(async (mockServer) => {
        const error = await client(mockServer.url)
          .getTask(EXAMPLE_TASK_ID)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RateLimitedError);
        expect((error as RateLimitedError).retryAfterMs).toBe(2_000);
      });
  });

  it('500: a transient failure is reported as such', async () => {
    await pact
      .addInteraction()
      .given(...ACCOUNT)
      .given(...providerState('the next request fails with 500', { method: 'POST', path: '/api/generate' }))
      .uponReceiving('a generate request meeting an internal error')
      .withRequest('POST', '/api/generate', (builder) => {
        builder.headers({ ...AUTHORIZATION, ...JSON_CONTENT }).jsonBody(TEXT_TO_IMAGE_BASIC);
      })
      .willRespondWith(500, (builder) => {
        builder
          .headers(JSON_CONTENT)
          .jsonBody(
            errorBody(
              500,
              'internal_error',
              'The service encountered an unexpected internal error. Please retry later.',
            ),
          );
      })
      .executeTest(async (mockServer) => {
        // maxRetries is 0 here (see client()): a retry would be a second, unexpected request.
        const error = await client(mockServer.url)
          .createTask(TEXT_TO_IMAGE_BASIC)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ServerError);
        expect(error).toMatchObject({ status: 500, type: 'internal_error' });
      });
  });
});
