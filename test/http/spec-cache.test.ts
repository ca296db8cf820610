/** The build's spec cache holds exactly what parsing the YAML gives, tagged with the YAML's digest. */
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import {
  API_SPEC_PATH,
  CONTROL_SPEC_PATH,
  SPEC_CACHE_PATH,
  specSourcesDigest,
  writeSpecCache,
} from '../../mock-server/src/http/load-spec.js';

describe('dist/spec-cache.json', () => {
  it('equals the dereferenced YAML and carries the digest of every source document', async () => {
    await writeSpecCache();
    const cache = JSON.parse(readFileSync(SPEC_CACHE_PATH, 'utf8')) as {
      digest: string;
      docs: Record<string, unknown>;
    };
    expect(cache.digest).toBe(specSourcesDigest());
    expect(Object.keys(cache.docs).sort()).toEqual(['mock-server/control-api.yaml', 'openapi.yaml']);
    const roundTrip = async (path: string) =>
      JSON.parse(JSON.stringify(await SwaggerParser.dereference(path)));
    expect(cache.docs['openapi.yaml']).toEqual(await roundTrip(API_SPEC_PATH));
    expect(cache.docs['mock-server/control-api.yaml']).toEqual(await roundTrip(CONTROL_SPEC_PATH));
  });
});
