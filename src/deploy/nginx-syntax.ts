/**
 * nginx configuration syntax: directives, blocks, quoted strings, comments — read as nginx's own
 * tokenizer reads them (src/core/ngx_conf_file.c, ngx_conf_read_token): a `#` starts a comment
 * only where a token could start, `${var}` may hold a brace, a closing quote must be followed by
 * a space, `;` or `{`. Knows nothing of what directives mean; `include` is left to the caller.
 */
import { NginxSyntaxError } from '../errors/index.ts';

export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  /** 1-based line of the directive's name. */
  readonly line: number;
  /** The directives inside `{ }`; absent for a simple directive ending in `;`. */
  readonly block?: readonly Directive[];
}

export { NginxSyntaxError };

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly line: number }
  | { readonly kind: ';' | '{' | '}' | 'eof'; readonly line: number };

/** Blocks whose body is another language (OpenResty's Lua): skipped, not parsed. */
const RAW_BLOCK = /_by_lua_block$/;

export function parseNginx(text: string, file: string): Directive[] {
  const tokens = new Tokenizer(text, file);
  const directives = parseBlock(tokens, file, undefined);
  return directives;
}

function parseBlock(tokens: Tokenizer, file: string, opened: number | undefined): Directive[] {
  const directives: Directive[] = [];
  for (;;) {
    const first = tokens.next();
    if (first.kind === 'eof') {
      if (opened !== undefined) {
        throw new NginxSyntaxError(
          file,
          first.line,
          `unexpected end of file, expecting "}" to close the block opened on line ${opened}`,
        );
      }
      return directives;
    }
    if (first.kind === '}') {
      if (opened === undefined) throw new NginxSyntaxError(file, first.line, 'unexpected "}"');
      return directives;
    }
    if (first.kind !== 'word') {
      throw new NginxSyntaxError(file, first.line, `unexpected "${first.kind}"`);
    }
    const args: string[] = [];
    for (;;) {
      const token = tokens.next();
      if (token.kind === 'word') {
        args.push(token.text);
      } else if (token.kind === ';') {
        directives.push({ name: first.text, args, file, line: first.line });
        break;
      } else if (token.kind === '{') {
        const block = RAW_BLOCK.test(first.text)
          ? (tokens.skipRawBlock(token.line), [])
          : parseBlock(tokens, file, token.line);
        directives.push({ name: first.text, args, file, line: first.line, block });
        break;
      } else {
        const what = token.kind === 'eof' ? 'end of file' : `"${token.kind}"`;
        throw new NginxSyntaxError(
          file,
          token.line,
          `unexpected ${what}: "${first.text}" on line ${first.line} needs ";" or "{"`,
        );
      }
    }
  }
}

class Tokenizer {
  readonly #text: string;
  readonly #file: string;
  #at = 0;
  #line = 1;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  next(): Token {
    this.#skipSpaceAndComments();
    const ch = this.#text[this.#at];
    const line = this.#line;
    if (ch === undefined) return { kind: 'eof', line };
    if (ch === ';' || ch === '{' || ch === '}') {
      this.#at++;
      return { kind: ch, line };
    }
    if (ch === '"' || ch === "'") return { kind: 'word', text: this.#quoted(ch), line };
    return { kind: 'word', text: this.#word(), line };
  }

  /** Skips to the brace that closes a block whose body is not nginx syntax. */
  skipRawBlock(opened: number): void {
    let depth = 1;
    while (depth > 0) {
      const ch = this.#take();
      if (ch === undefined) {
        throw new NginxSyntaxError(
          this.#file,
          this.#line,
          `unclosed block opened on line ${opened}`,
        );
      }
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      else if (ch === '"' || ch === "'") this.#skipRawString(ch);
    }
  }

  /** A string in the other language: its braces do not count. */
  #skipRawString(quote: string): void {
    for (let ch = this.#take(); ch !== undefined && ch !== quote; ch = this.#take()) {
      if (ch === '\\') this.#take();
    }
  }

  #take(): string | undefined {
    const ch = this.#text[this.#at++];
    if (ch === '\n') this.#line++;
    return ch;
  }

  #skipSpaceAndComments(): void {
    for (;;) {
      const ch = this.#text[this.#at];
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') this.#take();
      else if (ch === '#') while (this.#text[this.#at] !== undefined && this.#take() !== '\n');
      else return;
    }
  }

  #quoted(quote: string): string {
    const opened = this.#line;
    this.#take();
    let text = '';
    for (;;) {
      const ch = this.#take();
      if (ch === undefined) {
        throw new NginxSyntaxError(
          this.#file,
          opened,
          `unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`,
        );
      }
      if (ch === quote) break;
      if (ch === '\\') {
        text += unescape(this.#take());
        continue;
      }
      text += ch;
    }
    const after = this.#text[this.#at];
    if (after !== undefined && !/[\s;{)]/.test(after)) {
      throw new NginxSyntaxError(
        this.#file,
        this.#line,
        `unexpected "${after}" after a quoted string`,
      );
    }
    return text;
  }

  #word(): string {
    let text = '';
    for (;;) {
      const ch = this.#text[this.#at];
      if (ch === undefined || /[\s;]/.test(ch)) return text;
      // `${name}` keeps its brace; any other `{` ends the word and opens a block.
      if (ch === '{' && !text.endsWith('$')) return text;
      this.#take();
      if (ch === '\\') {
        text += unescape(this.#take());
        continue;
      }
      text += ch;
    }
  }
}

/**
 * What follows a backslash, as ngx_conf_read_token copies it: `\"`, `\'` and `\\` lose the
 * backslash, `\t` `\r` `\n` become control characters, anything else (a regex's `\.`) stays.
 */
function unescape(next: string | undefined): string {
  if (next === undefined) return '\\';
  if (next === '"' || next === "'" || next === '\\') return next;
  const control: Record<string, string> = { t: '\t', r: '\r', n: '\n' };
  return control[next] ?? `\\${next}`;
}
