export { Gateway, type GatewayOptions, type StreamStats } from './gateway.ts';
export { endpointFor, type Endpoint } from './endpoints.ts';
export type { EndReason } from './client-stream.ts';
export type { AttemptReport, GatewayObserver, RequestReport } from './observer.ts';
