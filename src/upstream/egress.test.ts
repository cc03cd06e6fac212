import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bypassesProxy, chooseEgress } from './egress.ts';

const egress = (over: Partial<Parameters<typeof chooseEgress>[1]> = {}) => ({
  httpProxy: undefined,
  httpsProxy: undefined,
  allProxy: undefined,
  noProxy: '',
  ...over,
});

describe('chooseEgress', () => {
  it('goes direct without proxy variables', () => {
    assert.deepEqual(chooseEgress(new URL('https://api.openai.com/v1'), egress()), {
      kind: 'direct',
    });
  });

  it('uses HTTPS_PROXY for https targets and HTTP_PROXY for http targets', () => {
    const e = egress({ httpProxy: 'http://p1:3128', httpsProxy: 'http://p2:3128' });
    assert.deepEqual(chooseEgress(new URL('https://api.openai.com'), e), {
      kind: 'http',
      proxy: 'http://p2:3128',
    });
    assert.deepEqual(chooseEgress(new URL('http://vllm.lan:8000'), e), {
      kind: 'http',
      proxy: 'http://p1:3128',
    });
  });

  it('falls back to ALL_PROXY, and reads socks5h as socks5 (undici resolves names at the proxy)', () => {
    const e = egress({ allProxy: 'socks5h://127.0.0.1:1080' });
    assert.deepEqual(chooseEgress(new URL('https://api.openai.com'), e), {
      kind: 'socks5',
      proxy: 'socks5://127.0.0.1:1080',
    });
  });

  it('goes direct for hosts in NO_PROXY', () => {
    const e = egress({ httpsProxy: 'http://p:3128', noProxy: 'openai.com' });
    assert.deepEqual(chooseEgress(new URL('https://api.openai.com'), e), { kind: 'direct' });
  });
});

describe('bypassesProxy', () => {
  const cases: [string, string, boolean][] = [
    ['https://api.openai.com', '*', true],
    ['https://api.openai.com', 'openai.com', true],
    ['https://api.openai.com', '.openai.com', true],
    ['https://openai.com', '.openai.com', true],
    ['https://notopenai.com', 'openai.com', false],
    ['https://api.openai.com', 'api.openai.com:443', true],
    ['https://api.openai.com', 'api.openai.com:8443', false],
    ['http://10.1.2.3:8000', '10.0.0.0/8', true],
    ['http://11.1.2.3:8000', '10.0.0.0/8', false],
    ['http://127.0.0.1:8000', 'localhost, 127.0.0.1', true],
    ['http://[::1]:8000', '::1', true],
    ['http://[fd00::5]:8000', 'fd00::/8', true],
    ['http://[fe80::5]:8000', 'fd00::/8', false],
    ['https://API.OpenAI.com', 'openai.COM', true],
    ['https://api.openai.com', '', false],
  ];
  for (const [url, noProxy, expected] of cases) {
    it(`${url} with NO_PROXY="${noProxy}" → ${expected ? 'direct' : 'proxy'}`, () => {
      assert.equal(bypassesProxy(new URL(url), noProxy), expected);
    });
  }
});
