/**
 * One scan of a Chat Completions chunk for usage (issue #16): the relay used to look for
 * `"usage":{` twice per event (to read usage, then again to hide it) and then for two spellings
 * of `"usage":null`, and hid the null by building the event again. `scanUsage` finds each
 * `"usage":` key once and answers both questions: the usage reported, and the edit that hides
 * it — a cut by offsets for `"usage":null`, the chunk parsed once when it reports usage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEvent } from '../sse/index.ts';
import { openaiChat } from './openai-chat.ts';
import { openaiResponses } from './openai-responses.ts';
import type { UsageScan } from './types.ts';

const event = (data: unknown) => Buffer.from(formatEvent({ data: JSON.stringify(data) }));
const scan = (buf: Buffer, hide: boolean): UsageScan =>
  openaiChat.scanUsage(buf, 0, buf.length, undefined, hide);
/** The event as the client gets it once the scan's edit is applied. */
function edited(buf: Buffer, found: UsageScan): string | null {
  const edit = found?.kind === 'usage' ? found.edit : found;
  if (edit === undefined) return buf.toString();
  if (edit.kind === 'drop') return null;
  if (edit.kind === 'replace') return edit.bytes.toString();
  return buf.toString('utf8', 0, edit.from) + buf.toString('utf8', edit.to);
}

const delta = { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] };
const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
const read = { promptTokens: 9, completionTokens: 2, cachedTokens: 0, reasoningTokens: 0 };

describe('openaiChat.scanUsage', () => {
  it('cuts `"usage":null` and its comma out by offsets, wherever it sits among the keys', () => {
    for (const chunk of [
      { id: 'c', ...delta, usage: null, obfuscation: 'x' },
      { usage: null, id: 'c', ...delta },
      { id: 'c', ...delta, usage: null },
    ]) {
      const buf = event(chunk);
      const found = scan(buf, true);
      assert.equal(found?.kind, 'cut');
      const { usage: _hidden, ...rest } = chunk;
      assert.equal(edited(buf, found), formatEvent({ data: JSON.stringify(rest) }));
    }
  });

  it('keeps `"usage":null` when the client asked for usage, and a lone one it cannot cut', () => {
    assert.equal(scan(event({ id: 'c', ...delta, usage: null }), false), undefined);
    assert.equal(scan(event({ usage: null }), true), undefined);
    assert.equal(scan(event(delta), true), undefined, 'no usage key: nothing at all');
  });

  it('reads the usage chunk and, to hide it, drops it when it has no choices', () => {
    const buf = event({ id: 'c', choices: [], usage });
    assert.deepEqual(scan(buf, false), { kind: 'usage', usage: read, edit: undefined });
    const hidden = scan(buf, true);
    assert.ok(hidden?.kind === 'usage');
    assert.deepEqual(hidden.usage, read);
    assert.equal(edited(buf, hidden), null);
  });

  it('reads the tier the answer ran at: priority processing is billed at its own rates', () => {
    const at = (tier: string) => {
      const found = scan(event({ id: 'c', service_tier: tier, choices: [], usage }), true);
      return found?.kind === 'usage' ? found.usage : undefined;
    };
    assert.deepEqual(at('priority'), { ...read, priority: true });
    for (const tier of ['default', 'flex', 'auto', 'scale']) assert.deepEqual(at(tier), read);
    const body = {
      id: 'c',
      object: 'chat.completion',
      service_tier: 'priority',
      choices: [],
      usage,
    };
    assert.deepEqual(openaiChat.bodyUsage(body), { ...read, priority: true });
  });

  it('reads the tier a Responses answer ran at from its final event or whole body', () => {
    const response = (tier: string) => ({
      id: 'resp_1',
      status: 'completed',
      // As OpenAI's: the tier asked for in `response.created`, the one served at the end.
      service_tier: tier,
      usage: { input_tokens: 9, output_tokens: 2, total_tokens: 11 },
    });
    const completed = (tier: string) => {
      const data = { type: 'response.completed', response: response(tier) };
      const buf = Buffer.from(
        formatEvent({ event: 'response.completed', data: JSON.stringify(data) }),
      );
      const found = openaiResponses.scanUsage(buf, 0, buf.length, undefined, false);
      return found?.kind === 'usage' ? found.usage : undefined;
    };
    assert.deepEqual(completed('priority'), { ...read, priority: true });
    assert.deepEqual(completed('default'), read);
    assert.deepEqual(openaiResponses.bodyUsage(response('priority')), { ...read, priority: true });
  });

  it('reads usage riding on the finishing chunk and hides it, keeping the chunk', () => {
    const finishing = { id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    const buf = event({ ...finishing, usage });
    const found = scan(buf, true);
    assert.deepEqual(found?.kind === 'usage' && found.usage, read);
    assert.equal(edited(buf, found), formatEvent({ data: JSON.stringify(finishing) }));
  });

  it('a chunk with `"usage":null` twice is written again without the key', () => {
    const buf = Buffer.from('data: {"id":"c","usage":null,"choices":[1],"usage":null}\n\n');
    assert.equal(edited(buf, scan(buf, true)), 'data: {"id":"c","choices":[1]}\n\n');
  });

  it('passes a chunk it cannot parse as it came', () => {
    const buf = Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":\n\n');
    assert.equal(scan(buf, true), undefined);
  });

  it('scans only the event it is given, not the bytes after it', () => {
    const first = event({ id: 'a', ...delta });
    const buf = Buffer.concat([first, event({ id: 'b', ...delta, usage: null })]);
    assert.equal(openaiChat.scanUsage(buf, 0, first.length, undefined, true), undefined);
  });
});
