/**
 * The banner printed at start (main.ts): where the simulator listens, with what, and a request to try.
 */
import { DEV_KEY, type Config } from './config.js';
import { modeBanner } from './proxy/display.js';
import type { Tenancy } from './tenancy/tenancy.js';

/** What the default world holds, which the configuration alone does not say. */
export interface BannerFacts {
  /** The default world's seed: with a shared store, the one its first process chose. */
  seed?: string;
  /** The fault rules --scenario put in the default world's start. */
  scenarioRules?: number;
}

export async function bannerFacts(tenancy: Tenancy): Promise<BannerFacts> {
  const { spec } = (await tenancy.defaultWorld()).view;
  return { seed: spec.seed, ...(spec.rules ? { scenarioRules: spec.rules.length } : {}) };
}

type BannerConfig = Pick<
  Config,
  | 'keys'
  | 'clock'
  | 'latency'
  | 'failureRate'
  | 'store'
  | 'redisPrefix'
  | 'workers'
  | 'seed'
  | 'seedGenerated'
  | 'rateLimit'
  | 'proxy'
  | 'replay'
  | 'controlToken'
  | 'controlTokenGenerated'
  | 'scenarioFile'
>;

/** How many fault rules --scenario loaded, and from where (`undefined`: the count is not known here). */
function scenarioLine(file: string | undefined, rules: number | undefined): string[] {
  if (file === undefined) return [];
  const count = rules === undefined ? 'fault rules' : `${rules} fault rule${rules === 1 ? '' : 's'}`;
  return [`  Scenario:  ${count} from ${file} (put back by every reset)`];
}

export function banner(config: BannerConfig, url: string, facts: BannerFacts = {}): string {
  const seed = facts.seed ?? config.seed;
  // In proxy mode the live API authenticates, with the caller's own key: the simulator's keys
  // (the dev key first) would only be refused there.
  const devKey = config.proxy ? undefined : config.keys.find((k) => k.apiKey === DEV_KEY);
  const key = config.proxy ? '<YOUR_LIVE_KEY>' : devKey ? DEV_KEY : '<YOUR_KEY>';
  const keyLines = config.proxy
    ? ['  Keys:      your own live API key (the live API checks it; the simulator keeps none)']
    : [
        devKey ? `  Dev key:   ${DEV_KEY} (${devKey.balance} credits)` : '  Dev key:   off',
        `  Keys:      ${config.keys.length} configured`,
      ];
  const lines = [
    '',
    `  DreamCore simulator listening on ${url}`,
    '',
    ...keyLines,
    `  Clock:     ${config.clock}   Latency: ${config.latency}   Failure rate: ${config.failureRate}`,
    `  Store:     ${config.store}${config.store === 'redis' ? ` (prefix ${config.redisPrefix})` : ''}${config.workers > 1 ? `   Workers: ${config.workers}` : ''}`,
    `  Seed:      ${seed}${seed !== config.seed ? " (the shared store's, chosen by its first process)" : config.seedGenerated ? ' (random; pass --seed to replay this run)' : ''}`,
    `  Rate limit: ${config.rateLimit === 'off' ? 'off' : `generate ${config.rateLimit.generate.limit}/${config.rateLimit.generate.windowMs / 1000}s, status ${config.rateLimit.status.limit}/${config.rateLimit.status.windowMs / 1000}s per key`}`,
    ...modeBanner(config),
    ...scenarioLine(config.scenarioFile, facts.scenarioRules),
    `  Control:   ${url}/__mock/health${config.controlToken ? `  (token${config.controlTokenGenerated ? ` ${config.controlToken}` : ' set'})` : ''}`,
    // The token travels in the fragment, which the browser never sends: the console reads it and keeps it in the tab.
    `  Console:   ${url}/__mock/console${config.controlTokenGenerated ? `#token=${config.controlToken}` : ''}   Docs: ${url}/docs`,
    '',
    '  Try it:',
    `    curl -s ${url}/api/generate -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
    `      -d '{"prompt":"Cinematic photo of an obsidian smartwatch","aspectRatio":"4:3","quality":"high"}'`,
    `    curl -s '${url}/api/status?task_id=<task_id>' -H 'Authorization: Bearer ${key}'`,
    '',
  ];
  return lines.join('\n');
}
