/**
 * Shows a growing answer in an element, at a cost that follows what changed (issue #16): the
 * markdown is rendered block by block (incremental.ts), the HTML of what changed is parsed in an
 * inert document (where nothing loads or runs) and patched into the page (dom-patch.ts), and
 * only the nodes that differ from what the page shows go through the sanitiser.
 *
 * Settled blocks keep their nodes, gathered in runs of RUN_LENGTH (`<div class="md-run">`, a
 * plain block: margins collapse through it): the browser then lays out and paints a long answer
 * as a few dozen unchanged boxes and the tail, where a flat list of a thousand blocks costs it
 * a thousand. Which node goes in which run depends only on the text, so an answer shown as it
 * streamed and the same answer shown at once end up the same. Without the runs, the element
 * holds what sanitising the whole answer at once would give: the pieces are self-contained
 * (incremental.ts keeps raw HTML that could reach past its block in the tail).
 */
import { patchNodes } from './dom-patch.ts';
import { IncrementalMarkdown, type SettledBlock } from './incremental.ts';
import { sanitizeInPlace } from './sanitize.ts';

/** Nodes of settled blocks per run. */
const RUN_LENGTH = 40;
export const RUN_CLASS = 'md-run';

export class MarkdownView {
  readonly #element: HTMLElement;
  readonly #copyLabel: string;
  readonly #inert: Document;
  #markdown: IncrementalMarkdown;
  /** The settled blocks shown, in order. */
  #shown: SettledBlock[] = [];
  #runs: HTMLElement[] = [];
  #inLastRun = 0;
  #tailHtml = '';
  /** The tail's nodes: the element's children after the runs. */
  #tailNodes: readonly ChildNode[] = [];

  constructor(element: HTMLElement, copyLabel: string) {
    this.#element = element;
    this.#copyLabel = copyLabel;
    this.#markdown = new IncrementalMarkdown(copyLabel);
    this.#inert = element.ownerDocument.implementation.createHTMLDocument('');
    element.replaceChildren();
  }

  show(markdown: string): void {
    let { settled, tail } = this.#markdown.render(markdown);
    let kept = 0;
    while (kept < this.#shown.length && this.#shown[kept] === settled[kept]) kept += 1;
    if (kept < this.#shown.length) {
      // A settled block changed (the text was replaced, or a link definition arrived): rare
      // enough to start over.
      this.#markdown = new IncrementalMarkdown(this.#copyLabel);
      this.#element.replaceChildren();
      this.#shown = [];
      this.#runs = [];
      this.#inLastRun = 0;
      this.#tailNodes = [];
      this.#tailHtml = '';
      ({ settled, tail } = this.#markdown.render(markdown));
      kept = 0;
    }
    if (kept === settled.length && tail === this.#tailHtml) return;

    const added = settled.slice(kept);
    if (this.#tailNodes.length === 0) {
      // Nothing to patch (an answer shown at once, or its first frame): sanitise in bulk.
      for (const node of this.#cleanHtml(added.map((block) => block.html).join('')))
        this.#settle(node);
      this.#tailNodes = this.#cleanHtml(tail);
      this.#element.append(...this.#tailNodes);
      this.#shown.push(...added);
      this.#tailHtml = tail;
      return;
    }
    // New blocks and tail are patched over the old tail at once: a block settling out of the
    // tail keeps the nodes it had there, and moves into a run.
    const addedNodes = added.flatMap((block) => this.#parse(block.html));
    const fresh = [...addedNodes, ...this.#parse(tail)];
    const placed = patchNodes(this.#element, this.#tailNodes, fresh, (node) => this.#clean(node));
    for (const node of placed.splice(0, addedNodes.length).flat()) this.#settle(node);
    this.#shown.push(...added);
    this.#tailNodes = placed.flat();
    this.#tailHtml = tail;
  }

  /** Moves a node of a settled block into the last run (a new one when that is full). */
  #settle(node: ChildNode): void {
    let run = this.#runs.at(-1);
    if (run === undefined || this.#inLastRun === RUN_LENGTH) {
      run = this.#element.ownerDocument.createElement('div');
      run.className = RUN_CLASS;
      const last = this.#runs.at(-1);
      this.#element.insertBefore(
        run,
        last === undefined ? this.#element.firstChild : last.nextSibling,
      );
      this.#runs.push(run);
      this.#inLastRun = 0;
    }
    run.append(node);
    this.#inLastRun += 1;
  }

  /** Parsed, not sanitised: never put into the page as they are. */
  #parse(html: string): ChildNode[] {
    if (html === '') return [];
    const holder = this.#inert.createElement('div');
    holder.innerHTML = html;
    return [...holder.childNodes];
  }

  /** HTML parsed and sanitised, not yet in the page. */
  #cleanHtml(html: string): ChildNode[] {
    const holder = this.#inert.createElement('div');
    holder.innerHTML = html;
    sanitizeInPlace(holder);
    return [...holder.childNodes];
  }

  /** A parsed node sanitised, as the nodes that replace it (none, or its content, at times). */
  #clean(node: ChildNode): ChildNode[] {
    const holder = this.#inert.createElement('div');
    holder.append(node);
    try {
      sanitizeInPlace(holder);
    } catch {
      // DOMPurify refuses to return what it could not make safe in place: show its text.
      return [this.#inert.createTextNode(node.textContent ?? '')];
    }
    return [...holder.childNodes];
  }
}
