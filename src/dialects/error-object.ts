/** An OpenAI-style in-band error chunk: a `data:` value that is `{"error": …}`. */
import { valueStartsWith } from '../sse/index.ts';

const ERROR_OBJECT = Buffer.from('{"error"');
const NULL = Buffer.from('null');
const COLON = 0x3a;

/**
 * Whether the data value at `buf[at]` is an error object: `{"error"` first, and its value not
 * `null` (a chunk that says it has no error is not one).
 */
export function isErrorObject(buf: Buffer, at: number): boolean {
  if (!valueStartsWith(buf, at, ERROR_OBJECT)) return false;
  let i = skipSpace(buf, at + ERROR_OBJECT.length);
  if (buf[i] !== COLON) return false;
  i = skipSpace(buf, i + 1);
  return !valueStartsWith(buf, i, NULL);
}

function skipSpace(buf: Buffer, at: number): number {
  let i = at;
  while (buf[i] === 0x20 || buf[i] === 0x09) i++;
  return i;
}
