/**
 * The admin page's request log, limits and cost charts (issue #13) end to end, in real Chromium
 * (Debian's, driven by playwright-core) against a real Sluice with two fake providers: `primary`
 * answers unless told to fail, `backup` takes over when it does. Real requests go through Sluice
 * first, so the log has rows that differ by user, model, upstream and status; every wait is on
 * something the page shows or Sluice recorded, never a sleep.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { USAGE_CSV_COLUMNS } from '../src/admin/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { ensureWebBuilt } from './support/browser/build.ts';
import { launchChromium, type PageProblems, watchPage } from './support/browser/chromium.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
  type UpstreamCall,
} from './support/fake-upstream.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';
import { ADMIN_KEY, keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';
import { usageRecord } from './support/usage-record.ts';
import { waitFor } from './support/wait.ts';

const ADMIN = { username: 'ada', password: 'correct horse battery staple' };
const MODELS = ['gpt-test', 'gpt-mini'];
/** Screenshots go here (git-ignored), kept after the run for people to look at. */
const SHOTS = fileURLToPath(new URL('../.tmp/admin-log-e2e/', import.meta.url));
/** The message that makes `primary` fail with a 500 before its first byte. */
const FAIL = 'fail please';

let scratch: ScratchDir;
let primary: FakeUpstream;
let backup: FakeUpstream;
let sluice: TestSluice;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: PageProblems;
let carolKey: string;
let daveKey: string;
/** Request ids, from `x-sluice-request-id`. */
const ids = { answered: '', failedOver: '', otherModel: '', refused: '' };

/** A provider streaming `text` as Chat Completions chunks of `model`, usage 7 + 11 at the end. */
function provider(name: string, fails: (text: string) => boolean) {
  return (call: UpstreamCall): void => {
    if (call.path.endsWith('/models')) {
      const data = MODELS.map((id) => ({ id, object: 'model', created: 1, owned_by: name }));
      void jsonReply(200, { object: 'list', data })(call);
      return;
    }
    const model = String(call.json?.model);
    const messages = call.json?.messages as { content: string }[] | undefined;
    if (fails(messages?.at(-1)?.content ?? '')) {
      void jsonReply(500, { error: { message: `${name} is down`, type: 'server_error' } })(call);
      return;
    }
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      formatEvent({
        data: JSON.stringify({
          id: `chatcmpl-${name}`,
          object: 'chat.completion.chunk',
          created: 1,
          model,
          choices: [{ index: 0, delta, finish_reason: 'content' in delta ? null : 'stop' }],
          ...extra,
        }),
      });
    sseHead(call.res);
    call.res.end(
      chunk({ content: `from ${name}` }) +
        chunk({}, { usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 } }) +
        formatEvent({ data: '[DONE]' }),
    );
  };
}

before(async () => {
  ensureWebBuilt();
  await mkdir(SHOTS, { recursive: true });
  primary = await startFakeUpstream(provider('primary', (text) => text === FAIL));
  backup = await startFakeUpstream(provider('backup', () => false));
  scratch = await makeScratchDir('admin-log');
  const config = scratch.file('sluice.json');
  await writeFile(
    config,
    JSON.stringify({
      upstreams: [
        { name: 'primary', baseUrl: primary.origin, apiKey: 'sk-p', models: MODELS, priority: 0 },
        { name: 'backup', baseUrl: backup.origin, apiKey: 'sk-b', models: MODELS, priority: 1 },
      ],
      // Per million tokens: 7 in and 11 out cost $0.029 on gpt-test, $0.0029 on gpt-mini.
      prices: {
        'gpt-test': { input: 1000, output: 2000 },
        'gpt-mini': { input: 100, output: 200 },
      },
    }),
  );
  sluice = await startTestSluice({ SLUICE_CONFIG: config });
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
  // Every wait is for something that happens within milliseconds; fail fast when it does not.
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  problems = watchPage(page);
});

