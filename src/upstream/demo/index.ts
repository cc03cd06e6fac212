export { startDemoUpstream, type DemoUpstream, type DemoOptions } from './server.ts';
