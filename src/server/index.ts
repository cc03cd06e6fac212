export { startSluice, type RunningSluice, type StartOptions } from './app.ts';
export { SluiceServer, type ServerOptions } from './server.ts';
