/** usageInTail: the usage object at a long answer's end, however it is spaced or cut. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageInTail } from './tail-usage.ts';

describe('usageInTail', () => {
  it('the last usage key, pretty-printed or compact, nested counts whole', () => {
    const usage = {
      prompt_tokens: 9,
      prompt_tokens_details: { cached_tokens: 2 },
      total_tokens: 9,
    };
    for (const space of [0, 2])
      assert.deepEqual(
        usageInTail(`"x"}], "model": "m", ${JSON.stringify({ usage }, null, space).slice(1)}`),
        { usage },
      );
  });

  it('a "usage" inside a string is not the key; a tail cut mid-string is read past it', () => {
    const text = JSON.stringify({ content: 'say "usage": {"prompt_tokens": 1} please' });
    const tail = `${text.slice(5)}, "usage": {"prompt_tokens": 3, "note": "a } and a \\" inside"}}`;
    assert.deepEqual(usageInTail(tail), {
      usage: { prompt_tokens: 3, note: 'a } and a " inside' },
    });
    assert.equal(usageInTail(text), undefined);
  });

  it('no usage, or one cut short: nothing', () => {
    assert.equal(usageInTail('{"data": []}'), undefined);
    assert.equal(usageInTail('"usage": {"prompt_tokens": 3'), undefined);
  });
});
