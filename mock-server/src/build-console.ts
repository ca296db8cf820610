/** `npm run build`'s console step: bundles mock-server/console/ into dist/console/ (console-bundle.ts). */
import { writeConsoleBundle } from './http/console/console-bundle.js';

console.log(`wrote ${await writeConsoleBundle()}`);
