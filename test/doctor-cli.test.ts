/**
 * `sluice doctor` as a command: help and usage errors (exit 2), the --json shape, exit 1 on a
 * buffering chain, --compare, --key mode against an OpenAI-compatible server (a fake upstream and
 * Sluice's own gateway), and an unreachable URL.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { doctor } from '../src/cli/doctor.ts';
import { formatEvent } from '../src/sse/index.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { freePort } from './support/ports.ts';
import { startTinyproxy } from './support/tinyproxy.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const SMALL = probeArgs({ events: 20, intervalMs: 50, pad: 512, silenceMs: 0 });

let sluice: TestSluice;
let buffering: TestNginx;
let upstream: FakeUpstream;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  buffering = await startNginx({
    serverBlock: proxyServerBlock({
      upstreamPort: Number(new URL(sluice.url).port),
      locationExtra: 'proxy_ignore_headers X-Accel-Buffering;',
    }),
  });
  upstream = await startFakeUpstream();
});
after(async () => {
  await buffering.stop();
  await upstream.stop();
  await sluice.stop();
});

describe('sluice doctor: usage', () => {
  it('--help prints the options and exits 0', async () => {
    const run = await runDoctor(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: sluice doctor <url> \[options\]/);
    for (const flag of [
      '--events',
      '--interval-ms',
      '--pad',
      '--silence-ms',
      '--key',
      '--model',
      '--compare',
      '--chain',
      '--json',
      '--timeout',
    ]) {
      assert.ok(run.stdout.includes(flag), flag);
    }
    assert.equal(doctor.name, 'doctor');
  });

  it('bad arguments exit 2 with a message that says what to do', async () => {
    const cases: [string[], RegExp][] = [
      [[], /URL is missing/],
      [['http://a', 'http://b'], /takes one URL/],
      [['ftp://example.com'], /http:\/\/ or https:\/\//],
      [['http://x', '--bogus'], /bogus/],
      [['http://x', '--events', '0'], /--events must be an integer from 1 to 1000/],
      [['http://x', '--pad', 'lots'], /--pad must be an integer/],
      [['http://x', '--events', '1000', '--interval-ms', '60000'], /must not exceed/],
      [['http://x', '--key', 'k'], /--key needs --model/],
      [['http://x', '--model', 'm'], /--model needs --key/],
      [['http://x', '--key', 'k', '--model', 'm', '--events', '3'], /does not apply with --key/],
      [['http://x', '--timeout', 'soon'], /--timeout must be a duration/],
      // Past what a timer waits (~24.8 days) it ran after 1 ms: a confident "unreachable".
      [['http://x', '--timeout', '9999h'], /--timeout must be a duration/],
      // Digits only, as the probe reads them: `Number` took 0x10 and 1e2.
      [['http://x', '--events', '0x10'], /--events must be an integer/],
      [['http://x', '--compare', 'nope'], /--compare must be an http/],
    ];
    for (const [args, message] of cases) {
      const run = await runDoctor(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message, args.join(' '));
      assert.match(run.stderr, /sluice doctor --help/);
      assert.equal(run.timelines.length, 0, 'nothing was requested');
    }
  });
});

describe('sluice doctor: probe', () => {
  it('--json against Sluice itself: the DESIGN.md shape, verdict ok, exit 0', async () => {
    const run = await runDoctor([sluice.url, '--json', ...SMALL]);
    assert.equal(run.code, 0, run.stdout);
    const json = run.json;
    assert.ok(json);
    assert.equal(json.verdict, 'ok');
    assert.equal(typeof json.ttfb_ms, 'number');
    assert.equal(typeof json.first_event_ms, 'number');
    assert.equal(json.events, 20);
    assert.equal(json.timeline.length, 20);
    assert.equal(json.timeline[3]?.seq, 3);
    assert.equal(typeof json.timeline[3].sent_ms, 'number');
    assert.equal(typeof json.timeline[3].arrival_ms, 'number');
    assert.ok(json.causes.length >= 1);
    for (const cause of json.causes) {
      assert.equal(typeof cause.id, 'string');
      assert.ok(Array.isArray(cause.evidence));
      assert.equal(typeof cause.fix, 'string');
    }
    assert.equal(json.headers['x-accel-buffering'], 'no', "no hop: Sluice's own header arrives");
    assert.equal(run.stderr, '', '--json keeps stderr quiet');
  });

  it('exit 1 on a buffering chain, with the verdict, the hop, the timeline and the fix', async () => {
    const run = await runDoctor([buffering.url, ...SMALL]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /^verdict {3}BUFFERED: /m);
    assert.match(run.stdout, /^hops {6}nginx /m);
    assert.match(run.stdout, /^ {10}arrived {2}[·\d+]+$/m);
    assert.match(run.stdout, /proxy_buffering off;/);
    assert.match(
      run.stderr,
      /testing http:\/\/127\.0\.0\.1:\d+\/ with 20 probe events every 50 ms/,
    );
  });

  it('--compare localises the hop: direct streams, through nginx does not', async () => {
    const run = await runDoctor([sluice.url, '--compare', buffering.url, ...SMALL]);
    assert.equal(run.code, 1);
    const host = new URL(buffering.url).host;
    assert.match(
      run.stdout,
      new RegExp(`the difference appears between ${new URL(sluice.url).host} and ${host}`),
    );
    assert.match(run.stdout, /names nginx/);
    const json = await runDoctor([sluice.url, '--compare', buffering.url, '--json', ...SMALL]);
    assert.equal(json.json?.verdict, 'buffered');
    assert.equal(json.json.url.startsWith(buffering.url), true, 'the run with the problem on top');
  });

  it('goes out through HTTP_PROXY like the gateway, says so, and respects NO_PROXY', async () => {
    const proxy = await startTinyproxy();
    try {
      const via = await runDoctor([sluice.url, ...SMALL], undefined, { HTTP_PROXY: proxy.url });
      assert.equal(via.code, 0, via.stdout);
      assert.match(via.stderr, new RegExp(`through the proxy ${proxy.url}`));
      assert.match(
        via.stdout,
        /^reach +the probe is Sluice's own stream: it checks the hops in front/m,
      );
      assert.match(proxy.log(), new RegExp(`GET ${sluice.url}/sluice/probe\\?`));

      const seen = proxy.log().length;
      const bypass = await runDoctor([sluice.url, ...SMALL], undefined, {
        HTTP_PROXY: proxy.url,
        NO_PROXY: '127.0.0.1',
      });
      assert.equal(bypass.code, 0);
      assert.doesNotMatch(bypass.stderr, /through the proxy/);
      assert.doesNotMatch(proxy.log().slice(seen), /sluice\/probe/);
    } finally {
      await proxy.stop();
    }
  });

  it('says, per target, when the proxy that applies is SOCKS and it connects directly', async () => {
    const socks = await runDoctor([sluice.url, ...SMALL], undefined, {
      ALL_PROXY: 'socks5://ada:hunter2@127.0.0.1:1',
    });
    assert.equal(socks.code, 0, 'it went directly, not to the dead proxy');
    assert.match(
      socks.stderr,
      /the proxy for 127\.0\.0\.1:\d+ is a SOCKS proxy \(socks5:\/\/127\.0\.0\.1:1\), .* connects directly/,
    );
    assert.doesNotMatch(socks.stderr, /hunter2/, 'the proxy password is not printed');

    // ALL_PROXY is SOCKS, but this target bypasses proxies: nothing to say.
    const bypass = await runDoctor([sluice.url, ...SMALL], undefined, {
      ALL_PROXY: 'socks5://127.0.0.1:1',
      NO_PROXY: '127.0.0.1',
    });
    assert.equal(bypass.code, 0);
    assert.doesNotMatch(bypass.stderr, /SOCKS/);
  });

  it('a malformed proxy variable is a usage error, exit 2', async () => {
    const run = await runDoctor([sluice.url], undefined, { HTTPS_PROXY: 'not a url' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /https_proxy|HTTPS_PROXY/);
  });

  it('an unreachable URL is "unreachable", exit 1', async () => {
    const port = await freePort();
    const run = await runDoctor([`http://127.0.0.1:${port}`, '--json']);
    assert.equal(run.code, 1);
    assert.equal(run.json?.verdict, 'unreachable');
    assert.match(run.json.causes[0]?.title ?? '', /ECONNREFUSED/);
  });
});

describe('sluice doctor --key: any OpenAI-compatible server', () => {
  it('a server that streams tokens one by one is healthy', async () => {
    upstream.script(async ({ res }) => {
      sseHead(res);
      for (let i = 1; i <= 12; i++) {
        const chunk = {
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: `${i}.\n` } }],
        };
        res.write(formatEvent({ data: JSON.stringify(chunk) }));
        await sleep(25);
      }
      res.end(formatEvent({ data: '[DONE]' }));
    });
    const run = await runDoctor([
      `${upstream.origin}/v1`,
      '--key',
      'sk-test',
      '--model',
      'gpt-test',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.json?.verdict, 'ok');
    assert.equal(run.json.events, 12);
    const call = upstream.calls.at(-1);
    assert.equal(call?.method, 'POST');
    assert.equal(call.path, '/v1/chat/completions');
    assert.equal(call.headers.authorization, 'Bearer sk-test');
    assert.equal(call.json?.['stream'], true);
    assert.equal(call.json['model'], 'gpt-test');
  });

  it('prints what a server said with its escape sequences shown, not run by the terminal', async () => {
    // A hostile or broken hop's words: OSC 0 (retitle the window), CSI as one character (U+009B,
    // clear the screen) and an RTL override, in its error message and in a header it sends.
    upstream.script(({ res }) => {
      res.writeHead(400, {
        'content-type': 'application/json',
        server: 'hop\u009b2J',
      });
      res.end(
        JSON.stringify({
          error: { message: 'refused \u001b]0;pwned\u0007 \u009b2J \u202eevil', code: 'bad' },
        }),
      );
    });
    const args = [upstream.origin, '--key', 'sk-test', '--model', 'gpt-test'];
    for (const run of [await runDoctor(args), await runDoctor([...args, '--json'])]) {
      assert.equal(run.code, 1);
      assert.match(run.stdout, /refused/);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(run.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    }
  });

  it('a server that answers JSON to stream: true is "not streaming", exit 1', async () => {
    upstream.script(
      jsonReply(200, { object: 'chat.completion', choices: [{ message: { content: '1.' } }] }),
    );
    const run = await runDoctor([
      upstream.origin,
      '--key',
      'sk-test',
      '--model',
      'gpt-test',
      '--json',
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.json?.verdict, 'buffered');
    assert.equal(run.json.causes[0]?.id, 'not-streaming');
  });

  it("Sluice's own gateway with its demo model streams", async () => {
    // Paced like a model (10 ms a token): at 1 ms a token, a busy test machine that reads every
    // 50 ms sees bursts of 50 events, which is what a buffering hop looks like from outside.
    const paced = await startTestSluice(
      { SLUICE_LOG_LEVEL: 'warn' },
      { tokenMs: 10, firstTokenMs: 10 },
    );
    try {
      const run = await runDoctor([
        paced.baseURL,
        '--key',
        ADMIN_KEY,
        '--model',
        'sluice-demo',
        '--json',
      ]);
      assert.equal(run.code, 0, run.stdout);
      assert.equal(run.json?.verdict, 'ok');
      assert.ok(run.json.events > 3);
    } finally {
      await paced.stop();
    }
  });
});
