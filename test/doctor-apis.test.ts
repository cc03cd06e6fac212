/**
 * `sluice doctor --key … --api messages|responses`: the doctor asks in Anthropic's Messages API
 * (what Claude Code and the relays in front of it speak) or OpenAI's Responses API, not only in
 * Chat Completions. Before, a Claude relay could not be measured at all, and a Responses stream,
 * which ends with `response.completed` and no `[DONE]`, would have been judged cut.
 *
 * Fake upstreams write the recorded provider streams (their first text delta repeated, so the
 * answer is long enough to judge), a token every 20 ms; a real nginx with its default buffering
 * stands between Sluice and its provider for the hold behind Sluice.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { fixturePayloads } from './support/chat-fixtures.ts';
import {
  type FakeUpstream,
  type Script,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { runDoctor } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx } from './support/nginx.ts';
import { ADMIN_KEY, sluiceFor } from './support/sluice.ts';

const CLAUDE = 'claude-sonnet-4-5';
const GPT = 'gpt-5.3-codex';
/** Past the 32 events below which one read may be a short answer (`held-upstream.ts`). */
const DELTAS = 40;

/**
 * A recorded stream with its first delta written `DELTAS` times, each event named by its type
 * and written 20 ms after the last (the model's pace, not a wait for anything); `cutAfter`
 * deltas, the body ends there.
 */
function paced(fixture: string, cutAfter?: number): Script {
  const payloads = fixturePayloads(fixture);
  const isDelta = (p: Record<string, unknown>) => /(^|_|\.)delta$/.test(String(p.type));
  const first = payloads.findIndex(isDelta);
  const delta = payloads[first];
  assert.ok(delta !== undefined, `${fixture} has a delta`);
  const events = [
    ...payloads.slice(0, first),
    ...Array.from({ length: DELTAS }, () => delta),
    ...payloads.slice(first).filter((p) => !isDelta(p)),
  ];
  return async ({ res }) => {
    sseHead(res);
    let deltas = 0;
    for (const payload of events) {
      if (isDelta(payload) && deltas++ === cutAfter) break;
      res.write(formatEvent({ event: String(payload.type), data: JSON.stringify(payload) }));
      await sleep(20);
    }
    res.end();
  };
}

const MESSAGES = 'anthropic-messages/anthropic-text.chunks.txt';
const RESPONSES = 'openai-responses/openai-phase.1.chunks.txt';

type Result = DoctorJson & { code: number };

/** The doctor with `--key key --model model --api api` at `url`. */
async function doctor(url: string, key: string, model: string, api: string): Promise<Result> {
  const run = await runDoctor([url, '--key', key, '--model', model, '--api', api, '--json']);
  assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
  return { ...run.json, code: run.code };
}

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

describe('doctor --api messages: a Claude endpoint, as Claude Code asks it', () => {
  let upstream: FakeUpstream;
  before(async () => {
    upstream = await startFakeUpstream(paced(MESSAGES));
  });
  after(() => upstream.stop());

  it('asks in the Messages API with x-api-key; a paced answer ending in message_stop is ok', async () => {
    const result = await doctor(upstream.origin, 'sk-ant-relay-key', CLAUDE, 'messages');
    const call = upstream.calls.at(-1);
    assert.equal(call?.path, '/v1/messages');
    assert.equal(call.headers['x-api-key'], 'sk-ant-relay-key');
    assert.equal(call.headers['anthropic-version'], '2023-06-01');
    assert.equal(call.headers.authorization, undefined, 'the key goes once, as Claude sends it');
    assert.equal(call.json?.['stream'], true);
    assert.equal(call.json['model'], CLAUDE);
    assert.equal(result.verdict, 'ok', explain(result));
    assert.equal(result.api, 'messages');
    assert.equal(result.end.kind, 'done', 'message_stop ends the answer');
    assert.ok(result.events >= DELTAS, String(result.events));
    assert.ok(result.causes[0]?.evidence.some((e) => /^message_stop at /.test(e)));
  });

  it('an answer cut before message_stop is cut, and says so', async () => {
    upstream.script(paced(MESSAGES, 10));
    const result = await doctor(upstream.origin, 'k', CLAUDE, 'messages');
    upstream.script(paced(MESSAGES));
    assert.notEqual(result.verdict, 'ok', explain(result));
    assert.equal(result.end.kind, 'eof');
    assert.ok(
      result.causes.some((c) => c.evidence.some((e) => /without message_stop/.test(e))),
      explain(result),
    );
  });

  it('through a Sluice whose way to Anthropic buffers: held before Sluice, nginx named', async () => {
    const upstreamPort = Number(new URL(upstream.origin).port);
    const nginx = await startNginx({ serverBlock: proxyServerBlock({ upstreamPort }) });
    const sluice = await sluiceFor(nginx.url, { SLUICE_LOG_LEVEL: 'warn' });
    try {
      const result = await doctor(sluice.baseURL, ADMIN_KEY, CLAUDE, 'messages');
      assert.equal(upstream.calls.at(-1)?.path, '/v1/messages');
      assert.equal(result.verdict, 'buffered', explain(result));
      const cause = result.causes[0];
      assert.match(cause?.title ?? '', /before Sluice$/, explain(result));
      assert.deepEqual(cause?.hops, ['nginx', 'upstream-leg']);
    } finally {
      await sluice.stop();
      await nginx.stop();
    }
  });
});

describe('doctor --api responses', () => {
  let upstream: FakeUpstream;
  before(async () => {
    upstream = await startFakeUpstream(paced(RESPONSES));
  });
  after(() => upstream.stop());

  it('through Sluice: a paced answer ending in response.completed is ok, not cut', async () => {
    const sluice = await sluiceFor(upstream.origin, { SLUICE_LOG_LEVEL: 'warn' });
    try {
      const result = await doctor(sluice.baseURL, ADMIN_KEY, GPT, 'responses');
      const call = upstream.calls.at(-1);
      assert.equal(call?.path, '/v1/responses');
      assert.equal(typeof call.json?.['input'], 'string');
      assert.equal(result.verdict, 'ok', explain(result));
      assert.equal(result.end.kind, 'done');
      assert.ok(result.causes[0]?.evidence.some((e) => /^response\.completed at /.test(e)));
    } finally {
      await sluice.stop();
    }
  });

  it('an error event in the stream is the cause, with its message', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      const error = { type: 'error', code: 'server_error', message: 'The model broke down.' };
      res.end(formatEvent({ event: 'error', data: JSON.stringify(error) }));
    });
    const result = await doctor(upstream.origin, 'k', GPT, 'responses');
    upstream.script(paced(RESPONSES));
    assert.equal(result.verdict, 'error', explain(result));
    assert.ok(result.causes.some((c) => c.evidence.some((e) => /The model broke down\./.test(e))));
  });
});

describe('doctor --api: usage', () => {
  it('an unknown API, or --api without --key, is a usage error naming the flag', async () => {
    const unknown = await runDoctor([
      'http://127.0.0.1:9',
      '--key',
      'k',
      '--model',
      'm',
      '--api',
      'gemini',
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--api must be one of chat, messages, responses; got "gemini"/);
    const keyless = await runDoctor(['http://127.0.0.1:9', '--api', 'messages']);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /--api needs --key/);
  });
});
