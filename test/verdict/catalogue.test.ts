/**
 * The coverage catalogue is derived from openapi.yaml and qa/faults.ts: these tests hold it to
 * them, and the verdict's hand-placed route of each operation (OPERATION_GROUP) to the spec's paths.
 */
import { describe, expect, it } from 'vitest';
import type { OpenAPIV3 } from 'openapi-types';
import { API_SPEC_PATH, loadSpec, specOperations } from '../../mock-server/src/http/load-spec.js';
import { NETWORK_FAULTS } from '../../mock-server/src/qa/faults.js';
import { CatalogueError, deriveCatalogue, groupOfPath } from '../../mock-server/src/verdict/catalogue.js';
import { OPERATION_GROUP } from '../../mock-server/src/verdict/observation.js';
import { realCatalogue } from './support.js';

describe('the outcome catalogue', () => {
  it('holds every documented answer, the task statuses a poll reads, and the injectable faults', async () => {
    const ids = (await realCatalogue()).outcomes.map((o) => o.id);
    for (const id of [
      'generate:200',
      'generate:402',
      'generate:429',
      'generate:503',
      'status:200:IN_PROGRESS',
      'status:200:SUCCESS',
      'status:200:FAILED',
      'status:404',
      'generate:fault:reset',
      'status:fault:hang',
    ])
      expect(ids).toContain(id);
    expect(ids).not.toContain('status:200');
    expect(ids).not.toContain('generate:404'); // not documented for generate
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is exactly the spec responses and the fault list, each group once', async () => {
    const spec = await loadSpec(API_SPEC_PATH);
    const expected = new Set<string>();
    for (const { path, operation } of specOperations(spec)) {
      const group = path.split('/').pop()!;
      for (const code of Object.keys(operation.responses)) {
        if (code === '200' && group === 'status')
          for (const s of ['IN_PROGRESS', 'SUCCESS', 'FAILED']) expected.add(`status:200:${s}`);
        else expected.add(`${group}:${code}`);
      }
      for (const fault of NETWORK_FAULTS) expected.add(`${group}:fault:${fault}`);
    }
    expect(new Set((await realCatalogue()).outcomes.map((o) => o.id))).toEqual(expected);
  });

  it('lists each route together: its answers by status, then its faults', async () => {
    const ids = (await realCatalogue()).outcomes.map((o) => o.id);
    expect(ids.slice(0, 13)).toEqual([
      'generate:200',
      'generate:400',
      'generate:401',
      'generate:402',
      'generate:413',
      'generate:415',
      'generate:429',
      'generate:500',
      'generate:503',
      'generate:fault:reset',
      'generate:fault:empty',
      'generate:fault:malformed',
      'generate:fault:hang',
    ]);
    expect(ids.slice(13, 18)).toEqual([
      'status:200:IN_PROGRESS',
      'status:200:SUCCESS',
      'status:200:FAILED',
      'status:400',
      'status:401',
    ]);
    expect(ids.slice(-4)).toEqual([
      'status:fault:reset',
      'status:fault:empty',
      'status:fault:malformed',
      'status:fault:hang',
    ]);
  });

  it('names each operation with its method and path, for the examples', async () => {
    expect((await realCatalogue()).operations).toEqual({
      createGenerationTask: { method: 'POST', path: '/api/generate', group: 'generate' },
      getTaskStatus: { method: 'GET', path: '/api/status', group: 'status' },
      postTaskStatus: { method: 'POST', path: '/api/status', group: 'status' },
    });
  });

  it("places every observed operation on its spec path's route (OPERATION_GROUP)", async () => {
    const operations = specOperations(await loadSpec(API_SPEC_PATH));
    expect(Object.keys(OPERATION_GROUP).sort()).toEqual(operations.map((o) => o.operationId).sort());
    for (const { operationId, path } of operations)
      expect(OPERATION_GROUP[operationId as keyof typeof OPERATION_GROUP]).toBe(groupOfPath(path));
  });

  it('grows when a spec copy documents another response or task status', async () => {
    const spec = structuredClone(await loadSpec(API_SPEC_PATH));
    const generate = spec.paths['/api/generate']!.post!;
    generate.responses['409'] = { description: 'Conflict' };
    const poll = spec.paths['/api/status']!.get!;
    const answer = poll.responses['200'] as OpenAPIV3.ResponseObject;
    const data = (answer.content!['application/json']!.schema as OpenAPIV3.SchemaObject).properties!
      .data as OpenAPIV3.SchemaObject;
    const status = data.properties!.status as OpenAPIV3.SchemaObject;
    // The dereferenced document shares the TaskStatus object between both status operations.
    data.properties!.status = { ...status, enum: [...status.enum!, 'QUEUED'] };

    const before = (await realCatalogue()).outcomes.map((o) => o.id);
    const after = deriveCatalogue(specOperations(spec)).outcomes.map((o) => o.id);
    expect(after.filter((id) => !before.includes(id)).sort()).toEqual(['generate:409', 'status:200:QUEUED']);
  });

  it('takes the fault list it is given', async () => {
    const spec = await loadSpec(API_SPEC_PATH);
    const ids = deriveCatalogue(specOperations(spec), ['reset']).outcomes.map((o) => o.id);
    expect(ids.filter((id) => id.includes(':fault:')).sort()).toEqual([
      'generate:fault:reset',
      'status:fault:reset',
    ]);
  });

  it('refuses a document that was not dereferenced, saying so', () => {
    const operation: OpenAPIV3.OperationObject = {
      responses: { '200': { $ref: '#/components/responses/TaskStatus' } },
    };
    expect(() =>
      deriveCatalogue([{ operationId: 'x', method: 'get', path: '/api/status', operation }]),
    ).toThrow(
      new CatalogueError('x 200: the response is a $ref; pass the operations of a dereferenced document'),
    );
  });
});
