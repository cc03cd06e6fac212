/**
 * `SLUICE_WORKERS` / `--workers` / `workers`: how many processes serve the port. `auto` is one
 * per core the process may use (`os.availableParallelism()`, which follows CPU affinity and
 * cgroup limits where Node can see them); 1, the default, is one process as ever.
 */

/** More processes than this on one machine is a typo, not a plan. */
export const MAX_WORKERS = 256;

export function workers(
  picked: { readonly value: unknown; readonly source: string } | undefined,
  cores: number,
  problems: string[],
): number {
  if (picked === undefined) return 1;
  const { value, source } = picked;
  if (value === 'auto') return Math.max(1, Math.min(MAX_WORKERS, cores));
  // Digits as written: `Number` also reads `1e2` (100 workers on a 2-core machine) and `0x2`.
  const n =
    typeof value === 'number' ? value : /^\d{1,3}$/.test(String(value)) ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) return n;
  // The flag and the variable are one setting: name both, whichever was given.
  const named =
    source === 'SLUICE_WORKERS'
      ? 'SLUICE_WORKERS'
      : source === '--workers'
        ? '--workers (SLUICE_WORKERS)'
        : `${source} (SLUICE_WORKERS)`;
  problems.push(
    `${named} must be a whole number of worker processes from 1 to ${MAX_WORKERS}, or "auto" ` +
      `for one per core (${cores} here); got ${JSON.stringify(value)}.`,
  );
  return 1;
}
