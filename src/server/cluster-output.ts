/**
 * Workers write their log to a pipe to the primary, which writes it on, whole lines at a time.
 * Several processes writing one stderr directly could interleave: the log is written in batches
 * of up to 64 KiB (`log/logger.ts`), and a pipe keeps only writes of up to 4 KiB (PIPE_BUF)
 * whole — two workers' batches could cut into each other's lines.
 */
import type { Readable } from 'node:stream';

export function forwardLines(from: Readable | null, to: { write(text: string): unknown }): void {
  if (from === null) return;
  let partial = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const text = partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      partial = text;
      return;
    }
    partial = text.slice(end + 1);
    to.write(text.slice(0, end + 1));
  });
  from.on('end', () => {
    if (partial !== '') to.write(`${partial}\n`);
    partial = '';
  });
}
