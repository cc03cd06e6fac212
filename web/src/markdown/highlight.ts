/**
 * Code highlighting: highlight.js core with the languages answers mostly hold, registered one
 * by one so the bundle carries a dozen grammars rather than two hundred.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = {
  bash,
  css,
  diff,
  go,
  javascript,
  json,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, grammar] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, grammar);
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });
hljs.registerAliases(['nginx', 'conf'], { languageName: 'bash' });

/**
 * Highlighted HTML (escaped by highlight.js) and the language used, or null for plain text.
 *
 * A block still growing (`finished` false: its fence is not closed yet) is rendered again at
 * every frame while it streams, so it is highlighted in pieces of PIECE_LINES lines, each piece
 * once: a frame pays for the piece that grows, not for the whole block. A construct that spans
 * two pieces (a long string or comment) may be coloured wrongly until the fence closes and the
 * block is highlighted whole. Nor is a language guessed for it: guessing runs every grammar
 * (~40 ms for 40 lines here).
 */
export function highlight(
  code: string,
  lang: string | undefined,
  finished = true,
): { html: string; language: string | null } {
  const wanted = lang?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (wanted !== '' && hljs.getLanguage(wanted) !== undefined) {
    const html = finished ? highlighted(code, wanted) : inPieces(code, wanted);
    return { html, language: wanted };
  }
  // Short snippets guess badly; only guess for blocks long enough to tell.
  if (wanted === '' && finished && code.length > 80) {
    const guess = hljs.highlightAuto(code);
    if (guess.language !== undefined && guess.relevance >= 5)
      return { html: guess.value, language: guess.language };
  }
  return { html: escapeHtml(code), language: null };
}

const PIECE_LINES = 8;
/** Highlighted pieces of growing blocks, by language and text; bounded, cleared when full. */
const pieces = new Map<string, string>();

function inPieces(code: string, language: string): string {
  const lines = code.split('\n');
  let html = '';
  for (let at = 0; at < lines.length; at += PIECE_LINES) {
    const last = at + PIECE_LINES >= lines.length;
    const piece = lines.slice(at, at + PIECE_LINES).join('\n') + (last ? '' : '\n');
    if (last) {
      html += highlighted(piece, language); // still growing: not worth keeping
      continue;
    }
    const key = `${language}\n${piece}`;
    let done = pieces.get(key);
    if (done === undefined) {
      if (pieces.size >= 512) pieces.clear();
      done = highlighted(piece, language);
      pieces.set(key, done);
    }
    html += done;
  }
  return html;
}

function highlighted(code: string, language: string): string {
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
