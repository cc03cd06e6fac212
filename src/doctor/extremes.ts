/**
 * The largest and smallest of many numbers. `Math.max(...values)` passes each as an argument,
 * and a stream of some 100 000 events (any server the doctor is pointed at can send them)
 * overflowed the stack and ended the doctor without a report.
 */

/** The largest of `values`; -Infinity when there are none, as `Math.max()`. */
export function largest(values: Iterable<number>): number {
  let most = -Infinity;
  for (const value of values) if (value > most || Number.isNaN(value)) most = value;
  return most;
}

/** The smallest of `values`; Infinity when there are none, as `Math.min()`. */
export function smallest(values: Iterable<number>): number {
  let least = Infinity;
  for (const value of values) if (value < least || Number.isNaN(value)) least = value;
  return least;
}
