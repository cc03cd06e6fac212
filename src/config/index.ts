export {
  loadConfig,
  ConfigError,
  DEFAULTS,
  egressFromEnv,
  type ConfigFlags,
  type ConfigSources,
} from './load.ts';
export { parseDuration, parseSize } from './units.ts';
export type { ApiFamily, Config, EgressConfig, Timeouts, UpstreamConfig } from './types.ts';
