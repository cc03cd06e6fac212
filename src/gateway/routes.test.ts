import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeObjectsIn, filterList, mayReference, objectsIn, referencesIn } from './ownership.ts';
import { routeOf } from './routes.ts';

describe('routeOf', () => {
  const cases: [string, string, ReturnType<typeof routeOf>][] = [
    ['POST', '/v1/chat/completions', { kind: 'inference', body: 'json' }],
    ['POST', '/v1/audio/transcriptions', { kind: 'inference', body: 'multipart' }],
    ['POST', '/v1/images/edits', { kind: 'inference', body: 'either' }],
    ['POST', '/v1/messages', { kind: 'inference', body: 'json' }],
    ['GET', '/v1/models', { kind: 'models' }],
    ['GET', '/v1/models/gpt-4o', { kind: 'models' }],
    ['DELETE', '/v1/models/ft:gpt-4o:x', { kind: 'unknown' }],
    [
      'GET',
      '/v1/chat/completions',
      { kind: 'scoped', scope: 'chat_completions', objectId: undefined, owned: true },
    ],
    [
      'GET',
      '/v1/chat/completions/chatcmpl-1/messages',
      { kind: 'scoped', scope: 'chat_completions', objectId: 'chatcmpl-1', owned: true },
    ],
    [
      'GET',
      '/v1/responses/resp_1/input_items',
      { kind: 'scoped', scope: 'responses', objectId: 'resp_1', owned: true },
    ],
    [
      'POST',
      '/v1/responses/resp_1/cancel',
      { kind: 'scoped', scope: 'responses', objectId: 'resp_1', owned: true },
    ],
    [
      'GET',
      '/v1/files/file-1/content',
      { kind: 'scoped', scope: 'files', objectId: 'file-1', owned: true },
    ],
    [
      'GET',
      '/v1/files/file%2D1',
      { kind: 'scoped', scope: 'files', objectId: 'file-1', owned: true },
    ],
    [
      'POST',
      '/v1/threads/runs',
      { kind: 'scoped', scope: 'threads', objectId: undefined, owned: true },
    ],
    [
      'GET',
      '/v1/fine_tuning/jobs/ftjob-1/events',
      { kind: 'scoped', scope: 'fine_tuning', objectId: 'ftjob-1', owned: true },
    ],
    [
      'POST',
      '/v1/fine_tuning/alpha/graders/run',
      { kind: 'scoped', scope: 'fine_tuning', objectId: undefined, owned: true },
    ],
    [
      'GET',
      '/v1/messages/batches/msgbatch_1',
      { kind: 'scoped', scope: 'batches', objectId: 'msgbatch_1', owned: true },
    ],
    [
      'GET',
      '/v1/organization/users/user-1',
      { kind: 'scoped', scope: 'organization', objectId: undefined, owned: false },
    ],
    ['GET', '/v1/audio/transcriptions', { kind: 'unknown' }],
    ['POST', '/v1/whatever', { kind: 'unknown' }],
    // Names an object answers to are no inference routes (a user key may not reach them).
    ['POST', '/v1/constructor', { kind: 'unknown' }],
    ['POST', '/v1/__proto__', { kind: 'unknown' }],
    ['POST', '/v1/toString', { kind: 'unknown' }],
  ];
  for (const [method, path, route] of cases) {
    it(`${method} ${path}`, () => {
      assert.deepEqual(routeOf(method, path), route);
    });
  }
});

