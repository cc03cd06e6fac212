/**
 * CSV as RFC 4180 writes it: CRLF line ends, a field quoted when it holds a comma, a quote, CR
 * or LF, quotes inside doubled. A text field that a spreadsheet would run as a formula (it
 * starts with `=`, `+`, `-`, `@`, a tab or CR: OWASP's "CSV injection") gets a leading `'`,
 * so it shows as text; a model name is whatever the client sent, so it can be any of those.
 * Numbers are written as they are: they cannot hold a formula.
 */

export type CsvValue = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header row and the rows under it, each line ended by CRLF. */
export function csvTable(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  let text = csvLine(header);
  for (const row of rows) text += csvLine(row);
  return text;
}

function csvLine(fields: readonly CsvValue[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
