/**
 * `npm run bench -- --page` (or `node bench/page-render.ts`): the chat page's main-thread work
 * per frame while a long answer streams (issue #16). A fake provider streams a 20 000-token
 * answer (prose, lists, tables and code blocks, ~100 KB) at 100 tokens/s, one chat chunk per
 * token, through a real Sluice to the real page in Chromium (Debian's, driven by playwright-core).
 * A performance trace of the page (CDP tracing) is cut into frames: each frame's work is the
 * time the renderer's main thread spent in tasks since the previous frame was produced, that
 * frame's own rendering (script, style, layout, paint) included, as wall time and as the
 * thread's CPU time (on a shared machine the thread also waits for a core). Percentiles over the
 * frames drawn while the answer streamed. Last, the page is reloaded: the stored answer, rendered
 * at once, must give the same DOM as the streamed one.
 *
 * `--tokens N` and `--rate R` change the answer's length and pace; `--dist DIR` serves another
 * build of the page (say, of an earlier commit) in place of web/dist, for before/after figures.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { cpus } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../test/support/browser/build.ts';
import { chunk, END, routeChats } from '../test/support/browser/chat-upstream.ts';
import { startFakeUpstream } from '../test/support/fake-upstream.ts';
import { cpuModel } from './procfs.ts';
import { percentile } from './stats.ts';

/** One event of a Chrome trace (the fields read here). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur?: number;
  /** The thread's CPU time in the event. */
  readonly tdur?: number;
  readonly pid: number;
  readonly tid: number;
}

