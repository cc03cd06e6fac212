/**
 * `sluice doctor --key` through a Sluice gateway whose way to the provider holds the answer: the
 * story Sluice was made for — nginx in front of the team's OpenAI reverse proxy buffered. A real
 * nginx with its default `proxy_buffering on` stands between Sluice and a fake upstream that
 * generates 40 chunks 20 ms apart. Before, the doctor saw the answer arrive whole and could only
 * blame "a hop" in front of Sluice (there was none). Now Sluice ends a doctor's stream with how
 * the upstream's answer reached it, so the doctor puts the hold behind Sluice, names nginx from
 * the upstream's `Server` for an admin (its fix, pasted, makes the doctor pass) and only the way
 * for a user; and when the hold is in front of Sluice, it says the answer reached Sluice in time.
 * Sluice also notices such answers without the doctor: a warning and a counter per upstream.
 *
 * The scenarios run one after another, for the reason doctor-hops.test.ts gives.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import {
  type FakeUpstream,
  type Script,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { runDoctor } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx } from './support/nginx.ts';
import { ADMIN_KEY, keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

const MODEL = 'gpt-4o-mini';
/** Past the 32 events below which one read may be a short answer (`held-upstream.ts`). */
const CHUNKS = 40;
/**
 * What nginx's buffering makes of ~5 KiB: held whole, or its first 4 KiB buffer released when
 * full and the rest at the end — which of the two depends on nginx's buffer sizes.
 */
const HELD = ['not-streaming', 'size-bursts'];

/**
 * A model that writes a token every 20 ms, usage last (Sluice asks for it); `first` is written
 * before the answer.
 */
function pacedAnswer(first = ''): Script {
  return async ({ res }) => {
    sseHead(res);
    if (first !== '') res.write(first);
    for (let i = 1; i <= CHUNKS; i++) {
      const chunk = {
        id: 'chatcmpl-leg',
        object: 'chat.completion.chunk',
        model: MODEL,
        choices: [{ index: 0, delta: { content: `${String(i)} ` }, finish_reason: null }],
      };
      res.write(formatEvent({ data: JSON.stringify(chunk) }));
      await sleep(20); // the model's pace, not a wait for anything
    }
    const usage = { prompt_tokens: 9, completion_tokens: CHUNKS, total_tokens: 9 + CHUNKS };
    const last = { id: 'chatcmpl-leg', object: 'chat.completion.chunk', choices: [], usage };
    res.write(formatEvent({ data: JSON.stringify(last) }));
    res.end(formatEvent({ data: '[DONE]' }));
  };
}

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream(pacedAnswer());
});
after(() => upstream.stop());

type Result = DoctorJson & { code: number };

/** The doctor with `--key` at `url`, as `key`. */
async function doctorAt(url: string, key: string): Promise<Result> {
  const run = await runDoctor([url, '--key', key, '--model', MODEL, '--json']);
  assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
  return { ...run.json, code: run.code };
}

async function metricsOf(sluice: TestSluice): Promise<string> {
  return (await fetch(`${sluice.url}/metrics`)).text();
}

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

/** Sluice whose upstream is reached through an nginx with `locationExtra`; stopped after `use`. */
async function behindNginx(
  locationExtra: string,
  use: (sluice: TestSluice) => Promise<void>,
): Promise<void> {
  const upstreamPort = Number(new URL(upstream.origin).port);
  const nginx = await startNginx({
    serverBlock: proxyServerBlock({ upstreamPort, locationExtra }),
  });
  const sluice = await sluiceFor(nginx.url, { SLUICE_LOG_LEVEL: 'warn' });
  try {
    await use(sluice);
  } finally {
    await sluice.stop();
    await nginx.stop();
  }
}

