import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureReason, LabelCap, OTHER, routeLabel } from './metrics-labels.ts';

describe('routeLabel', () => {
  it('keeps model calls and the model list by path, other provider routes by scope', () => {
    const cases: [string, string][] = [
      ['/v1/chat/completions', '/v1/chat/completions'],
      ['/v1/messages', '/v1/messages'],
      ['/v1/responses', '/v1/responses'],
      ['/v1/audio/transcriptions', '/v1/audio/transcriptions'],
      ['/v1/models', '/v1/models'],
      ['/v1/models/gpt-4o', '/v1/models'],
      ['/v1/files/file-abc/content', 'files'],
      ['/v1/responses/resp_123', 'responses'],
      ['/v1/messages/batches/msgbatch_1', 'batches'],
      ['/v1/chat/completions/chatcmpl-1', 'chat_completions'],
    ];
    for (const [path, label] of cases) assert.equal(routeLabel(path), label, path);
  });

  it('sends everything else to one label', () => {
    for (const path of ['/v1', '/v1/', '/v1/nope', '/v1/a/b/c', '/v1/files/%zz', '/v1/../x'])
      assert.equal(routeLabel(path), OTHER, path);
  });
});

describe('failureReason', () => {
  it('counts what the breakers count: 5xx, 429, 401, 403 and failures without a status', () => {
    for (const answer of [500, 502, 503, 429, 401, 403] as const)
      assert.equal(failureReason(answer), String(answer));
    for (const answer of ['unreachable', 'timeout', 'broken'] as const)
      assert.equal(failureReason(answer), answer);
  });

  it('not a success, the client’s own 4xx, or a client that left', () => {
    for (const answer of [200, 201, 400, 404, 422, 'cancelled'] as const)
      assert.equal(failureReason(answer), undefined, String(answer));
  });
});

describe('LabelCap', () => {
  it('keeps the first values, then answers other for new ones only', () => {
    const cap = new LabelCap(2);
    assert.equal(cap.value('a'), 'a');
    assert.equal(cap.value('b'), 'b');
    assert.equal(cap.value('c'), OTHER);
    assert.equal(cap.value('a'), 'a');
    assert.equal(cap.value('b'), 'b');
  });
});
