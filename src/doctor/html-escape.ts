/** Text into HTML: the doctor's HTML report writes every value it did not write itself this way. */
import { printableLines } from '../log/index.ts';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * `&`, `<`, `>`, `"` and `'` as entities: safe in text and in double-quoted attributes. Control
 * and direction characters (a hop's, in a header or an error body) are shown as `\uXXXX`: the
 * report is a file, and `cat` of it ran a hop's escape sequences.
 */
export function escapeHtml(text: string): string {
  return printableLines(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
