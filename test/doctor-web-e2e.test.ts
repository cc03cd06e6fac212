/**
 * The stream test page (`/doctor`, issue 15) end to end: real Chromium (Debian's, driven by
 * playwright-core) loads the page through a real nginx in front of a real Sluice, so the probe
 * it fetches crosses that nginx exactly as a user's chat would. One nginx buffers (it ignores
 * Sluice's X-Accel-Buffering: no), one streams; the page must say `buffered` and `ok`, with the
 * CLI's classifier, and draw one mark per event. Nobody signs in.
 *
 * The two measurements run one after the other: they time a stream, and two at once on a
 * 2-core machine would disturb each other. Every wait is on what the page shows, never a sleep.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { STRINGS } from '../web/src/i18n/strings.ts';
import { ensureWebBuilt } from './support/browser/build.ts';
import { launchChromium, type PageProblems, watchPage } from './support/browser/chromium.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';
import { waitForText } from './support/wait-for-text.ts';

/** Screenshots go here (git-ignored), kept after the run for people to look at. */
const SHOTS = fileURLToPath(new URL('../.tmp/doctor-web-e2e/', import.meta.url));
/** The CLI's default probe, which the page runs unless its address says otherwise. */
const EVENTS = 30;
/** A whole run: 30 × 100 ms plus a chain that a busy machine slows down. */
const RUN_TIMEOUT = 30_000;

const STREAMING = [
  'proxy_buffering off;',
  'proxy_http_version 1.1;',
  'proxy_set_header Connection "";',
  'gzip off;',
  'proxy_read_timeout 3600s;',
];
/** nginx's default buffering, with the header that would turn it off for the probe ignored. */
const BUFFERING = ['proxy_ignore_headers X-Accel-Buffering;'];

let sluice: TestSluice;
let streaming: TestNginx;
let buffering: TestNginx;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: PageProblems;
/** Every URL the page asked for, in order. */
const requested: string[] = [];

before(async () => {
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  const upstreamPort = Number(new URL(sluice.url).port);
  const nginx = (directives: readonly string[]) =>
    startNginx({
      serverBlock: proxyServerBlock({ upstreamPort, locationExtra: directives.join('\n') }),
    });
  streaming = await nginx(STREAMING);
  buffering = await nginx(BUFFERING);
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  problems = watchPage(page);
  page.on('request', (request) => requested.push(request.url()));
});

after(async () => {
  await browser.close();
  await buffering.stop();
  await streaming.stop();
  await sluice.stop();
});

/** Opens /doctor through `hop`, runs the test, and waits for the verdict. */
async function runThrough(hop: TestNginx, query = ''): Promise<string> {
  requested.length = 0;
  await page.goto(`${hop.url}/doctor${query}`);
  await page.getByTestId('doctor-run').click();
  const verdict = page.getByTestId('doctor-verdict');
  await verdict.waitFor({ timeout: RUN_TIMEOUT });
  return (await verdict.getAttribute('data-verdict')) ?? '';
}

/** The x of every event's mark: a burst shares one. */
async function markColumns(): Promise<number[]> {
  return page
    .locator('[data-testid=probe-chart] circle.event')
    .evaluateAll((marks) => marks.map((m) => Number(m.getAttribute('cx'))));
}

/** What the page says, for an assertion's message. */
function causes(): Promise<string> {
  return page.locator('.doctor-result').innerText();
}

