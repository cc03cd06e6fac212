/**
 * The page's view of a streaming answer (web/src/markdown/markdown-view.ts), in Chromium: after
 * every chunk the element must hold what sanitising the whole text so far would give — the view
 * sanitises only the nodes that changed, and must not let anything through that way — and a
 * hostile answer split anywhere must run nothing.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { launchChromium } from '../../test/support/browser/chromium.ts';
import { longAnswer } from '../../bench/page-render.ts';
import type { MarkdownPage } from './support/markdown-page.ts';
import { recordedTexts, TRICKY } from './support/markdown-samples.ts';

let browser: Browser;
let page: Page;

before(async () => {
  const output = (await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      lib: {
        entry: fileURLToPath(new URL('./support/markdown-page.ts', import.meta.url)),
        formats: ['iife'],
        name: 'markdownPage',
      },
    },
  })) as Rolldown.RolldownOutput[];
  browser = await launchChromium();
  page = await browser.newPage();
  await page.addScriptTag({ content: output[0]?.output[0].code ?? '' });
});

after(async () => {
  await browser.close();
});

/** Streams the chunks in the page; checks the element against the whole render after each. */
async function streamChecked(chunks: readonly string[], what: string): Promise<void> {
  const mismatches = await page.evaluate((chunks) => {
    const md = (window as unknown as { markdownPage: MarkdownPage }).markdownPage;
    const shown = md.stream(chunks);
    let text = '';
    return chunks.flatMap((chunk, i) => {
      text += chunk;
      const expected = md.whole(text);
      return shown[i] === expected ? [] : [{ text, shown: shown[i], expected }];
    });
  }, chunks);
  assert.deepEqual(mismatches.slice(0, 1), [], `${what}: ${mismatches.length} chunks differ`);
}

describe('MarkdownView in Chromium', () => {
  it('equals the whole sanitised render after every character of the tricky inputs', async () => {
    for (const [name, text] of Object.entries(TRICKY)) await streamChecked(Array.from(text), name);
  });

  it('equals it after every recorded chunk of the provider streams', async () => {
    for (const { name, deltas } of recordedTexts()) await streamChecked(deltas, name);
  });

  it('equals it on a long answer with code blocks, a few tokens at a time', async () => {
    const tokens = longAnswer(2400);
    const chunks = Array.from({ length: tokens.length / 4 }, (_, i) =>
      tokens.slice(4 * i, 4 * i + 4).join(''),
    );
    await streamChecked(chunks, 'the bench answer');
  });

  it('equals it on a long answer given at once, as a stored answer is shown', async () => {
    await streamChecked([longAnswer(2400).join('')], 'the bench answer at once');
  });

  it('runs nothing from a hostile answer, wherever the chunks split it', async () => {
    const payloads = [
      'Look: <img src=x onerror="window.__xss=1"> done.',
      'a <script>window.__xss=2</script> b',
      '[click](javascript:window.__xss=3) and [ok](https://example.com)',
      '<a href="data:text/html,<script>alert(4)</script>">data</a>',
      '<svg onload="window.__xss=5"><circle r="1"/></svg>',
      '<details open ontoggle="window.__xss=6">x</details>',
      '```\ncode\n```\n\n<img src=x onerror=window.__xss=7>\n\n- item <b onmouseover=window.__xss=8>b</b>',
      '<p>para <iframe src="javascript:window.__xss=9"></iframe></p>',
    ];
    for (const payload of payloads) {
      const splits = Array.from({ length: payload.length + 1 }, (_, at) => [
        payload.slice(0, at),
        payload.slice(at),
      ]);
      for (const chunks of [...splits, Array.from(payload)]) {
        const unsafe = await page.evaluate((chunks) => {
          const md = (window as unknown as { markdownPage: MarkdownPage }).markdownPage;
          return md.stream(chunks).flatMap((html) => md.unsafe(html));
        }, chunks);
        assert.deepEqual(unsafe, [], `${payload} in ${JSON.stringify(chunks.slice(0, 3))}`);
      }
      await streamChecked(Array.from(payload), payload);
    }
    // Images that failed to load fire onerror a little later; a frame and a moment after, none has.
    const ran = await page.evaluate(
      () =>
        new Promise((resolve) => {
          requestAnimationFrame(() =>
            setTimeout(() => {
              resolve((window as { __xss?: unknown }).__xss);
            }, 200),
          );
        }),
    );
    assert.equal(ran, undefined);
  });
});
