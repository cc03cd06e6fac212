/**
 * The streaming answer's markdown, rendered block by block (web/src/markdown/incremental.ts):
 * after every chunk, the settled blocks' HTML and the tail's must together equal marked's
 * rendering of the whole text so far — whatever the chunk boundaries. Checked on the recorded
 * provider streams as they were chunked, and on small tricky inputs split at every position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IncrementalMarkdown, type IncrementalRendering } from '../src/markdown/incremental.ts';
import { markdownHtml } from '../src/markdown/markdown-html.ts';
import { recordedTexts, TRICKY } from './support/markdown-samples.ts';

const COPY = 'Copy';

const joined = (r: IncrementalRendering) => r.settled.map((b) => b.html).join('') + r.tail;

/** Streams `chunks` into one renderer, checking the rendering after each; returns the last. */
function streamed(chunks: readonly string[], what: string): IncrementalRendering {
  const markdown = new IncrementalMarkdown(COPY);
  let text = '';
  let rendering = markdown.render('');
  for (const chunk of chunks) {
    text += chunk;
    rendering = markdown.render(text);
    assert.equal(
      joined(rendering),
      markdownHtml(text, COPY),
      `${what}, at ${JSON.stringify(text)}`,
    );
  }
  return rendering;
}

/** Every prefix in turn (one character a chunk), then every split into two chunks. */
function everySplit(text: string, what: string): void {
  streamed(Array.from(text), what);
  const whole = markdownHtml(text, COPY);
  for (let at = 0; at <= text.length; at++) {
    const markdown = new IncrementalMarkdown(COPY);
    markdown.render(text.slice(0, at));
    assert.equal(joined(markdown.render(text)), whole, `${what}, split at ${at}`);
  }
}

describe('IncrementalMarkdown', () => {
  for (const [name, text] of Object.entries(TRICKY)) {
    it(`equals the whole render at every split: ${name}`, () => {
      everySplit(text, name);
    });
  }

  it('equals the whole render on the recorded provider streams, chunked as recorded', () => {
    const texts = recordedTexts();
    assert.ok(texts.length >= 10, `found ${texts.length} recorded texts`);
    for (const { name, deltas } of texts) {
      streamed(deltas, name);
      // Split in two at every line start too: where blocks begin and end.
      const text = deltas.join('');
      const whole = markdownHtml(text, COPY);
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
        const markdown = new IncrementalMarkdown(COPY);
        markdown.render(text.slice(0, at + 1));
        assert.equal(joined(markdown.render(text)), whole, `${name}, split after ${at}`);
      }
    }
  });

  it('equals the whole render on random mixes of tricky lines, one character at a time', () => {
    const lines = Object.values(TRICKY).flatMap((text) => text.split('\n'));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let doc = 0; doc < 150; doc++) {
      const picked = Array.from({ length: 4 + Math.floor(random() * 10) }, () => {
        const line = lines[Math.floor(random() * lines.length)] ?? '';
        return random() < 0.3 ? `${line}\n` : line; // blank lines between some
      });
      streamed(Array.from(picked.join('\n')), `random document ${doc}`);
    }
  });

  it('settles finished blocks, keeps them as they were, and leaves the growing one in the tail', () => {
    const markdown = new IncrementalMarkdown(COPY);
    const first = markdown.render('# Title\n\nA paragraph.\n\n```ts\nconst a = 1;\n');
    assert.deepEqual(
      first.settled.map((b) => b.markdown),
      ['# Title\n\nA paragraph.\n\n'],
    );
    assert.match(first.tail, /<code class="hljs language-ts">/);
    const second = markdown.render('# Title\n\nA paragraph.\n\n```ts\nconst a = 1;\n```\n\nNext');
    assert.equal(second.settled[0], first.settled[0], 'the same block, not rendered again');
    assert.equal(second.settled.length, 2);
    assert.equal(second.tail, '<p>Next</p>\n');
  });

  it('renders settled blocks again when a definition for their links arrives', () => {
    const markdown = new IncrementalMarkdown(COPY);
    const before = markdown.render('See [docs].\n\nMore.\n\n');
    assert.equal(before.settled[0]?.html, '<p>See [docs].</p>\n');
    const after = markdown.render('See [docs].\n\nMore.\n\n[docs]: https://example.com\n\nEnd');
    assert.equal(after.settled[0]?.html, '<p>See <a href="https://example.com">docs</a>.</p>\n');
  });

  it('keeps everything from a raw HTML tag on in the tail', () => {
    const markdown = new IncrementalMarkdown(COPY);
    const rendering = markdown.render('Before.\n\n<div>\n\nInside.\n\n</div>\n\nAfter.\n\nMore.');
    assert.deepEqual(
      rendering.settled.map((b) => b.markdown),
      ['Before.\n\n'],
    );
  });

  it('starts over when the text is replaced rather than extended', () => {
    const markdown = new IncrementalMarkdown(COPY);
    markdown.render('One.\n\nTwo.\n\nThree');
    const other = markdown.render('Other.\n\nText');
    assert.equal(joined(other), markdownHtml('Other.\n\nText', COPY));
    assert.deepEqual(
      other.settled.map((b) => b.markdown),
      ['Other.\n\n'],
    );
  });
});
