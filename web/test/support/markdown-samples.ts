/**
 * Markdown the tests stream through the page's renderer: the recorded provider streams' texts
 * (test/fixtures/provider-streams) as they came, and small inputs built to trip it up.
 */
import { readdirSync, readFileSync } from 'node:fs';

const FIXTURES = new URL('../../../test/fixtures/provider-streams/', import.meta.url);

/** The answer's text (and reasoning text) of each recorded stream, as it came, delta by delta. */
export function recordedTexts(): { name: string; deltas: string[] }[] {
  const texts: { name: string; deltas: string[] }[] = [];
  for (const folder of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(new URL(`${folder.name}/`, FIXTURES))) {
      const answer: string[] = [];
      const reasoning: string[] = [];
      for (const line of readFileSync(new URL(`${folder.name}/${file}`, FIXTURES), 'utf8').split(
        '\n',
      )) {
        const event = parsed(line);
        if (event === undefined) continue;
        const [text, thought] = deltaOf(event);
        if (text !== undefined) answer.push(text);
        if (thought !== undefined) reasoning.push(thought);
      }
      for (const [kind, deltas] of [
        ['text', answer],
        ['reasoning', reasoning],
      ] as const)
        if (deltas.join('') !== '')
          texts.push({ name: `${folder.name}/${file} (${kind})`, deltas });
    }
  }
  return texts;
}

/** A recorded event; one recording splices a second stream into the middle of a line. */
function parsed(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** [text, reasoning] carried by one recorded event, in any of the four wire formats. */
function deltaOf(event: Record<string, unknown>): [string | undefined, string | undefined] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const choice = (event.choices as { delta?: Record<string, unknown> }[] | undefined)?.[0];
  if (choice?.delta !== undefined)
    return [str(choice.delta.content), str(choice.delta.reasoning_content)];
  const delta = event.delta as Record<string, unknown> | string | undefined;
  if (event.type === 'content_block_delta' && typeof delta === 'object')
    return [str(delta.text), str(delta.thinking)];
  if (event.type === 'response.output_text.delta') return [str(delta), undefined];
  if (event.type === 'response.reasoning_summary_text.delta') return [undefined, str(delta)];
  return [undefined, undefined];
}

/** Inputs where a block could look finished and is not, or reach back into one that is. */
export const TRICKY: Readonly<Record<string, string>> = {
  'open fence with blank lines': '```js\nconst a = 1;\n\nconst b = 2;\n```\n\nafter\n',
  'tilde fence closed by a longer one': '~~~~\ncode\n~~~\n\nstill code\n~~~~~\n\ntext',
  'fence line that is not a close': '```\nx\n```js\n\ny\n```\n\nz',
  'fence in a list': '- item\n\n  ```\n  code\n\n  more\n  ```\n\n- next\n\nend',
  'loose lists and continuations':
    '- a\n\n- b\n\n  continued\n\nc\n\n1. one\n2. two\n\n3. three\n\n- x\n\n* y\n\n+ z',
  'list then a paragraph starting with a digit': '- a\n\n2024 was a year\n\n10) ten\n\nz',
  'nested list with indented code': '- item\n\n      code in the item\n\n  - nested\n\n- next',
  tables: '| a | b |\n|---|:-:|\n| 1 | 2 |\n| 3 | 4 |\n\nafter\n\n| x |\n| - |\n| y |',
  'table header waiting for its delimiter': 'name | value\n--- | ---\nx | 1\n\nnot | a table',
  'setext headings': 'Title\n=====\n\nSub\n---\n\npara\n\n---\n\nline\n-\n\nlast\n==',
  'reference links defined later':
    'See [the docs][d] and [x].\n\n[d]: https://example.com "Docs"\n\n[x]: /x\n\nAgain [d], ![img][x].',
  'first definition wins': '[a]: /first\n\nuse [a]\n\n[a]: /second\n\nand [a] [b]\n\n[b]: /b',
  'definition inside a quote': '> [q]: /quoted\n\n[q] here',
  blockquotes: '> quote\n> more\n\n> second\n\nlazy\n> q\ncontinued\n\n>\n\nend',
  'raw html blocks and tags':
    '<div>\n\n**in div**\n\n</div>\n\nafter <b>bold\n\nnext para</b>\n\n<br>ok\n\n<details>\n<summary>s</summary>\n\nx\n\n</details>',
  'void tags settle': 'line<br>break\n\n<img src="/a.png" alt="a">\n\nnext <wbr> word\n\nend',
  'html comment across blocks': 'a <!-- hidden\n\nstill? -->\n\nb\n\n<!--\n\nc\n\n-->\n\nd',
  'indented code': 'para\n\n    code\n\n    more code\n\n\n    after two blanks\n\nend',
  'tabs and spaces': '\tcode\n\n-\ttab list\n\n  two spaces\n\n   three\n\nx',
  'carriage returns': 'a\r\n\r\nb\r\n\r\n```\r\nx\r\n```\r\n\r\nc\rd\r\re',
  'headings and rules': '# H1\n\n***\n\n## H2 ##\n\n#not a heading\n\n___\n\ntext',
  'emphasis across a blank line': '*a\n\nb* and **c\n\nd**',
  'task lists': '- [ ] todo\n- [x] done\n\nafter\n\n1. [ ] one',
  autolinks: '<https://example.com> and www.example.com\n\nhttps://x.test/a_(b)\n\nmail@x.test',
  'escapes and entities': '\\# not a heading\n\n&amp; &copy; &#x27;\n\n\\[x]: /not-a-def\n\n[x]',
  'whitespace only': '\n\n  \n\t\n\n',
  'code block at the very end': 'intro\n\n```python\nprint("hi")\n',
};
