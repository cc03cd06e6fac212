/**
 * A text cut into pieces the tokenizer can take: BPE merges within a run of characters with no
 * break between them cost about the square of its length (100 000 of one CJK character took
 * 21 s, 100 000 × `a` 3 s, where 100 000 of prose takes a few ms). Each piece is at most
 * `PIECE_CHARS`, cut before the last whitespace within it where there is one (a word's token
 * starts with the space before it), never inside a surrogate pair: prose counts as it would
 * whole, and a run without breaks costs at most a token per piece of accuracy.
 */
export const PIECE_CHARS = 2000;

export function* piecesOf(text: string): Generator<string> {
  let from = 0;
  while (text.length - from > PIECE_CHARS) {
    let to = from + PIECE_CHARS;
    const space = lastSpace(text, from + PIECE_CHARS / 2, to);
    if (space !== -1) to = space;
    else if (isHighSurrogate(text.charCodeAt(to - 1))) to--;
    yield text.slice(from, to);
    from = to;
  }
  yield text.slice(from);
}

/** The last whitespace in `text[from, to)`, or -1. */
function lastSpace(text: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) return i;
  }
  return -1;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
