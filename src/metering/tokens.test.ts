import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens, estimatePromptTokens } from './tokens.ts';

describe('token estimates', () => {
  it('counts o200k tokens', async () => {
    assert.equal(await countTokens(''), 0);
    assert.equal(await countTokens('Hello world, streaming works!'), 6);
  });

  it('extrapolates huge texts from a sample instead of stalling the event loop', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog. ';
    const tokens = await countTokens(sentence.repeat(200_000)); // 9 MB: sampled
    const exact = (await countTokens(sentence.repeat(2_000))) * 100; // 90 kB: counted whole
    assert.ok(Math.abs(tokens - exact) / exact < 0.01, `${tokens} vs ${exact}`);
  });

  it('estimates a prompt from its text fields, not from base64 images', async () => {
    const image = 'A'.repeat(100_000);
    const tokens = await estimatePromptTokens({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
          ],
        },
      ],
    });
    assert.ok(tokens > 5 && tokens < 30, String(tokens));
  });

  it('counts a tool’s property names with its descriptions: the model is shown both', async () => {
    const tool = (properties: Record<string, unknown>) => ({
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'Look it up.', parameters: { properties } },
        },
      ],
    });
    const bare = await estimatePromptTokens(tool({}));
    const named = await estimatePromptTokens(tool({ city_name_as_written_locally: {} }));
    const name = await countTokens('city_name_as_written_locally');
    assert.ok(named >= bare + name, `${named} vs ${bare} + ${name}`);
  });
});
