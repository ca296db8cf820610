/**
 * Hardening issue, item 16, proved with a real generator: openapi-to-postmanv2, the converter Portman
 * builds its collections with, turns each document into a Postman collection in which
 * - authentication is set once, on the collection, from the document's global security, and no request
 *   carries an auth of its own (Portman would put its token placeholder on each of those);
 * - every query parameter and path variable has a value, the parameter's own example from the document
 *   (not a generated `<string>` or a random string), so the collection runs as it is.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import Converter from 'openapi-to-postmanv2';
import { describe, expect, it } from 'vitest';
import { ROOT, operations, type Json } from '../support/spec-walk.js';

interface PostmanValue {
  key: string;
  value?: string;
  disabled?: boolean;
}
interface PostmanRequest {
  name: string;
  request: {
    method: string;
    auth?: unknown;
    url: { path: string[]; query?: PostmanValue[]; variable?: PostmanValue[] };
    body?: { mode?: string; raw?: string };
  };
}
interface PostmanItem {
  item?: PostmanItem[];
}

async function collectionOf(specPath: string) {
  // Bundled first: control-api.yaml refers to openapi.yaml's schemas, which the converter cannot follow.
  const spec = await SwaggerParser.bundle(`${ROOT}/${specPath}`);
  const result = await new Promise<{ auth?: { type: string }; item: PostmanItem[] }>((resolve, reject) =>
    Converter.convert(
      { type: 'json', data: spec },
      { requestParametersResolution: 'Example', exampleParametersResolution: 'Example' },
      (error, converted) => {
        if (error) return reject(error);
        if (!converted.result) return reject(new Error(converted.reason));
        resolve(converted.output[0]!.data as { auth?: { type: string }; item: PostmanItem[] });
      },
    ),
  );
  const requests = (items: PostmanItem[]): PostmanRequest[] =>
    items.flatMap((i) => (i.item ? requests(i.item) : [i as PostmanRequest]));
  return { auth: result.auth, requests: requests(result.item) };
}

/** Each parameter's own example, by `METHOD /path in.name`, from the dereferenced document. */
async function examplesOf(specPath: string): Promise<Map<string, unknown>> {
  const api = (await SwaggerParser.dereference(`${ROOT}/${specPath}`)) as unknown as Json;
  const examples = new Map<string, unknown>();
  for (const [path, item] of Object.entries(api.paths as Record<string, Json>)) {
    for (const { method, op } of operations({ paths: { [path]: item } })) {
      for (const parameter of [
        ...((item.parameters ?? []) as Json[]),
        ...((op.parameters ?? []) as Json[]),
      ]) {
        examples.set(
          `${method.toUpperCase()} ${path} ${String(parameter.in)}.${String(parameter.name)}`,
          parameter.example,
        );
      }
    }
  }
  return examples;
}

/** Postman's `["__mock", "tasks", ":taskId"]` -> `/__mock/tasks/{taskId}`. */
const specPath = (path: string[]) =>
  `/${path.map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p)).join('/')}`;

describe.each([
  ['openapi.yaml', 'bearer'],
  ['mock-server/control-api.yaml', 'apikey'],
])('the Postman collection of %s', (document, authType) => {
  it(`authenticates once, on the collection (${authType}), with no request overriding it`, async () => {
    const { auth, requests } = await collectionOf(document);
    expect(auth?.type).toBe(authType);
    expect(requests.length).toBeGreaterThan(2);
    const overriding = requests.filter((r) => r.request.auth !== undefined && r.request.auth !== null);
    expect(overriding.map((r) => r.name)).toEqual([]);
  });

  it("gives every query parameter and path variable the parameter's own example", async () => {
    const { requests } = await collectionOf(document);
    const examples = await examplesOf(document);
    const problems: string[] = [];
    let checked = 0;
    for (const r of requests) {
      for (const [kind, values] of [
        ['query', r.request.url.query ?? []],
        ['path', r.request.url.variable ?? []],
      ] as const) {
        for (const v of values) {
          checked++;
          const expected = examples.get(
            `${r.request.method} ${specPath(r.request.url.path)} ${kind}.${v.key}`,
          );
          if (v.value === undefined || v.value === '' || String(expected) !== v.value) {
            problems.push(
              `${r.request.method} ${r.name}: ${kind} ${v.key} = ${JSON.stringify(v.value)}, example ${JSON.stringify(expected)}`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });
});
