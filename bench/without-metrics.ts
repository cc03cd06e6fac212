/**
 * `node --import bench/without-metrics.ts bin/sluice.js serve`: Sluice as built, but with
 * `src/telemetry/metrics.ts` replaced by `bench/null-metrics.ts` wherever it is imported — the
 * bench's `sluice-no-metrics` target, the floor against which `sluice` (metrics on and scraped)
 * shows what metrics cost. Sluice has no switch to turn its metrics off, and gets none for the
 * benchmark's sake: the swap happens here, in a module resolve hook, before Sluice loads.
 * `bin/sluice.js` re-executes itself with Node's own flags kept, so `--import` survives it.
 */
import { registerHooks } from 'node:module';

const REAL = new URL('../src/telemetry/metrics.ts', import.meta.url).href;
const STAND_IN = new URL('./null-metrics.ts', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    // The stand-in itself re-exports the real module's constants.
    if (resolved.url !== REAL || context.parentURL === STAND_IN) return resolved;
    return { ...resolved, url: STAND_IN };
  },
});
