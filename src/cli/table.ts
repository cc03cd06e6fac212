/**
 * Readable tables for the terminal: columns aligned, numbers right-aligned, no dependency. Cells
 * can hold what clients sent (the model names of usage records): control characters are shown
 * escaped, never sent to the terminal.
 */
import { printable } from '../log/index.ts';

export type Align = 'left' | 'right';

export interface TableOptions {
  /** Per column; `left` when not given. */
  readonly align?: readonly Align[];
  /** Rows under a rule after the body, e.g. totals. */
  readonly footer?: readonly (readonly string[])[];
}

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const footer = (options.footer ?? []).map((row) => row.map(printable));
  const body = rows.map((row) => row.map(printable));
  const all = [header, ...body, ...footer];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    widths
      .map((width, i) => {
        const cell = row[i] ?? '';
        return options.align?.[i] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = footer.length === 0 ? [] : [widths.map((w) => '-'.repeat(w)).join('  ')];
  return [...[header, ...body].map(line), ...rule, ...footer.map(line)].join('\n') + '\n';
}

/** `2026-11-24 09:30` (UTC, as every time the CLI shows), or `-` for none. */
export function timeCell(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
