/**
 * SIGHUP: the configuration read again (the file named by SLUICE_CONFIG or --config) and
 * applied to new requests; a bad one leaves the running configuration as it is, and says why.
 */
import { type ConfigSources, loadConfig } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { RunningSluice } from './app.ts';

export function reloadConfig(sluice: RunningSluice, sources: ConfigSources, log: Logger): void {
  let next;
  try {
    next = loadConfig(sources);
  } catch (error) {
    log.error('configuration not reloaded: the running one stays', {
      problems: error instanceof ConfigError ? error.problems : [String(error)],
    });
    return;
  }
  sluice.reload(next).catch((error: unknown) => {
    log.error('configuration not reloaded: the running one stays', { error });
  });
}
