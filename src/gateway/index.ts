export { Gateway, type GatewayOptions, type StreamStats } from './gateway.ts';
export { endpointFor, type Endpoint } from './endpoints.ts';
export { EVENT_STREAM_HEADERS } from './headers.ts';
export { capturedText } from './tap.ts';
export type { EndReason } from './client-stream.ts';
