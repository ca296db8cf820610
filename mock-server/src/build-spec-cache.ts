/**
 * `npm run build`'s last step: dist/spec-cache.json, so a start need not parse the YAML (load-spec.ts),
 * and dist/request-validators.cjs, so it need not load Ajv or compile (validation/validator-source.ts).
 */
import {
  API_SPEC_PATH,
  CONTROL_SPEC_PATH,
  SPEC_CACHE_PATH,
  loadSpec,
  specOperations,
  writeSpecCache,
} from './http/load-spec.js';
import { writePrebuiltRequestValidators } from './http/validation/validator-source.js';

await writeSpecCache();
console.log(`wrote ${SPEC_CACHE_PATH}`);
const specs = await Promise.all([loadSpec(API_SPEC_PATH), loadSpec(CONTROL_SPEC_PATH)]);
console.log(`wrote ${await writePrebuiltRequestValidators(specs.flatMap(specOperations))}`);
