export { chooseEgress, bypassesProxy, type Egress } from './egress.ts';
export { Dispatchers } from './dispatchers.ts';
export { candidatesFor, servesModel, FAMILY_HEADERS, type Upstream } from './upstreams.ts';
export { buildUpstreams, demoUpstreams, DEMO_MODEL } from './build.ts';
export { startDemoUpstream, type DemoUpstream, type DemoOptions } from './demo/index.ts';
