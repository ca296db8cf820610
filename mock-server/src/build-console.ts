/**
 * `npm run build`'s browser step: bundles mock-server/console/ into dist/console/ (console-bundle.ts),
 * and copies the docs page's Swagger UI files into dist/swagger-ui/ (swagger-ui-files.ts).
 */
import { writeConsoleBundle } from './http/console/console-bundle.js';
import { writeSwaggerUiFiles } from './http/docs/swagger-ui-files.js';

console.log(`wrote ${await writeConsoleBundle()}`);
console.log(`wrote ${writeSwaggerUiFiles()}`);
