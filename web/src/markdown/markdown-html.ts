/**
 * Markdown to HTML, not yet sanitised: marked (GFM) with highlighted code blocks. Pure — no DOM —
 * so the unit tests run it in Node; the page sanitises what it returns (render.ts, markdown-view.ts).
 */
import { Marked, type MarkedOptions, type Tokens } from 'marked';
import { escapeHtml, highlight } from './highlight.ts';

/** Code blocks get a header with their language and a copy button (handled by the view). */
function codeBlock(token: Tokens.Code, copyLabel: string): string {
  const { text, lang } = token;
  const { html, language } = highlight(text.replace(/\n$/, ''), lang, finished(token));
  const name = language ?? lang?.trim().split(/\s+/)[0] ?? '';
  return (
    `<div class="code-block"><div class="code-head"><span>${escapeHtml(name)}</span>` +
    `<button type="button" class="copy-code">${escapeHtml(copyLabel)}</button></div>` +
    `<pre><code class="hljs${language === null ? '' : ` language-${language}`}">${html}</code></pre></div>`
  );
}

/**
 * Whether a code block can still grow: a fence is finished once a closing fence (the same
 * character, at least as many) ends it; an indented block, where its text does.
 */
function finished({ raw, codeBlockStyle }: Tokens.Code): boolean {
  if (codeBlockStyle === 'indented') return true;
  const fence = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1] ?? '';
  const end = raw.trimEnd();
  const last = end.slice(end.lastIndexOf('\n') + 1).trim();
  return (
    end.includes('\n') &&
    last.length >= fence.length &&
    /^(`+|~+)$/.test(last) &&
    last[0] === fence[0]
  );
}

const markedFor = new Map<string, Marked>();

function instance(copyLabel: string): Marked {
  let marked = markedFor.get(copyLabel);
  if (marked === undefined) {
    marked = new Marked({
      gfm: true,
      breaks: false,
      async: false,
      renderer: { code: (token) => codeBlock(token, copyLabel) },
    });
    markedFor.set(copyLabel, marked);
  }
  return marked;
}

/** The options marked's Lexer and Parser take, for rendering block by block (incremental.ts). */
export function markdownOptions(copyLabel: string): MarkedOptions {
  return instance(copyLabel).defaults;
}

/** The whole text at once. */
export function markdownHtml(markdown: string, copyLabel: string): string {
  return instance(copyLabel).parse(markdown, { async: false });
}