after(async () => {
  await browser.close();
  await sluice.stop();
  await primary.stop();
  await backup.stop();
  await scratch.remove();
});

/** The admin API with the bootstrap key, as a script would call it. */
async function admin<T>(path: string): Promise<T> {
  const response = await fetch(`${sluice.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return (await response.json()) as T;
}

interface LoggedRequest {
  id: string;
  status: number | null;
  upstream: string | null;
  end_reason: string;
}

/** A streamed chat through Sluice; its status, text and request id. */
async function chat(key: string, model: string, text: string) {
  const response = await fetch(`${sluice.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: text }] }),
  });
  const body = await response.text();
  const id = response.headers.get('x-sluice-request-id');
  assert.ok(id !== null, 'every answer names its request');
  // The record is finalised after the answer's end: wait until the log would show it so.
  await waitFor(
    async () => {
      const [record] = (await admin<{ data: LoggedRequest[] }>(`/api/admin/usage?id=${id}`)).data;
      return record !== undefined && record.end_reason !== 'incomplete';
    },
    { what: `request ${id} recorded as ended` },
  );
  return { status: response.status, body, id };
}

/** The request ids the log shows, in its order, once they are `expected` (a wait, not a read). */
async function waitForRows(expected: readonly string[]): Promise<void> {
  await page
    .waitForFunction(
      (want) =>
        document.querySelector('[data-testid=request-log]')?.getAttribute('aria-busy') ===
          'false' &&
        [...document.querySelectorAll<HTMLElement>('tr[data-request]')]
          .map((row) => row.dataset.request)
          .join() === want,
      expected.join(),
    )
    .catch(async (error: unknown) => {
      const shown = await page
        .locator('tr[data-request]')
        .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.request));
      throw new Error(`the log shows ${shown.join()}, not ${expected.join()}`, { cause: error });
    });
}

/** The ids of the records the API lists for `query`, newest first: the order the page must keep. */
async function listed(query: string): Promise<string[]> {
  return (await admin<{ data: LoggedRequest[] }>(`/api/admin/usage?${query}`)).data.map(
    (r) => r.id,
  );
}

async function applyFilters(): Promise<void> {
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
}

