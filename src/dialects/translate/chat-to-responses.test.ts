/** chatStreamToResponses: item order and indexes, parallel calls, errors, an unterminated end. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEvent } from '../../sse/index.ts';
import { chatAnswerToResponses, chatStreamToResponses, responsesEcho } from './index.ts';

const echo = responsesEcho({ instructions: 'Be brief.', tools: [] }, 'm');

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return JSON.stringify({
    id: 'c',
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

/** The events a translator wrote, as payloads. */
function payloads(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((b) => JSON.parse(parseEvent(Buffer.from(b)).data ?? '') as Record<string, unknown>);
}

describe('chatStreamToResponses', () => {
  it('a call index is the upstream’s, any number: one item per call, nothing done per number between', () => {
    // As array indexes, 2^32 − 2 made each pass over the calls a loop of four billion (a
    // hostile or broken upstream froze the process for minutes per stream; 2^20 here keeps the
    // test quick before the fix too), and a negative one was never closed (the SDK threw).
    const t = chatStreamToResponses(echo);
    const call = (index: number, name: string) =>
      t.event(
        undefined,
        chunk({ tool_calls: [{ index, id: name, function: { name, arguments: '{}' } }] }),
      );
    const out = payloads(
      [
        call(2 ** 20, 'far'),
        call(-1, 'negative'),
        t.event(undefined, chunk({}, 'tool_calls')),
        t.event(undefined, '[DONE]'),
      ].join(''),
    );
    const done = out.filter((p) => p.type === 'response.output_item.done');
    assert.deepEqual(
      done.map((p) => (p.item as { name: string }).name),
      ['far', 'negative'],
    );
  });

  it('an answer longer than it holds for the final event ends with an error, nothing held after', () => {
    // The closing events repeat the whole output, so it is held: an endless answer (a hostile
    // or broken upstream) took a process to 1.4 GB at 100 MB and past V8's longest string failed.
    const t = chatStreamToResponses(echo, 100);
    const text = t.event(undefined, chunk({ content: 'x'.repeat(60) }));
    const args = t.event(
      undefined,
      chunk({
        tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: 'y'.repeat(41) } }],
      }),
    );
    const after = t.event(undefined, chunk({ content: 'more' })) + t.end();
    const out = payloads(text + args);
    assert.equal(out.at(-1)?.type, 'error');
    assert.match(String(out.at(-1)?.message), /longer than 100 characters/);
    assert.equal(out.filter((p) => p.type === 'error').length, 1);
    assert.ok(!out.some((p) => p.type === 'response.completed'));
    assert.equal(after, '');
    assert.equal(t.failure?.code, 'upstream_error');
  });

  it('an answer of exactly what it holds completes', () => {
    const t = chatStreamToResponses(echo, 100);
    const out = payloads(
      t.event(undefined, chunk({ content: 'x'.repeat(100) })) +
        t.event(undefined, chunk({}, 'stop')) +
        t.end(),
    );
    assert.equal(out.at(-1)?.type, 'response.completed');
    assert.equal(t.failure, undefined);
  });

  it('parallel calls are items of their own, indexed in the order they opened; text after them a new message', () => {
    const t = chatStreamToResponses(echo);
    const call = (index: number, fields: Record<string, unknown>) =>
      chunk({ tool_calls: [{ index, ...fields }] });
    const out = payloads(
      [
        t.event(undefined, chunk({ role: 'assistant', content: 'Looking.' })),
        t.event(undefined, call(0, { id: 'a', function: { name: 'w', arguments: '{"c":' } })),
        t.event(undefined, call(1, { id: 'b', function: { name: 'w', arguments: '{"c":"B"}' } })),
        t.event(undefined, call(0, { function: { arguments: '"A"}' } })),
        t.event(undefined, chunk({}, 'tool_calls')),
        t.event(
          undefined,
          JSON.stringify({
            id: 'c',
            choices: [],
            usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
          }),
        ),
        t.event(undefined, '[DONE]'),
      ].join(''),
    );
    assert.deepEqual(
      out.map((p) => p.sequence_number),
      out.map((_, i) => i),
    );
    const added = out.filter((p) => p.type === 'response.output_item.added');
    assert.deepEqual(
      added.map((p) => [p.output_index, (p.item as { type: string }).type]),
      [
        [0, 'message'],
        [1, 'function_call'],
        [2, 'function_call'],
      ],
    );
    const final = out.at(-1)?.response as {
      output: Record<string, unknown>[];
      usage: Record<string, number>;
    };
    assert.equal(out.at(-1)?.type, 'response.completed');
    assert.deepEqual(
      final.output.map((o) => [o.type, o.call_id ?? null, o.arguments ?? null]),
      [
        ['message', null, null],
        ['function_call', 'a', '{"c":"A"}'],
        ['function_call', 'b', '{"c":"B"}'],
      ],
    );
    assert.deepEqual(
      [final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens],
      [5, 7, 12],
    );
    assert.equal(t.end(), '', 'nothing after the end');
  });

  it('an in-band error is an error event, and nothing follows it', () => {
    const t = chatStreamToResponses(echo);
    const out = payloads(
      t.event(undefined, chunk({ content: 'Hel' })) +
        t.event(
          undefined,
          JSON.stringify({
            error: { message: 'overloaded', type: 'server_error', code: 'overloaded' },
          }),
        ),
    );
    assert.deepEqual(out.at(-1), {
      type: 'error',
      code: 'overloaded',
      message: 'overloaded',
      param: null,
      sequence_number: out.length - 1,
    });
    assert.equal(t.event(undefined, chunk({ content: 'lo' })), '');
    assert.equal(t.end(), '');
  });

  it('a stream that ends without [DONE] is still completed; a chunk that is not JSON is an error', () => {
    const t = chatStreamToResponses(echo);
    const out = payloads(t.event(undefined, chunk({ content: 'Hi' })) + t.end());
    assert.equal(out.at(-1)?.type, 'response.completed');
    const bad = chatStreamToResponses(echo);
    assert.equal(payloads(bad.event(undefined, 'not json')).at(-1)?.type, 'error');
  });
});

describe('chatAnswerToResponses', () => {
  it('reasoning, text and calls become items in that order; the request is echoed', () => {
    const answer = chatAnswerToResponses(
      {
        created: 1,
        model: 'm-1',
        choices: [
          {
            index: 0,
            message: {
              reasoning_content: 'Hmm.',
              content: 'Calling.',
              tool_calls: [{ id: 'a', function: { name: 'w', arguments: '{}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      },
      echo,
    );
    assert.deepEqual(
      (answer.output as { type: string }[]).map((o) => o.type),
      ['reasoning', 'message', 'function_call'],
    );
    assert.equal(answer.status, 'completed');
    assert.equal(answer.model, 'm-1');
    assert.equal(answer.instructions, 'Be brief.');
    assert.equal((answer.usage as { total_tokens: number }).total_tokens, 7);
  });
});
