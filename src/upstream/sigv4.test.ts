import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signV4 } from './sigv4.ts';

/** The credentials and instant of AWS's SigV4 test suite. */
const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const AT = new Date('2015-08-30T12:36:00Z');

const sign = (method: string, url: string) =>
  signV4(
    { method, url: new URL(url), headers: {}, body: undefined },
    SUITE,
    'us-east-1',
    'service',
    AT,
  );

describe('signV4', () => {
  it('signs as the test suite does: get-vanilla, post-vanilla, get-vanilla-query-order-key-case', () => {
    const vanilla = sign('GET', 'https://example.amazonaws.com/');
    assert.equal(vanilla['x-amz-date'], '20150830T123600Z');
    assert.equal(
      vanilla.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    assert.match(
      sign('POST', 'https://example.amazonaws.com/').authorization ?? '',
      /Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b$/,
    );
    assert.match(
      sign('GET', 'https://example.amazonaws.com/?Param2=value2&Param1=value1').authorization ?? '',
      /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  it('signs a session token, and a body by its hash', () => {
    const request = (body: string) => ({
      method: 'POST',
      url: new URL('https://bedrock-runtime.us-east-1.amazonaws.com/model/a%3A0/invoke'),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
    });
    const temporary = { ...SUITE, sessionToken: 'session-token' };
    const signed = signV4(request('{}'), temporary, 'us-east-1', 'bedrock', AT);
    assert.equal(signed['x-amz-security-token'], 'session-token');
    assert.match(
      signed.authorization ?? '',
      /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,/,
    );
    const other = signV4(request('{"a":1}'), temporary, 'us-east-1', 'bedrock', AT);
    assert.notEqual(signed.authorization, other.authorization);
  });
});
