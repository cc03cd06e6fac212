/**
 * The environment is held to the same rule as the file: a `SLUICE_*` variable Sluice does not
 * read is an error that names it and the variable it most likely meant (`SLUICE_WORKER=4` once
 * ran one worker without a word). Other variables are the machine's own and are left alone.
 */
import { nearest } from './schema.ts';

/** Every `SLUICE_*` variable Sluice reads, and the two its deployment files and tests read. */
export const SLUICE_VARIABLES: readonly string[] = [
  'SLUICE_ADMIN_KEY',
  'SLUICE_BODY_TIMEOUT',
  'SLUICE_BREAKER_COOLDOWN',
  'SLUICE_CONFIG',
  'SLUICE_CONNECT_TIMEOUT',
  'SLUICE_CORS_ORIGINS',
  'SLUICE_DATA_DIR',
  'SLUICE_DRAIN_TIMEOUT',
  'SLUICE_FIRST_BYTE_TIMEOUT',
  'SLUICE_IDLE_TIMEOUT',
  'SLUICE_KEEPALIVE',
  'SLUICE_LOG_FORMAT',
  'SLUICE_LOG_LEVEL',
  'SLUICE_MAX_BODY',
  'SLUICE_MAX_BODY_INFLIGHT',
  'SLUICE_METRICS_LABELS',
  'SLUICE_METRICS_LISTEN',
  'SLUICE_METRICS_TOKEN',
  'SLUICE_REDIS_PREFIX',
  'SLUICE_RESPONSES',
  'SLUICE_TOTAL_TIMEOUT',
  'SLUICE_TRUSTED_PROXIES',
  'SLUICE_WORKERS',
  // compose.yaml's published port; the doctor fixtures' re-recording switch (tests).
  'SLUICE_HTTP_PORT',
  'SLUICE_RECORD_DOCTOR_FIXTURES',
];

const KNOWN = new Set(SLUICE_VARIABLES);

export function environmentProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('SLUICE_') || KNOWN.has(name)) continue;
    const near = nearest(name, SLUICE_VARIABLES);
    problems.push(
      `unknown environment variable ${name}${near === undefined ? '' : `; did you mean ${near}?`} ` +
        'Sluice reads the SLUICE_* variables the README lists; unset it or correct its name.',
    );
  }
  return problems;
}
