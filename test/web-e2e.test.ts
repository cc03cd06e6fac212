/**
 * The web page end to end, in real Chromium (Debian's, driven by playwright-core) against a real
 * Sluice serving web/dist, with a fake provider the test controls event by event. Every wait is
 * on something the page shows or the provider saw — never a sleep — so "partial text visible
 * before the upstream finished" is causal: the rest of the answer does not exist yet.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureWebBuilt } from './support/browser/build.ts';
import { chunk, DEMO_MODEL, END, MODEL, routeChats } from './support/browser/chat-upstream.ts';
import { launchChromium, type PageProblems, watchPage } from './support/browser/chromium.ts';
import { deferred, type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { sluiceFor, type TestSluice } from './support/sluice.ts';
import { waitFor } from './support/wait.ts';

const ADMIN = { username: 'ada', password: 'correct horse battery staple' };
/** Screenshots go here (git-ignored), kept after the run for people to look at. */
const SHOTS = fileURLToPath(new URL('../.tmp/web-e2e/', import.meta.url));

let upstream: FakeUpstream;
let chats: ReturnType<typeof routeChats>;
let sluice: TestSluice;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: PageProblems;
/** The conversation whose answer was regenerated. */
let regenerated = '';

before(async () => {
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  upstream = await startFakeUpstream();
  chats = routeChats(upstream);
  sluice = await sluiceFor(upstream.origin, { SLUICE_ADMIN_KEY: '' });
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  // Every wait is for something that happens within milliseconds; fail fast when it does not.
  context.setDefaultTimeout(10_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sluice.url });
  page = await context.newPage();
  problems = watchPage(page);
});

after(async () => {
  await browser.close();
  await sluice.stop();
  await upstream.stop();
});

/** The page's console errors so far, cleared. */
function takeErrors(): string[] {
  return problems.errors.splice(0);
}

const answers = () => page.locator('.message.assistant');
const lastAnswer = () => answers().last();

async function ask(target: Page, text: string): Promise<void> {
  await target.locator('textarea[name=message]').fill(text);
  await target.locator('textarea[name=message]').press('Enter');
}

async function newChat(): Promise<void> {
  await page.getByRole('button', { name: /New chat/ }).click();
  await page.locator('.empty-thread').waitFor();
}

/** The conversation open in the page, from its address (`/c/<id>`). */
function conversationId(target: Page): string {
  const id = /\/c\/([\w-]+)$/.exec(new URL(target.url()).pathname)?.[1];
  assert.ok(id, `no conversation in ${target.url()}`);
  return id;
}

