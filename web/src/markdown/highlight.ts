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

/** Highlighted HTML (escaped by highlight.js) and the language used, or null for plain text. */
export function highlight(
  code: string,
  lang: string | undefined,
): { html: string; language: string | null } {
  const wanted = lang?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (wanted !== '' && hljs.getLanguage(wanted) !== undefined) {
    return {
      html: hljs.highlight(code, { language: wanted, ignoreIllegals: true }).value,
      language: wanted,
    };
  }
  // Short snippets guess badly; only guess for blocks long enough to tell.
  if (wanted === '' && code.length > 80) {
    const guess = hljs.highlightAuto(code);
    if (guess.language !== undefined && guess.relevance >= 5)
      return { html: guess.value, language: guess.language };
  }
  return { html: escapeHtml(code), language: null };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
