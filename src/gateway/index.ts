export { Gateway, type GatewayOptions, type Handled, type StreamStats } from './gateway.ts';
export { endpointFor, type Endpoint } from './endpoints.ts';
export type { EndReason } from './client-stream.ts';
export {
  type AttemptReport,
  everyObserver,
  type GatewayObserver,
  type RequestReport,
} from './observer.ts';
export { GAP_BUCKETS_SECONDS, type Gaps } from './gaps.ts';
export { checkModelName } from './request.ts';
