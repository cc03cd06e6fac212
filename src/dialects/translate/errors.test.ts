/** A provider's error in the other API's shape, for HTTP bodies and in-band stream errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatErrorToMessages, messagesErrorToChat } from './index.ts';

describe('messagesErrorToChat', () => {
  const cases: [string, string][] = [
    ['invalid_request_error', 'invalid_request_error'],
    ['request_too_large', 'invalid_request_error'],
    ['authentication_error', 'authentication_error'],
    ['permission_error', 'permission_error'],
    ['not_found_error', 'not_found_error'],
    ['rate_limit_error', 'rate_limit_error'],
    ['billing_error', 'insufficient_quota'],
    ['overloaded_error', 'server_error'],
    ['api_error', 'server_error'],
    // Names of Object's own properties are types like any unknown one.
    ['constructor', 'server_error'],
    ['__proto__', 'server_error'],
  ];
  for (const [anthropic, openai] of cases) {
    it(`${anthropic} → ${openai}, Anthropic's type kept as code`, () => {
      assert.deepEqual(
        messagesErrorToChat({ type: 'error', error: { type: anthropic, message: 'M' } }),
        { error: { message: 'M', type: openai, param: null, code: anthropic } },
      );
    });
  }

  it('says something even when the provider did not', () => {
    const out = messagesErrorToChat({}) as { error: { message: string; type: string } };
    assert.equal(out.error.type, 'server_error');
    assert.ok(out.error.message.length > 0);
  });
});

describe('chatErrorToMessages', () => {
  const cases: [string, string][] = [
    ['invalid_request_error', 'invalid_request_error'],
    ['authentication_error', 'authentication_error'],
    ['rate_limit_error', 'rate_limit_error'],
    ['insufficient_quota', 'billing_error'],
    ['server_error', 'api_error'],
    ['toString', 'api_error'],
    ['hasOwnProperty', 'api_error'],
  ];
  for (const [openai, anthropic] of cases) {
    it(`${openai} → ${anthropic}, OpenAI's code kept`, () => {
      assert.deepEqual(
        chatErrorToMessages({ error: { message: 'M', type: openai, param: null, code: 'c1' } }),
        { type: 'error', error: { type: anthropic, message: 'M', code: 'c1' } },
      );
    });
  }

  it('keeps the type as code when there is no code', () => {
    assert.deepEqual(chatErrorToMessages({ error: { message: 'M', type: 'server_error' } }), {
      type: 'error',
      error: { type: 'api_error', message: 'M', code: 'server_error' },
    });
  });

  it("reads Google's error, a list of one with a status for a type", () => {
    const google = {
      code: 400,
      message: 'Function call is missing a thought_signature in functionCall parts.',
      status: 'INVALID_ARGUMENT',
    };
    assert.deepEqual(chatErrorToMessages([{ error: google }]), {
      type: 'error',
      error: { type: 'invalid_request_error', message: google.message, code: 'INVALID_ARGUMENT' },
    });
    const limited = { ...google, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' };
    assert.equal(
      (chatErrorToMessages([{ error: limited }]).error as { type: string }).type,
      'rate_limit_error',
    );
  });
});