describe('the web page in Chromium', () => {
  it('first run: creates the admin account, then signs out and in again', async () => {
    await page.goto(sluice.url);
    await page.getByTestId('setup-form').waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin account' }).click();
    await page.locator('.top-bar .user-name', { hasText: ADMIN.username }).waitFor();
    const user = await sluice.running.store.findUserByName(ADMIN.username);
    assert.equal(user?.role, 'admin');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /wrong username or password/i })
      .waitFor();
    // Chromium logs the refused sign-in's 401 as a console error: expected here, and only here.
    assert.deepEqual(
      takeErrors().map((e) => /status of 401.*\/api\/login/.test(e)),
      [true],
    );
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('textarea[name=message]').waitFor();
    // The model picker lists the provider's models and marks the demo one.
    const options = await page.locator('select[name=model] option').allTextContents();
    assert.deepEqual(options, [MODEL, `${DEMO_MODEL} (demo)`]);
  });

  it('shows the answer while it streams, then renders it as markdown with highlighted code', async () => {
    const release = deferred();
    const gotFirstHalf = deferred();
    chats.reply(async (res) => {
      res.write(chunk('Two things:\n\n'));
      res.write(chunk('- **alpha** comes first\n'));
      gotFirstHalf.resolve();
      await release.promise;
      res.write(chunk('- beta comes second\n\n'));
      res.write(chunk('```ts\nconst answer: number = 42;\n```\n'));
      res.end(END);
    });
    await ask(page, 'Give me a list and some code');
    await gotFirstHalf.promise;
    const answer = lastAnswer();
    await answer.locator('.markdown li strong', { hasText: 'alpha' }).waitFor();
    // The upstream is still holding the second half: what the page shows came as it streamed.
    const shot = join(SHOTS, 'chat-streaming.png');
    await page.screenshot({ path: shot });
    assert.equal(await answer.getAttribute('data-status'), 'streaming');
    assert.equal(
      await answer
        .locator('.markdown')
        .textContent()
        .then((t) => t?.includes('beta')),
      false,
    );
    assert.match(
      (await answer.getByTestId('ttft').textContent()) ?? '',
      /first token \d+(\.\d+)? m?s/,
    );

    release.resolve();
    await page.locator('.message.assistant[data-status=complete]').waitFor();
    assert.equal(await answer.locator('.markdown li').count(), 2);
    const code = answer.locator('.code-block pre code.hljs.language-ts');
    assert.equal(await code.textContent(), 'const answer: number = 42;');
    assert.ok((await code.locator('.hljs-keyword').count()) > 0, 'the code block is highlighted');
    await page.screenshot({ path: join(SHOTS, 'chat-complete.png') });

    // Copy: the code block's button puts exactly the code on the clipboard.
    await answer.locator('.code-block button.copy-code').click();
    await answer.locator('.code-block button.copy-code', { hasText: 'Copied' }).waitFor();
    assert.equal(
      await page.evaluate(() => navigator.clipboard.readText()),
      'const answer: number = 42;',
    );

    // Regenerate: the last answer is asked again and replaced, in place.
    chats.reply((res) => {
      res.end(chunk('A *second* answer.') + END);
      return Promise.resolve();
    });
    await answer.getByRole('button', { name: 'Regenerate' }).click();
    await answer.locator('.markdown em', { hasText: 'second' }).waitFor();
    await page.locator('.message.assistant[data-status=complete]').waitFor();
    assert.equal(await answers().count(), 1);
    regenerated = conversationId(page);
  });

  it('regenerating replaces the stored answer', async () => {
    const stored = await sluice.running.store.listMessages(regenerated);
    assert.deepEqual(
      stored.map((m) => [m.role, m.content]),
      [
        ['user', 'Give me a list and some code'],
        ['assistant', 'A *second* answer.'],
      ],
    );
  });

  it('a refused question is kept by the page only, and regenerating asks it again', async () => {
    // The server kept a refused question (and made its conversation): a user out of budget
    // could go on writing to the store without limit.
    await newChat();
    chats.refuseNext(400, 'Prompt is too long for this model.');
    await ask(page, 'A question the provider refuses');
    await lastAnswer()
      .locator('.error-text', { hasText: 'Prompt is too long for this model.' })
      .waitFor();
    assert.deepEqual(
      takeErrors().map((e) => /status of 400.*\/api\/chat/.test(e)),
      [true],
    );
    const titles = async () => {
      const user = await sluice.running.store.findUserByName(ADMIN.username);
      assert.ok(user);
      return (await sluice.running.store.listConversations(user.id)).map((c) => c.title);
    };
    assert.ok(!(await titles()).includes('A question the provider refuses'));
    chats.reply((res) => {
      res.end(chunk('Answered after all.') + END);
      return Promise.resolve();
    });
    await lastAnswer().getByRole('button', { name: 'Regenerate' }).click();
    await page.locator('.message.assistant[data-status=complete]').last().waitFor();
    await page.waitForURL(/\/c\//);
    const stored = await sluice.running.store.listMessages(conversationId(page));
    assert.deepEqual(
      stored.map((m) => [m.role, m.content]),
      [
        ['user', 'A question the provider refuses'],
        ['assistant', 'Answered after all.'],
      ],
    );
    assert.equal(await answers().count(), 1);
  });

  it('ends a long streamed answer with the DOM the stored answer renders to at once', async () => {
    // Issue #16: settled blocks are rendered once and only the tail each frame. Each piece
    // leaves once the page shows the one before, so the page renders every step in between.
    await newChat();
    const pieces = [
      '# Title w0\n\nSome *intro* w1',
      ' text w2\n\n- item one w3\n- item',
      ' two w4\n\n```ts\nconst w5 = 1;\n',
      'const w6 = 2;\n```\n\n| a | b |\n|---|---|\n| w7 | x |\n\nSee [docs][d] w8',
      '.\n\n[d]: https://example.com\n\n<img src=x onerror="window.__xss=1"> End w9.',
    ];
    const shown = pieces.map(() => deferred());
    chats.reply(async (res) => {
      for (const [i, piece] of pieces.entries()) {
        res.write(chunk(piece));
        await shown[i]!.promise;
      }
      res.end(END);
    });
    await ask(page, 'Stream some markdown');
    for (const i of pieces.keys()) {
      await lastAnswer()
        .locator('.markdown', { hasText: `w${i}` })
        .waitFor();
      shown[i]!.resolve();
    }
    await page.locator('.message.assistant[data-status=complete]').waitFor();
    const streamed = await lastAnswer().locator('.markdown').innerHTML();
    assert.match(streamed, /<a href="https:\/\/example\.com" target="_blank"/);
    await page.reload();
    const stored = page.locator('.message.assistant[data-status=complete] .markdown');
    assert.equal(await stored.innerHTML(), streamed);
    for (const error of takeErrors())
      assert.match(error, /Executing inline event handler violates .*The action has been blocked/);
  });

  it('stops mid-answer; after a reload the partial answer is there, marked stopped', async () => {
    await newChat();
    const hungUp = deferred();
    chats.reply(async (res, call) => {
      res.write(chunk('This answer will be cut short'));
      await call.aborted;
      hungUp.resolve();
    });
    await ask(page, 'Tell me a long story');
    await lastAnswer().locator('.markdown', { hasText: 'cut short' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await hungUp.promise; // the stop reached the provider: Sluice hung up on it
    const id = conversationId(page);
    let status: string | undefined;
    await waitFor(
      async () => {
        const messages = await sluice.running.store.listMessages(id);
        status = messages.find((m) => m.role === 'assistant')?.status;
        return status === 'stopped';
      },
      { what: 'the partial answer saved as stopped' },
    ).catch((error: unknown) => {
      throw new Error(`conversation ${id}: the answer stayed ${String(status)}`, { cause: error });
    });
    await page.reload();
    const stopped = page.locator('.message.assistant[data-status=stopped]');
    await stopped.getByTestId('status-stopped').waitFor();
    assert.equal(
      (await stopped.locator('.markdown').textContent())?.trim(),
      'This answer will be cut short',
    );
  });

  it('renders a hostile answer without running any of it', async () => {
    await newChat();
    chats.reply((res) => {
      // Split inside tags and URLs: each piece is rendered as it stands when it arrives.
      res.write(chunk('Look: <img src=x on'));
      res.write(chunk('error="window.__xss=1"> and <scr'));
      res.write(chunk('ipt>window.__xss=2</script> and [click](java'));
      res.write(chunk('script:window.__xss=3) and '));
      res.write(chunk('<a href="data:text/html,<script>alert(4)</script>">data</a> and '));
      res.end(chunk('<svg onload="alert(5)"><circle r="1"/></svg> done.') + END);
      return Promise.resolve();
    });
    await ask(page, 'Say something nasty');
    const answer = lastAnswer();
    await answer.and(page.locator('[data-status=complete]')).waitFor();
    const link = answer.locator('.markdown a', { hasText: 'click' });
    assert.equal(await link.getAttribute('href'), null, 'the javascript: URL is dropped');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    await link.click();
    await answer.locator('.markdown a', { hasText: 'data' }).click();
    const markup = await answer.locator('.markdown').innerHTML();
    assert.doesNotMatch(markup, /onerror|onload|<script|javascript:|data:text/i);
    // A frame later, nothing has run: not the handlers, not the script, not the links.
    assert.equal(
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            requestAnimationFrame(() => {
              resolve(typeof (window as { __xss?: unknown }).__xss);
            });
          }),
      ),
      'undefined',
    );
    assert.deepEqual(problems.dialogs, []);
    assert.equal(context.pages().length, 1, 'no window was opened');
    // Chromium checks the CSP while the sanitiser parses the answer in an inert document and
    // reports the handlers it saw there as blocked; nothing else may have been logged.
    for (const error of takeErrors())
      assert.match(error, /Executing inline event handler violates .*The action has been blocked/);
  });

  it('reads out time to first token and tokens/s; a paced stream raises no burst warning', async () => {
    await newChat();
    const words = Array.from({ length: 16 }, (_, i) => `word${i} `);
    const shown = words.map(() => deferred());
    chats.reply(async (res) => {
      for (const [i, word] of words.entries()) {
        res.write(chunk(word));
        await shown[i]!.promise; // the next token leaves only once the page shows this one
      }
      res.end(END);
    });
    await ask(page, 'Count slowly');
    for (const [i, word] of words.entries()) {
      await lastAnswer().locator('.markdown', { hasText: word.trim() }).waitFor();
      shown[i]!.resolve();
    }
    const answer = lastAnswer();
    await answer.and(page.locator('[data-status=complete]')).waitFor();
    assert.match((await answer.getByTestId('ttft').textContent()) ?? '', /^first token \d+ ms$/);
    assert.match((await answer.getByTestId('tps').textContent()) ?? '', /^≈ \d+\.\d tokens\/s$/);
    assert.equal(await answer.getByTestId('burst-warning').count(), 0);
  });

  it('warns when the tokens are held and then arrive in one burst', async () => {
    await newChat();
    const release = deferred();
    const words = Array.from({ length: 400 }, (_, i) => `t${i} `);
    chats.reply(async (res) => {
      await release.promise;
      res.end(words.map(chunk).join('') + END); // the whole answer in one write, as a buffer lets go
    });
    await ask(page, 'Answer through a buffering proxy');
    // The page is waiting for its first token while the provider holds everything back.
    await lastAnswer().getByTestId('waiting').waitFor();
    release.resolve();
    const warning = lastAnswer().getByTestId('burst-warning');
    await warning.waitFor();
    assert.match(
      (await warning.textContent()) ?? '',
      /Buffered stream: the whole answer \(400 tokens\) arrived at once/,
    );
    await warning.locator('summary').click();
    assert.match(
      (await warning.locator('code').textContent()) ?? '',
      /^sluice doctor http:\/\/127\.0\.0\.1:\d+$/,
    );
  });

  it('works on a phone-sized screen: question box in view, the list behind a toggle', async () => {
    const phone = await browser.newContext({
      storageState: await context.storageState(),
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
      colorScheme: 'dark',
    });
    phone.setDefaultTimeout(10_000);
    const mobile = await phone.newPage();
    await mobile.goto(sluice.url);
    const box = mobile.locator('textarea[name=message]');
    const send = mobile.getByRole('button', { name: 'Send' });
    await box.waitFor();
    for (const element of [box, send]) {
      const rect = await element.boundingBox();
      assert.ok(
        rect !== null && rect.x >= 0 && rect.x + rect.width <= 390 && rect.y + rect.height <= 844,
        'in view',
      );
    }
    const drawer = mobile.locator('#conversation-drawer');
    assert.equal(await drawer.isVisible(), false, 'the list is hidden behind the toggle');
    await mobile.screenshot({ path: join(SHOTS, 'phone-chat.png') });
    await mobile.getByRole('button', { name: 'Conversations' }).click();
    // A trial click waits until the drawer has slid in and stands still.
    await drawer.locator('.conversation a').first().click({ trial: true });
    await mobile.screenshot({ path: join(SHOTS, 'phone-drawer.png') });
    await drawer.locator('.conversation a', { hasText: 'Give me a list' }).click();
    await drawer.waitFor({ state: 'hidden' });
    await mobile.locator('.message.assistant .markdown em', { hasText: 'second' }).waitFor();
    await mobile.screenshot({ path: join(SHOTS, 'phone-dark.png') });
    await phone.close();
  });

  it('speaks Simplified Chinese for a zh-CN browser, and switches to English', async () => {
    const zh = await browser.newContext({
      storageState: await context.storageState(),
      locale: 'zh-CN',
    });
    zh.setDefaultTimeout(10_000);
    const zhPage = await zh.newPage();
    await zhPage.goto(sluice.url);
    await zhPage.getByRole('button', { name: '新对话' }).waitFor();
    assert.equal(await zhPage.getByRole('button', { name: '发送' }).count(), 1);
    assert.equal(await zhPage.locator('html').getAttribute('lang'), 'zh-CN');
    await zhPage.locator('select[name=language]').selectOption('en');
    await zhPage.getByRole('button', { name: /New chat/ }).waitFor();
    await zhPage.reload();
    await zhPage.getByRole('button', { name: 'Send' }).waitFor(); // the choice is remembered
    await zh.close();
  });

  it('admin: creates a key (shown once) and charts usage after chats', async () => {
    await page.goto(`${sluice.url}/admin/keys`);
    await page
      .locator('select[name=user] option', { hasText: ADMIN.username })
      .waitFor({ state: 'attached' });
    await page.locator('input[name=name]').fill('laptop');
    await page.locator('input[name=routes]').fill('files, batches');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-key-secret').textContent()) ?? '';
    assert.match(secret, /^sk-sluice-/);
    const models = await fetch(`${sluice.url}/v1/models`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(models.status, 200, 'the key shown works');
    const [key] = (
      (await (
        await fetch(`${sluice.url}/api/admin/keys`, {
          headers: { authorization: `Bearer ${secret}` },
        })
      ).json()) as { data: { name: string; routes: string[] }[] }
    ).data.filter((k) => k.name === 'laptop');
    assert.deepEqual(key?.routes, ['files', 'batches'], 'granted the routes typed on the page');
    await page.locator('tr[data-key] td', { hasText: 'inference, files, batches' }).waitFor();
    await page.locator('tr[data-key] td', { hasText: 'laptop' }).waitFor();
    await page.reload();
    await page.locator('tr[data-key] td', { hasText: 'laptop' }).waitFor();
    assert.equal(await page.getByTestId('new-key').count(), 0, 'the secret is not shown again');
    assert.equal((await page.content()).includes(secret), false);

    await page.getByRole('link', { name: 'Usage' }).click();
    const perDay = page.locator('figure[data-chart=per-day] svg rect');
    await perDay.first().waitFor();
    assert.ok((await page.locator('figure[data-chart=per-model] svg rect').count()) >= 1);
    assert.ok(
      (await page
        .locator('figure[data-chart=per-user] svg text', { hasText: ADMIN.username })
        .count()) >= 1,
    );
    assert.ok((await page.locator('figure[data-chart=ttfb] svg rect').count()) >= 1);
    await page.screenshot({ path: join(SHOTS, 'admin-usage.png'), fullPage: true });

    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('input[name=username]').fill('bob');
    await page.locator('input[name=password]').fill('another long passphrase');
    await page.getByRole('button', { name: 'Create user' }).click();
    const bob = page.locator('tr[data-user=bob]');
    await bob.getByRole('button', { name: 'Disable' }).click();
    await bob.locator('.badge', { hasText: 'disabled' }).waitFor();
    assert.equal((await sluice.running.store.findUserByName('bob'))?.disabled, true);
  });

  it('left no errors in the page', () => {
    assert.deepEqual(problems.errors, []);
  });
});
