export { startSluice, type RunningSluice, type StartOptions } from './app.ts';
export { SluiceServer, type ServerOptions } from './server.ts';
export { runPrimary, type PrimaryOptions } from './cluster-primary.ts';
export { runWorker } from './cluster-worker.ts';
export { reloadConfig } from './reload.ts';
