/**
 * Makes a run of nodes in the page match freshly parsed, not yet sanitised ones, touching only
 * what differs. The streaming tail is parsed anew each frame, but most of it is what the page
 * already shows: replacing it whole would make the browser lay out and paint all of it again,
 * and sanitise all of it again (DOMPurify's cost grows with the elements: ~10 µs each, hundreds
 * in a highlighted code block).
 *
 * Nothing unsanitised reaches the page. A fresh node is either
 * - identical (`isEqualNode`) to the node the page already shows there, which the sanitiser
 *   produced in an earlier frame: that node stays;
 * - a plain container (below) with the very same attributes as the one shown: it stays, and
 *   its children are patched the same way; a text node inside it takes the fresh text (text
 *   in these elements is never markup);
 * - or anything else: it goes through `clean` (the sanitiser) and what comes out replaces the
 *   node shown.
 */

/** Elements whose children are patched in place: HTML markdown makes, none that holds raw text. */
const CONTAINERS = new Set(
  'div pre code span p li ul ol blockquote table thead tbody tr td th strong em del b i h1 h2 h3 h4 h5 h6'.split(
    ' ',
  ),
);
const HTML = 'http://www.w3.org/1999/xhtml';

/**
 * Patches `current` (consecutive children of `parent`, ending its children) to match `fresh`;
 * returns, for each fresh node, the nodes that now stand for it in the page.
 */
export function patchNodes(
  parent: Element,
  current: readonly ChildNode[],
  fresh: readonly ChildNode[],
  clean: (node: ChildNode) => ChildNode[],
): ChildNode[][] {
  const result = fresh.map((node, i): ChildNode[] => {
    const old = current[i];
    if (old?.isEqualNode(node) === true) return [old];
    if (old instanceof Element && node instanceof Element && sameContainer(old, node)) {
      patchNodes(old, [...old.childNodes], [...node.childNodes], clean);
      return [old];
    }
    if (old instanceof Text && node instanceof Text && isContainer(parent)) {
      old.data = node.data;
      return [old];
    }
    const cleaned = clean(node);
    if (old === undefined) parent.append(...cleaned);
    else old.replaceWith(...cleaned);
    return cleaned;
  });
  for (const old of current.slice(fresh.length)) old.remove();
  return result;
}

function isContainer(element: Element): boolean {
  return element.namespaceURI === HTML && CONTAINERS.has(element.localName);
}

/** The same container with the same attributes, in the same order, with the same values. */
function sameContainer(a: Element, b: Element): boolean {
  if (!isContainer(a) || a.localName !== b.localName || b.namespaceURI !== HTML) return false;
  const names = a.getAttributeNames();
  const others = b.getAttributeNames();
  return (
    names.length === others.length &&
    names.every((name, i) => name === others[i] && a.getAttribute(name) === b.getAttribute(name))
  );
}