/** One frame's work on the main thread: wall time in tasks, and the CPU time of those tasks. */
export interface Frame {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface FrameFigures {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Frames above 8 ms. */
  readonly over8: number;
}

const START_MARK = 'sluice-bench:streaming';
const END_MARK = 'sluice-bench:done';
/**
 * Trace categories that cost the page nothing measurable: DevTools' own (`devtools.timeline` and
 * its disabled-by-default kin) count every layout object at each layout, which on a long answer
 * costs more than the layout itself.
 */
const CATEGORIES = ['toplevel', 'cc', 'blink.user_timing'];
const TASK = 'ThreadControllerImpl::RunTask';
const FRAME = 'ProxyMain::BeginMainFrame';
/** The trace events kept (the rest are dropped as they arrive). */
const KEPT = new Set([TASK, FRAME, START_MARK, END_MARK]);

/**
 * Work per frame on the thread that holds the marks: its tasks are summed until one that
 * produces a frame (runs BeginMainFrame: animation frame callbacks, style, layout, paint), and
 * that sum is the frame's. Only tasks between the marks.
 */
export function frameWork(events: readonly TraceEvent[]): Frame[] {
  const start = events.find((e) => e.name === START_MARK);
  const end = events.find((e) => e.name === END_MARK);
  if (start === undefined || end === undefined) throw new Error('the trace lacks its marks');
  const onMain = (e: TraceEvent) =>
    e.pid === start.pid &&
    e.tid === start.tid &&
    e.ph === 'X' &&
    e.ts >= start.ts &&
    e.ts <= end.ts;
  const tasks = events.filter((e) => onMain(e) && e.name === TASK).sort((a, b) => a.ts - b.ts);
  const frameStarts = events
    .filter((e) => onMain(e) && e.name === FRAME)
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const frames: Frame[] = [];
  let wallUs = 0;
  let cpuUs = 0;
  let taskEnd = -Infinity;
  let next = 0;
  for (const task of tasks) {
    if (task.ts < taskEnd) continue; // nested in the task before
    taskEnd = task.ts + (task.dur ?? 0);
    wallUs += task.dur ?? 0;
    cpuUs += task.tdur ?? 0;
    while ((frameStarts[next] ?? Infinity) < task.ts) next += 1;
    if ((frameStarts[next] ?? Infinity) <= taskEnd) {
      frames.push({ wallMs: wallUs / 1000, cpuMs: cpuUs / 1000 });
      wallUs = 0;
      cpuUs = 0;
    }
  }
  return frames;
}

export function figures(ms: readonly number[]): FrameFigures {
  return {
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxMs: Math.max(0, ...ms),
    over8: ms.filter((v) => v > 8).length,
  };
}

const describe = ({ p50Ms, p95Ms, maxMs, over8 }: FrameFigures) =>
  `p50 ${p50Ms.toFixed(2)} / p95 ${p95Ms.toFixed(2)} / max ${maxMs.toFixed(1)} ms (${over8} over 8 ms)`;

/**
 * A long answer as a model writes it, cut into tokens of a few characters: sections of prose
 * with bold and inline code, then a code block, a list or a table. The same for a given length.
 */
export function longAnswer(tokens: number): string[] {
  let seed = 16;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const words =
    'the stream gateway relay buffer token upstream request latency proxy answer model event frame render block cache socket header chunk'.split(
      ' ',
    );
  const out: string[] = [];
  const word = () => {
    const w = pick(words);
    const r = random();
    return r < 0.04 ? `**${w}**` : r < 0.08 ? `\`${w}()\`` : w;
  };
  const sentence = (n: number) => {
    for (let i = 0; i < n; i++) out.push(i === 0 ? pick(words) : ` ${word()}`);
    out.push('.');
  };
  const codeLine = (lang: string, i: number) =>
    lang === 'python'
      ? `    result = compute_${pick(words)}(value, limit=${i})  # ${pick(words)}\n`
      : lang === 'bash'
        ? `curl -s http://127.0.0.1:8080/${pick(words)} | grep ${pick(words)}\n`
        : `  const ${pick(words)}${i}: number = await fetch_${pick(words)}("${pick(words)}", ${i});\n`;
  const code = () => {
    const lang = pick(['ts', 'python', 'bash']);
    out.push(`\`\`\`${lang}\n`);
    for (let i = 10 + Math.floor(random() * 30); i > 0; i--) {
      const line = codeLine(lang, i);
      for (let at = 0; at < line.length; at += 4) out.push(line.slice(at, at + 4));
    }
    out.push('```\n\n');
  };
  const list = () => {
    for (let i = 3 + Math.floor(random() * 4); i > 0; i--) {
      out.push('- ');
      sentence(8 + Math.floor(random() * 10));
      out.push('\n');
    }
    out.push('\n');
  };
  const table = () => {
    out.push('| name | value | note |\n', '|---|---|---|\n');
    for (let r = 0; r < 5; r++) out.push(`| ${pick(words)}`, ` | ${r * 3}`, ` | ${word()} |\n`);
    out.push('\n');
  };
  for (let section = 1; out.length < tokens; section++) {
    out.push(`## Section ${section}\n\n`);
    sentence(40 + Math.floor(random() * 40));
    out.push('\n\n');
    pick([code, code, list, table])();
    sentence(20 + Math.floor(random() * 30));
    out.push('\n\n');
  }
  return out.slice(0, tokens);
}

/** Writes the tokens, one chat chunk each, `rate` a second on the clock (late ones together). */
async function stream(res: ServerResponse, tokens: readonly string[], rate: number) {
  const start = performance.now();
  for (let sent = 0; sent < tokens.length && !res.destroyed;) {
    const due = Math.min(
      tokens.length,
      Math.floor(((performance.now() - start) * rate) / 1000) + 1,
    );
    let batch = '';
    for (; sent < due; sent++) batch += chunk(tokens[sent] ?? '');
    if (!res.write(batch)) await once(res, 'drain');
    await sleep(Math.max(0, (sent * 1000) / rate - (performance.now() - start)));
  }
  res.end(END);
}

/** Serves the page's files from `dist` instead of Sluice's web/dist; the API stays Sluice's. */
async function serveDist(page: Page, origin: string, dist: string): Promise<void> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };
  await page.route(`${origin}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.startsWith('/api/')) return route.fallback();
    const file = path.startsWith('/assets/') ? join(dist, path) : join(dist, 'index.html');
    const type = types[extname(file)] ?? 'text/html';
    return route.fulfill({ body: await readFile(file), contentType: type });
  });
}

/** The benchmark, given its command-line arguments. */
export async function pageBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      tokens: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '100' },
      dist: { type: 'string' },
    },
  });
  const tokens = longAnswer(positive(values.tokens, '--tokens'));
  const rate = positive(values.rate, '--rate');
  if (values.dist === undefined) ensureWebBuilt();
  const machine = `${cpuModel()}, ${cpus().length} cores`;
  log(
    `machine: ${machine}; ${tokens.length} tokens at ${rate}/s (${tokens.join('').length} chars)`,
  );

  // Sluice and the browser's driver load only now, once the flags are known good: loaded first,
  // on a busy machine's cold start, they made a usage error take over 30 s.
  const [{ startTestSluice }, { launchChromium }] = await Promise.all([
    import('../test/support/sluice.ts'),
    import('../test/support/browser/chromium.ts'),
  ]);
  const upstream = await startFakeUpstream();
  routeChats(upstream).reply((res) => stream(res, tokens, rate));
  const sluice = await startTestSluice({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'sk-bench' });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    if (values.dist !== undefined) await serveDist(page, sluice.url, resolve(values.dist));
    await signUp(page, sluice.url);

    const cdp = await context.newCDPSession(page);
    const kept: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', ({ value }) => {
      for (const e of value as unknown as TraceEvent[]) if (KEPT.has(e.name)) kept.push(e);
    });
    await cdp.send('Tracing.start', {
      // Events are sent as they are recorded; the buffer only has to hold them until then.
      traceConfig: {
        includedCategories: CATEGORIES,
        recordMode: 'recordAsMuchAsPossible',
        traceBufferSizeInKb: 256 * 1024,
      },
      transferMode: 'ReportEvents',
    });
    const answer = page.locator('.message.assistant');
    await page.locator('textarea[name=message]').fill('Write a long answer with code.');
    await page.locator('textarea[name=message]').press('Enter');
    await answer.locator('.markdown h2').first().waitFor({ timeout: 60_000 });
    await page.evaluate((name) => performance.mark(name), START_MARK);
    const streaming = performance.now();
    const streamMs = (tokens.length / rate) * 1000;
    await answer
      .and(page.locator('[data-status=complete]'))
      .waitFor({ timeout: 2 * streamMs + 60_000 });
    await page.evaluate((name) => performance.mark(name), END_MARK);
    const seconds = (performance.now() - streaming) / 1000;
    const complete = new Promise<{ dataLossOccurred: boolean }>((done) =>
      cdp.once('Tracing.tracingComplete', done),
    );
    await cdp.send('Tracing.end');
    if ((await complete).dataLossOccurred) throw new Error('the trace lost events: rerun');

    const streamed = await answer.locator('.markdown').innerHTML();
    await page.reload();
    const rendered = await answer
      .and(page.locator('[data-status=complete]'))
      .locator('.markdown')
      .innerHTML();
    const frames = frameWork(kept);
    const date = new Date().toISOString().slice(0, 10);
    process.stdout.write(
      `\n${date}, ${machine}, Chromium ${browser.version()}, page ${values.dist ?? 'web/dist'}\n` +
        `${tokens.length} tokens at ${rate}/s, ${frames.length} frames in ${seconds.toFixed(0)} s of streaming; main-thread work per frame\n` +
        `  wall: ${describe(figures(frames.map((f) => f.wallMs)))}\n` +
        `  CPU:  ${describe(figures(frames.map((f) => f.cpuMs)))}\n` +
        `final DOM ${streamed === rendered ? 'equals' : 'DIFFERS FROM'} the page's render of the stored answer\n`,
    );
    if (streamed !== rendered) process.exitCode = 1;
  } finally {
    await browser.close();
    await sluice.stop();
    await upstream.stop();
  }
}

/** First run: the admin account, created through the page as a person would. */
async function signUp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill('bench');
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await page.locator('textarea[name=message]').waitFor();
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    log(`${flag}: a whole number above 0; got "${text}".`);
    process.exit(2);
  }
  return n;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

if (import.meta.main) await pageBench(process.argv.slice(2));
