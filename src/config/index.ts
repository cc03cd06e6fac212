export {
  loadConfig,
  DEFAULTS,
  egressFromEnv,
  type ConfigFlags,
  type ConfigSources,
} from './load.ts';
export { parseDuration, parseSize } from './units.ts';
export { DEFAULT_PRICES, type Price, type PriceTable, type TierRates } from './prices.ts';
export type {
  ApiFamily,
  AzureSettings,
  BedrockSettings,
  Config,
  EgressConfig,
  Timeouts,
  UpstreamConfig,
} from './types.ts';
export type { MetricsConfig, MetricsLabel, TracesConfig } from './telemetry.ts';
export type { GoogleCredentials, GoogleServiceAccount } from './google-credentials.ts';
export type { AwsCredentialSource, AwsKeys } from './aws-credentials.ts';
export type { AzureTokenSource } from './azure-credentials.ts';
