/**
 * `sluice doctor … --html FILE` (issue 15): the command, run as a user runs it (bin/sluice.js in
 * its own process), against a real Sluice behind a real buffering nginx, writes one page that
 * Chromium opens from disk with JavaScript off and reads the verdict, the chart (one mark per
 * event) and nginx's fix from. A hop is untrusted: one that puts markup in `Server` and `Via`
 * must see it printed as text, with nothing run and nothing loaded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { doctorCommand } from '../src/cli/doctor.ts';
import type { DoctorJson } from '../src/doctor/index.ts';
import { launchChromium, watchPage } from './support/browser/chromium.ts';
import { probeArgs } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
/** 20 × ~600 B ≈ 12 KiB: three of nginx's 4 KiB proxy buffers. */
const PROBE = probeArgs({ events: 20, intervalMs: 50, pad: 512, silenceMs: 0 });
const HOSTILE_SERVER = '<script>document.title="pwned"</script>';
const HOSTILE_VIA = '1.1 "><img src=x onerror="document.title=\'pwned\'">';

let scratch: ScratchDir;
let sluice: TestSluice;
let buffering: TestNginx;
let hostile: { url: string; close: () => Promise<void> };
let browser: Browser;

before(async () => {
  scratch = await makeScratchDir('doctor-html');
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  const upstreamPort = Number(new URL(sluice.url).port);
  buffering = await startNginx({
    serverBlock: proxyServerBlock({
      upstreamPort,
      locationExtra: 'proxy_ignore_headers X-Accel-Buffering;',
    }),
  });
  hostile = await startHostileHop(upstreamPort);
  browser = await launchChromium();
});

after(async () => {
  await browser.close();
  await hostile.close();
  await buffering.stop();
  await sluice.stop();
  await scratch.remove();
});

/**
 * A hop that streams Sluice's answer through untouched, except for the headers it adds: markup
 * in `Server` and `Via`, as a hostile or broken intermediary might send.
 */
async function startHostileHop(upstreamPort: number) {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          server: HOSTILE_SERVER,
          via: HOSTILE_VIA,
        });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sluice doctor …` as its own process. */
function cli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'doctor', ...args],
      { timeout: 60_000, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('sluice doctor --html', () => {
  it('through a buffering nginx: a page that says BUFFERED, with one mark per event and the fix, read with JavaScript off', async () => {
    const file = scratch.file('buffered.html');
    const run = await cli([buffering.url, '--json', '--html', file, ...PROBE]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /report written to .*buffered\.html/);
    const json = JSON.parse(run.stdout) as DoctorJson;
    assert.equal(json.verdict, 'buffered');

    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const loaded: string[] = [];
      page.on('request', (request) => loaded.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      const heading = page.locator('h1.verdict');
      assert.equal(await heading.getAttribute('data-verdict'), 'buffered');
      assert.match(await heading.innerText(), /^BUFFERED\b/);
      // The chart: one mark per event the command counted, drawn without any script.
      assert.equal(await page.locator('svg.chart circle.event').count(), json.events);
      assert.equal(json.events, 20);
      assert.ok(await page.locator('svg.chart').isVisible());
      const cause = page.locator(`section.cause.problem[data-cause="${json.causes[0]?.id ?? ''}"]`);
      assert.match(await cause.innerText(), /nginx/);
      assert.match(await cause.locator('pre').first().innerText(), /proxy_buffering off;/);
      // Nothing but the file itself: no stylesheet, font, image or script from anywhere.
      assert.deepEqual(loaded, [pathToFileURL(file).href]);
    } finally {
      await context.close();
    }
  });

  it('a hop with <script> in Server and markup in Via: printed as text; nothing runs, nothing loads', async () => {
    const file = scratch.file('hostile.html');
    const run = await cli([hostile.url, '--json', '--html', file, ...PROBE]);
    const json = JSON.parse(run.stdout) as DoctorJson;
    assert.equal(json.headers['server'], HOSTILE_SERVER, 'the hop really sent it');
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<script|<img/i);

    // With JavaScript on: were anything live, it would run now.
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = watchPage(page);
      const loaded: string[] = [];
      page.on('request', (request) => loaded.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      assert.equal(await page.locator('h1.verdict').getAttribute('data-verdict'), json.verdict);
      assert.equal(await page.locator('script, img, iframe, object').count(), 0);
      assert.equal(
        await page
          .locator('tr', { has: page.locator('th', { hasText: /^server$/ }) })
          .locator('td')
          .innerText(),
        HOSTILE_SERVER,
      );
      assert.equal(
        await page
          .locator('tr', { has: page.locator('th', { hasText: /^via$/ }) })
          .locator('td')
          .innerText(),
        HOSTILE_VIA,
      );
      assert.doesNotMatch(await page.title(), /pwned/);
      assert.deepEqual(problems.dialogs, []);
      assert.deepEqual(loaded, [pathToFileURL(file).href]);
    } finally {
      await context.close();
    }
  });

  it('a file in a missing directory is a usage error, said before anything is measured', async () => {
    let captures = 0;
    let stderr = '';
    const command = doctorCommand({
      capture: () => {
        captures++;
        return Promise.reject(new Error('must not measure'));
      },
    });
    const code = await command.run([sluice.url, '--html', scratch.file('missing/report.html')], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    });
    assert.equal(code, 2);
    assert.equal(captures, 0);
    assert.match(stderr, /--html: cannot write in .*missing \(ENOENT\)/);
    // A directory given as the file is said as such.
    stderr = '';
    assert.equal(
      await command.run([sluice.url, '--html', scratch.path], {
        stdout: { write: () => true },
        stderr: { write: (text: string) => (stderr += text) },
        env: {},
      }),
      2,
    );
    assert.match(stderr, /is a directory/);
    assert.equal(captures, 0);
  });
});
