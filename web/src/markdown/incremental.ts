/**
 * A growing answer's markdown, rendered so that each frame costs what changed rather than the
 * length of the answer (issue #16): blocks that later text can no longer change are rendered
 * once and kept ("settled"); only the rest (the "tail") is lexed and rendered again each time.
 * Pure — no DOM: markdown-view.ts sanitises and shows what this returns.
 *
 * At every step the settled blocks' HTML followed by the tail's equals marked's rendering of the
 * whole text (web/test/incremental-markdown.test.ts checks this at every split of its inputs).
 * That rests on marked lexing block by block from the start: from a boundary where nothing
 * before it can change, lexing the rest alone gives the same blocks. Such a boundary, here:
 *
 * - after a blank line (a paragraph, table, heading or definition cannot continue past one;
 *   an open fence or an open HTML block runs to the end of the text, so it is still the tail),
 * - before a line that starts at its left margin (an indented line may continue a list item or
 *   an indented code block),
 * - and, after a list or a quote, before a line that cannot be their next item (`-`, `+`, `*`,
 *   a digit, `>`).
 *
 * Two things reach across blocks all the same, and are handled apart:
 * - a reference definition (`[x]: /url`) changes every `[x]` before it: when the definitions
 *   seen change, settled blocks that hold a `[` are rendered again;
 * - raw HTML (`<div>` left open, an unclosed `<b>`) changes how the browser parses what follows
 *   it: nothing from the first raw HTML tag on settles (except void tags such as `<br>`), so an
 *   answer with raw HTML costs, from that tag on, what a whole render costs.
 */
import { Lexer, type Links, type MarkedToken, Parser, type Token } from 'marked';
import { markdownOptions } from './markdown-html.ts';

/** Markdown that later text cannot change, and its (unsanitised) HTML. */
export interface SettledBlock {
  readonly markdown: string;
  readonly html: string;
}

export interface IncrementalRendering {
  /**
   * In order; the same objects from one call to the next while they stand, so a view can keep
   * what it made of each (a new object where one was rendered again or the text was replaced).
   */
  readonly settled: readonly SettledBlock[];
  /** The HTML of everything after the settled blocks. */
  readonly tail: string;
}

/** Raw HTML tags that leave nothing open behind them. */
const VOID_TAG = /^<(?:br|wbr|img)(?=[\s/>])[^<>]*>$/i;
/** After a list or a quote, a line starting so may continue it. */
const CONTINUES = { list: /^[-+*\d]/, blockquote: /^>/ } as const;

export class IncrementalMarkdown {
  readonly #copyLabel: string;
  /** The text the settled blocks came from (a prefix of every text rendered since). */
  #settledText = '';
  #settled: SettledBlock[] = [];
  /** The definitions within the settled blocks, first one of each name, in order. */
  #settledLinks: Links = {};
  /** The definitions the settled blocks were last rendered with. */
  #renderedWith = '';

  constructor(copyLabel: string) {
    this.#copyLabel = copyLabel;
  }

  render(text: string): IncrementalRendering {
    if (!text.startsWith(this.#settledText)) this.#reset();
    const tail = text.slice(this.#settledText.length);
    const lexer = new Lexer(this.#options());
    Object.assign(lexer.tokens.links, this.#settledLinks);
    const tokens = lexer.lex(tail) as MarkedToken[];
    const links = lexer.tokens.links;

    const signature = linkSignature(links);
    if (signature !== this.#renderedWith) {
      this.#settled = this.#settled.map((block) =>
        block.markdown.includes('[') ? this.#block(block.markdown, links) : block,
      );
      this.#renderedWith = signature;
    }

    const { count, length } = settledPrefix(tail, tokens);
    if (count > 0) {
      const settling = tokens.slice(0, count);
      this.#settled = [
        ...this.#settled,
        { markdown: tail.slice(0, length), html: this.#html(settling) },
      ];
      this.#settledText = text.slice(0, this.#settledText.length + length);
      for (const token of settling) addDefinitions(token, this.#settledLinks);
    }
    return { settled: this.#settled, tail: this.#html(tokens.slice(count)) };
  }

  #reset(): void {
    this.#settledText = '';
    this.#settled = [];
    this.#settledLinks = {};
    this.#renderedWith = '';
  }

  #options() {
    // marked's Lexer and Parser write into the options they are given: a copy each time.
    return { ...markdownOptions(this.#copyLabel) };
  }

  #html(tokens: Token[]): string {
    return tokens.length === 0 ? '' : new Parser(this.#options()).parse(tokens);
  }

  /** A settled block rendered again, from a boundary, with the definitions known now. */
  #block(markdown: string, links: Links): SettledBlock {
    const lexer = new Lexer(this.#options());
    Object.assign(lexer.tokens.links, links);
    return { markdown, html: this.#html(lexer.lex(markdown)) };
  }
}

/**
 * How many of the tail's first tokens later text cannot change, and the length of their text:
 * up to the last boundary (see the file's comment) before the last token.
 */
function settledPrefix(
  tail: string,
  tokens: readonly MarkedToken[],
): { count: number; length: number } {
  let settled = { count: 0, length: 0 };
  let at = 0;
  let previous: MarkedToken | undefined;
  for (const [i, token] of tokens.entries()) {
    // marked rewrites some input (CR LF, a paragraph absorbing a line): stop where raw and text part.
    if (!tail.startsWith(token.raw, at) || hasOpenHtml(token)) break;
    at += token.raw.length;
    if (token.type !== 'space') {
      previous = token;
      continue;
    }
    const next = tokens[i + 1];
    if (previous === undefined || next === undefined || !blankLine(token.raw)) continue;
    if (!tail.startsWith(next.raw, at) || /^\s/.test(next.raw)) continue;
    const continues = CONTINUES[previous.type as keyof typeof CONTINUES] as RegExp | undefined;
    if (continues?.test(next.raw) === true) continue;
    settled = { count: i + 1, length: at };
  }
  return settled;
}

/** The whitespace between two blocks holds an empty line (the first newline ends the block). */
function blankLine(space: string): boolean {
  return space.indexOf('\n') !== space.lastIndexOf('\n');
}

/** Raw HTML in or under the token, other than void tags. */
function hasOpenHtml(token: MarkedToken): boolean {
  if (token.type === 'html') return token.block || !VOID_TAG.test(token.raw);
  return children(token).some(hasOpenHtml);
}

function children(token: MarkedToken): MarkedToken[] {
  switch (token.type) {
    case 'list':
      return token.items;
    case 'table':
      return [...token.header, ...token.rows.flat()].flatMap(
        (cell) => cell.tokens as MarkedToken[],
      );
    default:
      return 'tokens' in token ? ((token.tokens as MarkedToken[] | undefined) ?? []) : [];
  }
}

/** Adds the definitions in or under the token to `links`, keeping the first of each name. */
function addDefinitions(token: MarkedToken, links: Links): void {
  if (token.type === 'def') {
    if (!Object.hasOwn(links, token.tag))
      links[token.tag] = { href: token.href, title: token.title };
    return;
  }
  for (const child of children(token)) addDefinitions(child, links);
}

function linkSignature(links: Links): string {
  let signature = '';
  for (const [tag, { href, title }] of Object.entries(links))
    signature += `${tag}\u0000${href}\u0000${title ?? ''}\u0001`;
  return signature;
}