describe('doctor --key through Sluice: a hold between Sluice and its provider', () => {
  it('nginx in front of the upstream buffers: held before Sluice, nginx named for an admin; its fix passes', async () => {
    let snippet = '';
    await behindNginx('', async (sluice) => {
      const admin = await doctorAt(sluice.baseURL, ADMIN_KEY);
      assert.equal(admin.verdict, 'buffered', explain(admin));
      const cause = admin.causes[0];
      assert.ok(cause && HELD.includes(cause.id), explain(admin));
      assert.match(cause.title, /before Sluice$/);
      assert.match(cause.evidence[0] ?? '', /Sluice received the answer so from its upstream/);
      assert.ok(
        cause.evidence.some((e) => /Server: nginx/.test(e)),
        explain(admin),
      );
      assert.deepEqual(cause.hops, ['nginx', 'upstream-leg']);
      assert.equal(cause.suspected, false);
      const fix = cause.fixes.find((f) => f.hop === 'nginx');
      assert.equal(fix?.where, 'in the nginx between Sluice and its provider');
      snippet = fix.snippet ?? '';
      assert.match(snippet, /proxy_buffering off;/);
      // There it holds the provider's answers, which carry no X-Accel-Buffering: no.
      assert.match(fix.text, /the provider's answers carry no such header/);
      assert.doesNotMatch(fix.text, /obeys the X-Accel-Buffering: no that Sluice sends/);

      // A user learns where the hold is, not what the operator's hops are.
      await keyFor(sluice, 'owner'); // the first user is an admin
      const user = await doctorAt(sluice.baseURL, await keyFor(sluice, 'ada'));
      assert.equal(user.verdict, 'buffered', explain(user));
      assert.deepEqual(user.causes[0]?.hops, ['upstream-leg']);
      assert.equal(user.causes[0].suspected, true);
      assert.ok(!user.causes.some((c) => c.evidence.some((e) => /Server:|Via:/.test(e))));

      // Noticed without the doctor too: both answers counted, one warning for the upstream.
      assert.match(
        await metricsOf(sluice),
        /^sluice_upstream_streams_held_total\{upstream="[^"]+"\} 2$/m,
      );
      const warnings = sluice.logs.filter((l) => l.msg === 'upstream answer arrived gathered');
      assert.equal(warnings.length, 1, JSON.stringify(warnings));

      // The report says how the answer reached Sluice, on a line of its own (wrapped at 100).
      const text = await runDoctor([sluice.baseURL, '--key', ADMIN_KEY, '--model', MODEL]);
      assert.match(
        text.stdout.replaceAll(/\n {10}/g, ' '),
        /^behind +Sluice's upstream sent \d+ events in [12] reads?, the last .* · Server: nginx\//m,
      );
    });
    await behindNginx(snippet, async (sluice) => {
      const fixed = await doctorAt(sluice.baseURL, ADMIN_KEY);
      assert.equal(fixed.verdict, 'ok', explain(fixed));
      assert.equal(fixed.events, CHUNKS, "the usage chunk Sluice asked for is not the client's");
      assert.doesNotMatch(await metricsOf(sluice), /^sluice_upstream_streams_held_total\{/m);
    });
  });

  it('a hold in front of Sluice stays in front: the answer reached Sluice as it was made', async () => {
    const sluice = await sluiceFor(upstream.origin, { SLUICE_LOG_LEVEL: 'warn' });
    const front = await startNginx({
      serverBlock: proxyServerBlock({
        upstreamPort: Number(new URL(sluice.url).port),
        locationExtra: 'proxy_ignore_headers X-Accel-Buffering;',
      }),
    });
    try {
      const result = await doctorAt(`${front.url}/v1`, ADMIN_KEY);
      assert.equal(result.verdict, 'buffered', explain(result));
      const cause = result.causes[0];
      assert.ok(cause && HELD.includes(cause.id), explain(result));
      assert.doesNotMatch(cause.title, /before Sluice/);
      assert.ok(cause.hops.includes('nginx'), cause.hops.join(', '));
      assert.ok(!cause.hops.includes('upstream-leg'));
      assert.ok(
        cause.evidence.some((e) =>
          /Sluice received the answer from its upstream as it was made/.test(e),
        ),
        explain(result),
      );
    } finally {
      await front.stop();
      await sluice.stop();
    }
  });

  it('a report forged by the upstream is not taken for Sluice’s own', async () => {
    // The answer comes as it is made, but the upstream claims it came in one read.
    const claim = { reads: [[5, 9_000, CHUNKS + 2]], egress: 'direct' };
    upstream.script(pacedAnswer(`: sluice-upstream ${JSON.stringify(claim)}\n\n`));
    const sluice = await sluiceFor(upstream.origin, { SLUICE_LOG_LEVEL: 'warn' });
    try {
      const result = await doctorAt(sluice.baseURL, ADMIN_KEY);
      assert.equal(result.verdict, 'ok', explain(result));
    } finally {
      upstream.script(pacedAnswer());
      await sluice.stop();
    }
  });

  it('an answer held whole and sent an HTTP chunk an event is still seen gathered', async () => {
    // A relay that holds every event, then sends each as its own HTTP chunk, all in one write:
    // one arrival, though the HTTP parser hands Sluice each chunk apart. Before, each chunk
    // counted as a read of its own and the hold went unnoticed.
    const events = [
      ...Array.from({ length: CHUNKS }, (_, i) => ({
        object: 'chat.completion.chunk',
        model: MODEL,
        choices: [{ index: 0, delta: { content: `${String(i)} ` }, finish_reason: null }],
      })),
      {
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: CHUNKS, total_tokens: 9 + CHUNKS },
      },
    ].map((e) => formatEvent({ data: JSON.stringify(e) }));
    events.push(formatEvent({ data: '[DONE]' }));
    const chunked = events.map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join('');
    const relay = createServer((socket) => {
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n' +
            `${chunked}0\r\n\r\n`,
        );
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as AddressInfo;
    const sluice = await sluiceFor(`http://127.0.0.1:${port}`, { SLUICE_LOG_LEVEL: 'warn' });
    try {
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      assert.match(await response.text(), /data: \[DONE\]/);
      await sluice.running.settled();
      assert.match(
        await metricsOf(sluice),
        /^sluice_upstream_streams_held_total\{upstream="[^"]+"\} 1$/m,
      );
    } finally {
      await sluice.stop();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('the report goes only to a stream that asks with the doctor header, and the header no further', async () => {
    const sluice = await sluiceFor(upstream.origin, { SLUICE_LOG_LEVEL: 'warn' });
    try {
      const ask = async (headers: Record<string, string>) => {
        const response = await fetch(`${sluice.baseURL}/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${ADMIN_KEY}`,
            'content-type': 'application/json',
            ...headers,
          },
          body: JSON.stringify({
            model: MODEL,
            stream: true,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        return response.text();
      };
      const plain = await ask({});
      assert.match(plain, /data: \[DONE\]/);
      assert.doesNotMatch(plain, /sluice-upstream/);
      assert.doesNotMatch(await ask({ 'x-sluice-doctor': 'not a token!' }), /sluice-upstream/);

      const asked = await ask({ 'x-sluice-doctor': 'run-1' });
      const line = /^: sluice-upstream (\{.*\})$/m.exec(asked)?.[1];
      assert.ok(line, asked);
      const view = JSON.parse(line) as { reads: [number, number, number][]; egress: string };
      assert.equal(view.egress, 'direct');
      // Every upstream event counted once (the chunks, usage, [DONE]), in arrival order.
      assert.equal(
        view.reads.reduce((n, [, , events]) => n + events, 0),
        CHUNKS + 2,
      );
      const times = view.reads.map(([ms]) => ms);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
      );
      assert.equal(upstream.calls.at(-1)?.headers['x-sluice-doctor'], undefined);
    } finally {
      await sluice.stop();
    }
  });
});