describe('the request log, limits and cost charts in Chromium', () => {
  it('first run: the admin account is created in the page', async () => {
    await page.goto(sluice.url);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin account' }).click();
    await page.locator('.top-bar .user-name', { hasText: ADMIN.username }).waitFor();
  });

  it('traffic: one answered, one failed over to the backup, one for another user and model', async () => {
    // After the admin: the first account made is the administrator.
    carolKey = await keyFor(sluice, 'carol');
    daveKey = await keyFor(sluice, 'dave');
    const answered = await chat(carolKey, 'gpt-test', 'hello');
    assert.equal(answered.status, 200);
    assert.match(answered.body, /from primary/);
    const failedOver = await chat(carolKey, 'gpt-test', FAIL);
    assert.equal(failedOver.status, 200);
    assert.match(failedOver.body, /from backup/);
    assert.equal(
      primary.calls.filter((c) => c.body.toString().includes(FAIL)).length,
      1,
      'the primary was tried first',
    );
    const otherModel = await chat(daveKey, 'gpt-mini', 'hello');
    assert.equal(otherModel.status, 200);
    ids.answered = answered.id;
    ids.failedOver = failedOver.id;
    ids.otherModel = otherModel.id;
    const [record] = (
      await admin<{ data: LoggedRequest[] }>(`/api/admin/usage?id=${failedOver.id}`)
    ).data;
    assert.equal(record?.upstream, 'backup');
  });

  it('lists them newest first in its own tab, and filters by model, upstream and user in the address', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('link', { name: 'Request log' }).click();
    assert.equal(new URL(page.url()).pathname, '/admin/requests');
    // The page's own model list (at sign-in) is in the log too.
    const all = await listed('since=7d');
    for (const id of [ids.answered, ids.failedOver, ids.otherModel]) assert.ok(all.includes(id));
    await waitForRows(all);

    await page.locator('input[name=model]').fill('gpt-mini');
    await applyFilters();
    await waitForRows([ids.otherModel]);
    assert.equal(new URL(page.url()).search, '?model=gpt-mini');
    const row = page.locator(`tr[data-request="${ids.otherModel}"]`);
    assert.equal(await row.locator('[data-field=user]').textContent(), 'dave');
    assert.equal(await row.locator('[data-field=model]').textContent(), 'gpt-mini');

    // The address is the view: a reload shows the same rows and the same form.
    await page.reload();
    await waitForRows([ids.otherModel]);
    assert.equal(await page.locator('input[name=model]').inputValue(), 'gpt-mini');

    await page.locator('input[name=model]').fill('');
    await page.locator('select[name=upstream]').selectOption('backup');
    await applyFilters();
    await waitForRows([ids.failedOver]);
    assert.equal(new URL(page.url()).search, '?upstream=backup');

    await page.locator('select[name=upstream]').selectOption('');
    await page.locator('select[name=user]').selectOption('carol');
    await applyFilters();
    await waitForRows(await listed('since=7d&user=carol'));

    // Back goes to the previous filters, as any other step of the page would.
    await page.goBack();
    await waitForRows([ids.failedOver]);
    assert.equal(await page.locator('select[name=upstream]').inputValue(), 'backup');
    // A custom range: nothing was asked before 2020.
    await page.locator('select[name=upstream]').selectOption('');
    await page.locator('select[name=range]').selectOption('custom');
    await page.locator('input[name=until]').fill('2020-01-01T00:00');
    await applyFilters();
    await waitForRows([]);
    await page.getByText('No requests match these filters.').waitFor();
    const address = new URL(page.url()).searchParams;
    assert.equal(address.get('since'), 'all');
    assert.match(address.get('until') ?? '', /^20(19-12-31|20-01-01)T\d\d:\d\d:00\.000Z$/);

    await page.getByRole('button', { name: 'Clear' }).click();
    await waitForRows(all);
    assert.equal(new URL(page.url()).search, '');
  });

  it('opens a request’s timeline: first byte, first token, end reason, tokens, upstreams tried', async () => {
    const row = page.locator(`tr[data-request="${ids.failedOver}"]`);
    await row.getByRole('button').click();
    const detail = page.getByTestId('request-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-request'), ids.failedOver);
    const field = (name: string) => detail.locator(`[data-field=${name}] dd`).textContent();
    assert.match((await field('ttfb')) ?? '', /^\d+ ms$|^\d+\.\d\d s$/);
    assert.match((await field('ttft')) ?? '', /^\d+ ms$|^\d+\.\d\d s$/);
    assert.equal(await field('end-reason'), 'done');
    assert.equal(await field('status'), '200');
    assert.equal(await field('upstream'), 'backup');
    assert.equal(await field('tried'), 'primary 500 → backup 200');
    assert.equal(await field('tokens'), '7 + 11');
    assert.equal(await field('cost'), '$0.029');
    assert.match((await field('events')) ?? '', /^[1-9]\d*$/);
    for (const moment of ['start', 'first-byte', 'first-token', 'end']) {
      assert.equal(
        await detail.locator(`svg [data-moment=${moment}]`).count(),
        1,
        `the timeline marks ${moment}`,
      );
    }
    await page.screenshot({ path: join(SHOTS, 'request-timeline.png'), fullPage: true });
    await detail.getByRole('button', { name: 'Close' }).click();
    await detail.waitFor({ state: 'detached' });
  });

  it('edits a user’s limits: the server’s refusal shown in words, then the change stored', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    const carol = page.locator('tr[data-user=carol]');
    await carol.getByRole('button', { name: 'Edit limits' }).click();
    const form = page.locator('[data-limits-of=carol] form');
    await form.locator('input[name=max_streams]').fill('0');
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/admin/users/carol'));
    await form.getByRole('button', { name: 'Save limits' }).click();
    assert.equal((await refused).status(), 400);
    await form
      .getByRole('alert')
      .filter({ hasText: 'Streams at once: a whole number above 0, or empty for no limit.' })
      .waitFor();
    assert.equal(
      await form.locator('input[name=max_streams]').getAttribute('aria-invalid'),
      'true',
    );
    // Chromium logs the refused PATCH as a console error: expected here, and only here.
    assert.deepEqual(
      problems.errors.splice(0).map((e) => /status of 400/.test(e)),
      [true],
    );
    await page.screenshot({ path: join(SHOTS, 'limits-refused.png') });
    const user = () => admin<{ limits: Record<string, unknown> }>('/api/admin/users/carol');
    assert.equal((await user()).limits.max_streams, null, 'the refused change changed nothing');

    await form.locator('input[name=max_streams]').fill('');
    await form.locator('input[name=rpm]').fill('600');
    await form.locator('input[name=tpm]').fill('100000');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.waitFor({ state: 'detached' });
    await carol.locator('[data-field=limits]', { hasText: '600 rpm · 100000 tpm' }).waitFor();
    assert.deepEqual((await user()).limits, {
      rpm: 600,
      tpm: 100_000,
      max_streams: null,
      budget_tokens: null,
      budget_cost: null,
      budget_period: 'month',
    });
  });

  it('edits a key’s token budget in the page: the next request with it is refused 429', async () => {
    const [key] = (await admin<{ data: { id: string }[] }>('/api/admin/keys?user=carol')).data;
    assert.ok(key !== undefined);
    await page.getByRole('link', { name: 'Keys' }).click();
    const row = page.locator(`tr[data-key="${key.id}"]`);
    await row.getByRole('button', { name: 'Edit limits' }).click();
    const form = page.locator(`[data-limits-of="${key.id}"] form`);
    // Carol's key has spent 36 tokens already: a budget of 10 in total is used up.
    await form.locator('input[name=budget_tokens]').fill('10');
    await form.locator('select[name=budget_period]').selectOption('total');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.waitFor({ state: 'detached' });
    await row.locator('[data-field=limits]', { hasText: '10 tokens in total' }).waitFor();

    const calls = primary.calls.length + backup.calls.length;
    const refused = await chat(carolKey, 'gpt-test', 'hello');
    assert.equal(refused.status, 429);
    assert.equal(primary.calls.length + backup.calls.length, calls, 'no provider was asked');
    ids.refused = refused.id;
    const stillAnswered = await chat(daveKey, 'gpt-test', 'hello');
    assert.equal(stillAnswered.status, 200, 'only that key is held back');
  });

  it('finds the refusal from a shared link (status=4xx) and exports that view as CSV', async () => {
    await page.goto(`${sluice.url}/admin/requests?status=4xx`);
    await waitForRows([ids.refused]);
    const row = page.locator(`tr[data-request="${ids.refused}"]`);
    assert.equal(await row.locator('[data-field=status]').textContent(), '429');
    assert.equal(await row.locator('[data-field=end-reason]').textContent(), 'rejected');
    assert.equal(await page.locator('input[name=status]').inputValue(), '4xx');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\r\n');
    assert.equal(lines[0], USAGE_CSV_COLUMNS.join(','));
    assert.equal(lines.length, 2, 'the header and the one request the view shows');
    const cells = lines[1]?.split(',') ?? [];
    assert.equal(cells[USAGE_CSV_COLUMNS.indexOf('id')], ids.refused);
    assert.equal(cells[USAGE_CSV_COLUMNS.indexOf('status')], '429');
  });

  it('charts cost per day, per model and per user in the usage tab', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    const chart = (name: string) => page.locator(`figure[data-chart=${name}] svg`);
    await chart('cost-per-day').locator('rect').first().waitFor();
    const perUser = (
      await admin<{ data: { user: string | null; cost: number }[] }>(
        '/api/admin/usage/summary?by=user&since=7d',
      )
    ).data;
    assert.ok(perUser.some((row) => row.user === 'carol' && row.cost > 0));
    for (const [name, labels] of [
      ['cost-per-model', MODELS],
      ['cost-per-user', ['carol', 'dave']],
    ] as const) {
      for (const label of labels) {
        await chart(name).locator('text.label', { hasText: label }).waitFor();
      }
      const values = await chart(name).locator('text.value').allTextContents();
      assert.ok(
        values.length === labels.length && values.every((v) => v.startsWith('$')),
        `${name}: ${values.join(' ')}`,
      );
    }
    assert.match(
      (await chart('cost-per-day').locator('text.value').first().textContent()) ?? '',
      /^\$\d/,
    );
    await page.screenshot({ path: join(SHOTS, 'usage-cost.png'), fullPage: true });
  });

  it('pages 50 at a time, newest first: Load more brings the rest, in the API’s order', async () => {
    // Written straight to the store: sixty requests of a model nothing else used, a second apart.
    const now = Date.now();
    await sluice.running.store.writeUsage(
      Array.from({ length: 60 }, (_, i) =>
        usageRecord({ id: `batch-${i}`, startedAt: now - 60_000 + i * 1000, model: 'batch-model' }),
      ),
    );
    const all = await listed('since=7d&model=batch-model');
    assert.equal(all.length, 60);
    await page.goto(`${sluice.url}/admin/requests?model=batch-model`);
    await waitForRows(all.slice(0, 50));
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForRows(all);
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more');
  });

  it('speaks Simplified Chinese on the request log', async () => {
    const zh = await browser.newContext({
      storageState: await context.storageState(),
      locale: 'zh-CN',
    });
    zh.setDefaultTimeout(10_000);
    const zhPage = await zh.newPage();
    await zhPage.goto(`${sluice.url}/admin/requests`);
    await zhPage.getByRole('link', { name: '请求日志' }).waitFor();
    await zhPage.getByRole('button', { name: '筛选' }).waitFor();
    await zhPage.getByRole('link', { name: '导出 CSV' }).waitFor();
    await zh.close();
  });

  it('shows a broken upstream skipped in the Upstreams tab: its state, why and until when', async () => {
    // Three failures in a row (the default breaker) open the primary's breaker; each request
    // was answered by the backup.
    for (let i = 0; i < 3; i++) {
      const failed = await chat(daveKey, 'gpt-test', FAIL);
      assert.match(failed.body, /from backup/);
    }
    await page.goto(`${sluice.url}/admin/upstreams`);
    const row = (name: string) => page.locator(`tr[data-upstream="${name}"]`);
    const state = row('primary').locator('td[title]');
    await state.filter({ hasText: /^skipped until / }).waitFor();
    // Why, in the provider's own words (the admin's page, not a client's answer).
    assert.match((await state.getAttribute('title')) ?? '', /primary is down/);
    assert.equal(await state.locator('[data-reason]').textContent(), 'primary is down');
    await row('backup')
      .locator('td', { hasText: /^in use$/ })
      .waitFor();
    // The page says what the API says.
    const api = await admin<{ data: { name: string; state: string; open_until: string }[] }>(
      '/api/admin/upstreams',
    );
    const primary = api.data.find((u) => u.name === 'primary');
    assert.ok(primary);
    assert.equal(primary.state, 'open');
    assert.ok(Date.parse(primary.open_until) > Date.now());
    await page.screenshot({ path: join(SHOTS, 'upstreams-breaker.png'), fullPage: true });
  });

  it('left no errors in the page', () => {
    assert.deepEqual(problems.errors, []);
  });
});
