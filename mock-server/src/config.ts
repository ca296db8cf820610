/**
 * The simulator's configuration, for the modules that import it from here: the option table and its
 * parsers, the Config and the command line live in config/ (options.ts says how they fit together).
 */
export {
  DEFAULT_RATE_LIMIT,
  DEV_KEY,
  DEV_KEY_BALANCE,
  HOST_NAME,
  parseChaos,
  parseControlCors,
  parseCors,
  parseRateLimit,
  type ChaosConfig,
  type RateLimitConfig,
} from './config/parsers.js';
export {
  isLoopback,
  LOOPBACK_HOSTS,
  toConfig,
  type ClockKind,
  type Config,
  type LogLevel,
  type OptionSources,
  type ProxyConfig,
  type ReplayConfig,
} from './config/config.js';
export { buildCommand, packageVersion, parseConfig } from './config/command.js';
