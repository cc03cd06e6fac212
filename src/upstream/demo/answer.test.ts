import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerText, demoReply, estimateTokens, excerpt, tokenize } from './answer.ts';
import { readPrompt } from './prompt.ts';

describe('the demo answer', () => {
  const inputs = [
    '',
    'hi',
    'What is the capital of France?',
    'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z'.repeat(4),
    'x'.repeat(10_000),
    '多语言的输入也应该被截断并且不会让回答变得太长。'.repeat(10),
  ];

  it('streams back exactly its text, in 120 to 200 word-sized pieces', () => {
    for (const input of inputs) {
      const reply = demoReply({ lastUser: input, allText: input });
      assert.equal(reply.tokens.join(''), reply.text);
      assert.equal(reply.usage.completionTokens, reply.tokens.length);
      assert.ok(reply.tokens.length >= 120 && reply.tokens.length <= 200, `${reply.tokens.length}`);
    }
  });

  it('suggests only commands that work from this checkout (the package is not published)', () => {
    const text = answerText('hi');
    assert.doesNotMatch(text, /npx|npm (i|install) -g|sluice serve/);
    assert.match(text, /OPENAI_API_KEY=sk-\.\.\. npm start/);
  });

  it('is the same for the same input', () => {
    assert.deepEqual(
      demoReply({ lastUser: 'hello', allText: 'hello' }),
      demoReply({ lastUser: 'hello', allText: 'hello' }),
    );
  });

  it('keeps the spaces before words, as real tokenizers do', () => {
    assert.deepEqual(tokenize('Set `BASE_URL`, then\n\nrestart.'), [
      'Set',
      ' `',
      'BASE_URL',
      '`,',
      ' then',
      '\n\n',
      'restart',
      '.',
    ]);
  });

  it('echoes a short, one-line excerpt of the question', () => {
    assert.equal(excerpt('  two\n lines  '), 'two lines');
    assert.equal(
      excerpt('Hello there, can you tell me a joke about gateways and streaming tokens?'),
      'Hello there, can you tell me a joke about gateways and…',
    );
    assert.equal(excerpt('y'.repeat(100)), `${'y'.repeat(60)}…`);
  });

  it('estimates at least one prompt token, about one per four characters', () => {
    assert.equal(estimateTokens(''), 1);
    assert.equal(estimateTokens('12345678'), 2);
  });
});

describe('reading the prompt', () => {
  it('takes the last user message and counts every text', () => {
    const prompt = readPrompt(
      [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: [{ type: 'text', text: 'reply' }] },
        { role: 'user', content: [{ type: 'input_text', text: 'second' }, { type: 'image' }] },
        'not a message',
      ],
      'system text',
    );
    assert.equal(prompt.lastUser, 'second');
    assert.equal(prompt.allText, 'system text\nfirst\nreply\nsecond');
  });

  it('reads nothing from what is not a message list', () => {
    assert.deepEqual(readPrompt(undefined), { lastUser: '', allText: '' });
  });
});
