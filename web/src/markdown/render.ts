/**
 * An answer's markdown as safe HTML. Called on every re-render while the answer streams, so an
 * unfinished fence or tag is simply rendered as it stands and sanitised again each time.
 */
import { Marked } from 'marked';
import { escapeHtml, highlight } from './highlight.ts';
import { sanitize } from './sanitize.ts';

/** Code blocks get a header with their language and a copy button (handled by the view). */
function codeBlock(text: string, lang: string | undefined, copyLabel: string): string {
  const { html, language } = highlight(text.replace(/\n$/, ''), lang);
  const name = language ?? lang?.trim().split(/\s+/)[0] ?? '';
  return (
    `<div class="code-block"><div class="code-head"><span>${escapeHtml(name)}</span>` +
    `<button type="button" class="copy-code">${escapeHtml(copyLabel)}</button></div>` +
    `<pre><code class="hljs${language === null ? '' : ` language-${language}`}">${html}</code></pre></div>`
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
      renderer: { code: ({ text, lang }) => codeBlock(text, lang, copyLabel) },
    });
    markedFor.set(copyLabel, marked);
  }
  return marked;
}

export function renderMarkdown(markdown: string, copyLabel: string): string {
  return sanitize(instance(copyLabel).parse(markdown, { async: false }));
}
