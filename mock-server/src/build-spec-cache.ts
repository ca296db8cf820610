/** `npm run build`'s last step: dist/spec-cache.json, so a start need not parse the YAML (see load-spec.ts). */
import { SPEC_CACHE_PATH, writeSpecCache } from './http/load-spec.js';

await writeSpecCache();
console.log(`wrote ${SPEC_CACHE_PATH}`);
