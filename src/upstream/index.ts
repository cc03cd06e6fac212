export { chooseEgress, bypassesProxy, type Egress, withoutCredentials } from './egress.ts';
export { Dispatchers } from './dispatchers.ts';
export {
  candidatesFor,
  choiceIgnoresModel,
  namesOf,
  servesModel,
  upstreamModel,
  FAMILY_HEADERS,
  keyHeaders,
  type Upstream,
  type UpstreamKey,
} from './upstreams.ts';
export {
  buildUpstreams,
  demoUpstreams,
  DEMO_MODEL,
  HealthRegistry,
  type MintedByCredentials,
} from './build.ts';
export {
  DEFAULT_BREAKER,
  Health,
  type BreakerOptions,
  type BreakerState,
  type Outcome,
} from './health.ts';
export { AttemptPlan, healthOutcomes, type Attempt, type Failure } from './plan.ts';
export { upstreamPath } from './paths.ts';
export {
  BEDROCK_ANTHROPIC_VERSION,
  bedrockSignature,
  EVENT_STREAM_TYPE,
  sseOf,
  bedrockErrorBody,
  bedrockReshape,
  isConverseModel,
  type Bedrock,
  type Reshape,
} from './bedrock.ts';
export { describeAwsSource } from './aws-credentials.ts';
export { describeAzureSource } from './azure-tokens.ts';
export { describeGoogleCredentials } from './google-tokens.ts';
export type { AwsCredentials } from './sigv4.ts';
export { EventStreamDecoder } from './event-stream.ts';
export { startDemoUpstream, type DemoUpstream, type DemoOptions } from './demo/index.ts';
