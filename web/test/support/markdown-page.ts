/**
 * What web/test/markdown-view.test.ts bundles into a blank page in Chromium: the page's view of
 * a streaming answer, and the whole-text rendering it must end up equal to.
 */
import { markdownHtml } from '../../src/markdown/markdown-html.ts';
import { MarkdownView, RUN_CLASS } from '../../src/markdown/markdown-view.ts';
import { sanitize } from '../../src/markdown/sanitize.ts';

export interface MarkdownPage {
  /**
   * Shows `chunks` one after the other in a new view; returns the element's HTML after each,
   * without the runs that group settled blocks (their content in their place).
   */
  stream(chunks: readonly string[]): string[];
  /** The whole text at once, as the page rendered every answer before issue #16. */
  whole(text: string): string;
  /** What in this HTML could run or navigate somewhere unsafe (parsed inert, in a template). */
  unsafe(html: string): string[];
}

const UNSAFE_TAGS =
  'script, iframe, style, object, embed, form, input, textarea, frame, meta, base';
const UNSAFE_URL = /^\s*(?!https?:|mailto:|\/|#|\.)[\w+.-]+:/i;

const stream = document.createElement('div');
const whole = document.createElement('div');
stream.className = whole.className = 'markdown';
document.body.append(stream, whole);

const page: MarkdownPage = {
  stream(chunks) {
    const view = new MarkdownView(stream, 'Copy');
    let text = '';
    return chunks.map((chunk) => {
      text += chunk;
      view.show(text);
      const flat = stream.cloneNode(true) as HTMLElement;
      for (const run of flat.querySelectorAll(`.${RUN_CLASS}`)) run.replaceWith(...run.childNodes);
      return flat.innerHTML;
    });
  },
  whole(text) {
    whole.innerHTML = sanitize(markdownHtml(text, 'Copy'));
    return whole.innerHTML;
  },
  unsafe(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    const problems = [...template.content.querySelectorAll(UNSAFE_TAGS)].map((e) => e.outerHTML);
    for (const element of template.content.querySelectorAll('*'))
      for (const name of element.getAttributeNames()) {
        const value = element.getAttribute(name) ?? '';
        if (
          name.startsWith('on') ||
          (['href', 'src', 'action'].includes(name) && UNSAFE_URL.test(value))
        )
          problems.push(`${element.localName} ${name}="${value}"`);
      }
    return problems;
  },
};

Object.assign(window, { markdownPage: page });