describe('/doctor in Chromium, through nginx', () => {
  it('opens without signing in, and asks the server for nothing but its files and the probe', async () => {
    await page.goto(`${streaming.url}/doctor`);
    await page.getByRole('heading', { name: STRINGS.en.doctorTitle }).waitFor();
    assert.equal(await page.getByTestId('login-form').count(), 0);
    assert.equal(await page.getByTestId('setup-form').count(), 0);
    assert.ok(
      requested.every((url) => !new URL(url).pathname.startsWith('/api/')),
      requested.join('\n'),
    );
  });

  it('through a buffering nginx: buffered, nginx named, its fix shown, the bursts in columns', async () => {
    const verdict = await runThrough(buffering);
    await page.screenshot({ path: join(SHOTS, 'buffered.png'), fullPage: true });
    assert.equal(verdict, 'buffered', await causes());
    // The probe went out from the page, through this nginx, with no cookie and no key.
    // (Twice if the first result was borderline, as the CLI does.)
    const probes = requested.filter((url) => new URL(url).pathname === '/sluice/probe');
    assert.ok(probes.length >= 1, requested.join('\n'));
    assert.ok(probes.every((url) => new URL(url).origin === buffering.url));
    await waitForText(() => buffering.accessLog(), /"GET \/sluice\/probe\?events=30&/);
    assert.ok(requested.every((url) => !new URL(url).pathname.startsWith('/api/')));

    const columns = await markColumns();
    assert.equal(columns.length, EVENTS, 'one mark per event');
    assert.ok(new Set(columns).size <= EVENTS / 3, `bursts share a column: ${columns.join(' ')}`);
    assert.ok((await page.locator('circle.event.held').count()) > 0, 'held events marked');

    const cause = page.locator('.doctor-cause.problem').first();
    assert.match((await cause.getAttribute('data-cause')) ?? '', /^(size-bursts|fully-buffered)$/);
    assert.match(await page.locator('.doctor-facts').innerText(), /nginx/);
    const fix = page.locator('.doctor-cause.problem .doctor-fix[data-hop=nginx] pre').first();
    assert.match(await fix.innerText(), /proxy_buffering off;/);
    assert.deepEqual(problems.errors, []);
  });

  it('offers the same report as `sluice doctor --html`, built in the page', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: STRINGS.en.doctorDownload }).click(),
    ]);
    const path = await download.path();
    const html = readFileSync(path, 'utf8');
    assert.match(html, /<h1 class="verdict" data-verdict="buffered">/);
    assert.equal(html.match(/<circle class="event[ "]/g)?.length, EVENTS);
    assert.doesNotMatch(html, /<script/i);
  });

  it('through a streaming nginx: ok, the events spread along the diagonal', async () => {
    const verdict = await runThrough(streaming);
    await page.screenshot({ path: join(SHOTS, 'ok.png'), fullPage: true });
    assert.equal(verdict, 'ok', await causes());
    assert.equal(await page.locator('.doctor-cause').first().getAttribute('data-cause'), 'healthy');
    assert.equal(await page.locator('.doctor-cause.problem').count(), 0);
    const columns = await markColumns();
    assert.equal(columns.length, EVENTS, 'one mark per event');
    // Sent 100 ms apart and not held (a busy machine may hold one or two a moment): far more
    // columns than a buffer's few bursts.
    assert.ok(new Set(columns).size > EVENTS / 2, `columns: ${columns.join(' ')}`);
    assert.match(await page.locator('.doctor-facts').innerText(), /nginx/);
    assert.deepEqual(problems.errors, []);
  });

  it("a stall of the page's own (a busy tab) is not a hop's hold: still ok, the wait told", async () => {
    // Events 50 ms apart: a 700 ms hold of a hop would delay 14 of them.
    await page.goto(`${streaming.url}/doctor?events=30&interval_ms=50&pad=512&silence_ms=0`);
    await page.getByTestId('doctor-run').click();
    // Mid-stream, the tab's main thread stands still for 700 ms, as a busy machine or a heavy
    // page makes it: the events sent meanwhile are read together after it.
    await page
      .getByTestId('doctor-progress')
      .filter({ hasText: /\b([89]|1\d) of 30\b/ })
      .waitFor();
    await page.evaluate(() => {
      const until = performance.now() + 700;
      while (performance.now() < until);
    });
    const verdict = page.getByTestId('doctor-verdict');
    await verdict.waitFor({ timeout: RUN_TIMEOUT });
    assert.equal(await verdict.getAttribute('data-verdict'), 'ok', await causes());
    assert.match(await causes(), /waited in the doctor itself/);
    assert.deepEqual(problems.errors, []);
  });

  it('draws each event as it arrives: the first mark is there while the stream is still silent', async () => {
    // Two events with 3 s of silence between them: the stream cannot end, and so no verdict can
    // exist, before the second is sent. Seeing the first mark first is cause, not timing.
    await page.goto(`${streaming.url}/doctor?events=2&interval_ms=0&pad=0&silence_ms=3000`);
    await page.getByTestId('doctor-run').click();
    await page.locator('[data-testid=probe-chart] circle.event').first().waitFor();
    assert.equal(await page.getByTestId('doctor-verdict').count(), 0);
    assert.match(await page.getByTestId('doctor-progress').innerText(), /1 of 2/);
    await page.getByTestId('doctor-verdict').waitFor({ timeout: RUN_TIMEOUT });
    assert.equal(await markColumns().then((c) => c.length), 2);
  });

  it('speaks Chinese to a Chinese browser', async () => {
    const zh = await browser.newContext({ locale: 'zh-CN' });
    try {
      const zhPage = await zh.newPage();
      const zhProblems = watchPage(zhPage);
      await zhPage.goto(`${streaming.url}/doctor`);
      await zhPage.getByRole('heading', { name: STRINGS['zh-CN'].doctorTitle }).waitFor();
      await zhPage.getByRole('button', { name: STRINGS['zh-CN'].doctorRun }).waitFor();
      assert.deepEqual(zhProblems.errors, []);
    } finally {
      await zh.close();
    }
  });
});
