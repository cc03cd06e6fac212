/** The answer's markdown as HTML (web/src/markdown/markdown-html.ts), before sanitising. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownHtml } from '../src/markdown/markdown-html.ts';

const PYTHON = Array.from({ length: 8 }, (_, i) => `def f${i}(x):\n    return x * ${i}\n`).join('');

describe('markdownHtml', () => {
  it('highlights a block in its named language, finished or still growing', () => {
    for (const markdown of ['```python\n' + PYTHON, '```python\n' + PYTHON + '```'])
      assert.match(markdownHtml(markdown, 'Copy'), /<code class="hljs language-python">/);
  });

  it('guesses an unnamed language only once the fence is closed (every grammar is tried)', () => {
    const open = markdownHtml('```\n' + PYTHON, 'Copy');
    assert.match(open, /<code class="hljs">/);
    for (const closed of ['```\n' + PYTHON + '```', '```\n' + PYTHON + '````\n\nafter'])
      assert.match(markdownHtml(closed, 'Copy'), /<code class="hljs language-python">/);
    // Another fence character, or a shorter fence, does not close it.
    for (const still of ['~~~\n' + PYTHON + '```', '````\n' + PYTHON + '```'])
      assert.match(markdownHtml(still, 'Copy'), /<code class="hljs">/);
  });

  it('highlights a growing block piece by piece, the same text, and whole once it is closed', () => {
    const code = Array.from({ length: 30 }, (_, i) => `const a${i} = ${i}; // line ${i}`).join(
      '\n',
    );
    const growing = markdownHtml('```ts\n' + code, 'Copy');
    const closed = markdownHtml('```ts\n' + code + '\n```', 'Copy');
    const text = (html: string) =>
      /<code[^>]*>([\s\S]*)<\/code>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '');
    assert.equal(text(growing), text(closed));
    assert.match(growing, /<span class="hljs-keyword">const<\/span>/);
    // A comment across a piece boundary is coloured whole only once the block is.
    const comment = `${Array.from({ length: 7 }, () => 'x();').join('\n')}\n/* one\ntwo */`;
    assert.doesNotMatch(
      markdownHtml('```ts\n' + comment, 'Copy'),
      /hljs-comment">\/\* one\ntwo \*\//,
    );
    assert.match(
      markdownHtml('```ts\n' + comment + '\n```', 'Copy'),
      /hljs-comment">\/\* one\ntwo \*\//,
    );
  });

  it('gives code blocks a header with the language and a copy button', () => {
    assert.match(
      markdownHtml('```ts\nconst a = 1;\n```', 'Copy'),
      /^<div class="code-block"><div class="code-head"><span>ts<\/span><button type="button" class="copy-code">Copy<\/button><\/div><pre><code class="hljs language-ts">/,
    );
  });
});
