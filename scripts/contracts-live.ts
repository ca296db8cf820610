/**
 * `npm run contracts:live` (`tsx scripts/contracts-live.ts`): checks the live DreamCore API against
 * openapi.yaml and the pact. Reads DREAMCORE_BASE_URL and DREAMCORE_API_KEY; `--help` for the options.
 * The implementation is in contracts/live/.
 */
import { main } from '../contracts/live/cli.js';

process.exitCode = await main(process.argv.slice(2));
