import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

  it('a prompt of token ids counts one token an id (completions, embeddings), batches too', async () => {
    assert.equal(await estimatePromptTokens({ model: 'm', prompt: [1, 2, 3, 4] }), 4);
    assert.equal(await estimatePromptTokens({ model: 'm', input: [[5, 6], [7]] }), 3);
    // Mixed with text, both count.
    const mixed = await estimatePromptTokens({ model: 'm', prompt: ['Hello world', [1, 2]] });
    assert.equal(mixed, (await countTokens('Hello world')) + 2);
  });

  it('estimates a prompt from its text fields; an image by its size, not its base64', async () => {
    const png = readFileSync(new URL('../../test/fixtures/images/1500x900.png', import.meta.url));
    const prompt = (url: string) =>
      estimatePromptTokens({
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      });
    const text = await prompt('https://example.com/a.png');
    assert.ok(text > 765 + 5 && text < 765 + 30, `an image by URL counts as 1024 square: ${text}`);
    // 1500 × 900 → 1280 × 768: 3 × 2 tiles, 85 + 6 × 170 = 1105.
    const inline = await prompt(`data:image/png;base64,${png.toString('base64')}`);
    assert.equal(inline - text, 1105 - 765);
    // The Responses API's and Anthropic's image parts count alike.
    const responses = await estimatePromptTokens({
      input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x', detail: 'low' }] }],
    });
    const anthropic = await estimatePromptTokens({
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', data: png.toString('base64') } }],
        },
      ],
    });
    assert.ok(responses >= 85 && responses < 100, String(responses));
    assert.ok(anthropic >= 1105 && anthropic < 1130, String(anthropic));
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