describe('ownership', () => {
  it('finds the objects a body names, wherever they are, but not in metadata or schemas', () => {
    const refs = referencesIn({
      previous_response_id: 'resp_1',
      conversation: { id: 'conv_1' },
      input: [{ content: [{ type: 'input_file', file_id: 'file-1' }] }],
      tools: [
        { type: 'file_search', vector_store_ids: ['vs_1', 'vs_2'] },
        { type: 'code_interpreter', container: { type: 'auto' } },
        { type: 'function', parameters: { properties: { file_id: { type: 'string' } } } },
      ],
      metadata: { file_id: 'mine' },
      // Keys an object answers to name no object.
      ...(JSON.parse(
        '{"constructor": "file-c", "__proto__": "file-p", "toString": "t"}',
      ) as object),
    });
    assert.deepEqual(refs.map((r) => `${r.scope}:${r.id}`).sort(), [
      'conversations:conv_1',
      'files:file-1',
      'responses:resp_1',
      'vector_stores:vs_1',
      'vector_stores:vs_2',
    ]);
  });

  it('finds item references: typed anywhere, untyped only in a body’s item list', () => {
    const refs = (body: unknown) => referencesIn(body).map((r) => `${r.scope}:${r.id}`);
    assert.deepEqual(
      refs({
        input: [
          { type: 'item_reference', id: 'msg_typed' },
          { id: 'rs_untyped' },
          { id: 'fc_null', type: null },
          // Items given whole, and a message without a type, name nothing.
          { type: 'message', id: 'msg_whole', role: 'assistant', content: [] },
          { id: 'msg_easy', role: 'user', content: 'hi' },
          { type: 'function_call_output', call_id: 'call_1', output: '{}' },
        ],
        tools: [
          {
            type: 'function',
            name: 'f',
            // A schema's `{"id": …}` is not an item, and `metadata` is the caller's own.
            parameters: { type: 'array', items: [{ id: 'http://example.com/s' }] },
          },
        ],
        metadata: { x: 'y' },
      }).sort(),
      ['items:fc_null', 'items:msg_typed', 'items:rs_untyped'],
    );
    assert.deepEqual(refs({ items: [{ id: 'msg_conv' }] }), ['items:msg_conv']);
    assert.deepEqual(refs({ metadata: { r: { type: 'item_reference', id: 'mine' } } }), []);
    assert.equal(mayReference(JSON.stringify({ input: [{ id: 'msg_1' }] })), true);
  });

  it('a body without a key naming objects is not walked; one with such a key is', () => {
    assert.equal(
      mayReference(
        JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'file_id' }] }),
      ),
      false,
    );
    assert.equal(mayReference(JSON.stringify({ input: [{ file_id: 'file-1' }] })), true);
    // A key spelt with escapes is written plainly by JSON.stringify: the scan sees it.
    const parsed: unknown = JSON.parse('{"file\\u005fid":"file-2"}');
    assert.equal(mayReference(JSON.stringify(parsed)), true);
  });

  it('walks a body nested far deeper than the call stack allows', () => {
    let deep: unknown = { file_id: 'file-deep' };
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.deepEqual(referencesIn({ input: deep }), [{ scope: 'files', id: 'file-deep' }]);
  });

  it('what an answer creates and reveals', () => {
    assert.deepEqual(
      objectsIn('batches', { id: 'batch_1', output_file_id: 'file-o', error_file_id: null }),
      [
        { scope: 'batches', id: 'batch_1' },
        { scope: 'files', id: 'file-o' },
      ],
    );
    assert.deepEqual(objectsIn(undefined, { id: 'upload_1', file: { id: 'file-u' } }), [
      { scope: 'files', id: 'file-u' },
    ]);
    assert.deepEqual(objectsIn('files', 'not an object'), []);
    // A response's output and a page of items show items, when the answer is about one.
    const response = { id: 'resp_1', output: [{ id: 'msg_1' }, { id: 'rs_1' }, { type: 'x' }] };
    assert.deepEqual(objectsIn(undefined, response, true), [
      { scope: 'items', id: 'msg_1' },
      { scope: 'items', id: 'rs_1' },
    ]);
    assert.deepEqual(objectsIn(undefined, { object: 'list', data: [{ id: 'msg_2' }] }, true), [
      { scope: 'items', id: 'msg_2' },
    ]);
    assert.deepEqual(objectsIn(undefined, response), []);
  });

  it('what running code made: containers and written files, not ids the caller or model wrote', () => {
    const answer = {
      id: 'msg_1',
      container: { id: 'container_a', expires_at: 'x' },
      metadata: { container_id: 'cntr_claimed' },
      content: [
        { type: 'code_interpreter_call', id: 'ci_1', container_id: 'cntr_b' },
        {
          type: 'bash_code_execution_tool_result',
          content: { content: [{ type: 'bash_code_execution_output', file_id: 'file_w' }] },
        },
        // The model can be made to write any id into a tool call: it proves nothing.
        { type: 'tool_use', input: { container_id: 'cntr_claimed', container: { id: 'c2' } } },
        {
          type: 'function_call',
          arguments: { type: 'code_execution_output', file_id: 'file_claimed' },
        },
        { type: 'image', file_id: 'file_not_written_by_code' },
      ],
    };
    assert.deepEqual(
      codeObjectsIn(answer).sort((a, b) => a.id.localeCompare(b.id)),
      [
        { scope: 'containers', id: 'cntr_b' },
        { scope: 'containers', id: 'container_a' },
        { scope: 'files', id: 'file_w' },
      ],
    );
  });

  it('filters a list page and its cursors', () => {
    const list = {
      object: 'list',
      data: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      first_id: 'a',
      last_id: 'c',
      has_more: false,
    };
    assert.deepEqual(
      filterList(list, (id) => id === 'b'),
      {
        object: 'list',
        data: [{ id: 'b' }],
        first_id: 'b',
        last_id: 'b',
        has_more: false,
      },
    );
  });
});
