/**
 * Gemini on Vertex AI through its OpenAI-compatible endpoint, authenticated by a service account
 * (`"googleCredentials"`): Sluice mints OAuth tokens as Google's client libraries do — a JWT
 * signed with the account's key, exchanged at its `token_uri` — and keeps each until five
 * minutes before it expires. A fake token server checks the JWT with the account's public key;
 * a fake Vertex endpoint takes only the token it issued and streams a recorded chat stream.
 * Each test has its own account, so no token carries over between them.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/index.ts';
import { ConfigError } from '../src/errors/index.ts';
import { chatStream, claudeMessage, messagesText, namedStream } from './support/chat-fixtures.ts';
import type { ServerResponse } from 'node:http';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const MODEL = 'google/gemini-2.5-flash';
const VERTEX_PATH = '/v1/projects/my-project/locations/us-central1/endpoints/openapi';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-vertex-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const newKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

interface Account {
  readonly file: string;
  readonly email: string;
}

/** A new service account key file whose token_uri is `tokenUri`. */
async function account(
  tokenUri: string,
  extra: Record<string, unknown> = {},
  { privateKey } = newKeys(),
): Promise<Account> {
  const email = `sluice-${Math.random().toString(36).slice(2, 8)}@my-project.iam.gserviceaccount.com`;
  const file = join(dir, `${email}.json`);
  await writeFile(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: 'my-project',
      private_key_id: 'abc123',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: email,
      token_uri: tokenUri,
      ...extra,
    }),
  );
  return { file, email };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

interface TokenServer {
  readonly server: FakeUpstream;
  readonly url: string;
  /** The JWT assertions it was sent, decoded, with whether the signature held. */
  readonly assertions: { header: unknown; claims: Record<string, unknown>; signed: boolean }[];
  /** The tokens it issued, in order. */
  readonly issued: string[];
}

/** A token endpoint that issues a token per valid assertion, living `expiresIn` seconds. */
async function tokenServer(publicKey: KeyObject, expiresIn = 3_599): Promise<TokenServer> {
  const assertions: TokenServer['assertions'] = [];
  const issued: string[] = [];
  const server = await startFakeUpstream(({ body, res }) => {
    const form = new URLSearchParams(body.toString('utf8'));
    const [header = '', claims = '', signature = ''] = (form.get('assertion') ?? '').split('.');
    const decode = (part: string) =>
      JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const signed = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      publicKey,
      Buffer.from(signature, 'base64url'),
    );
    assertions.push({ header: decode(header), claims: decode(claims), signed });
    if (!signed || form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      reply(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      return;
    }
    const token = `ya29.secret-token-${issued.length + 1}`;
    issued.push(token);
    reply(res, 200, { access_token: token, expires_in: expiresIn, token_type: 'Bearer' });
  });
  return { server, url: `${server.origin}/token`, assertions, issued };
}

/** Vertex's OpenAI-compatible endpoint: the last token issued, or 401. */
async function vertex(tokens: TokenServer): Promise<FakeUpstream> {
  const stream = chatStream('openai-chat/openai-text.chunks.txt');
  return startFakeUpstream(async (call) => {
    if (call.headers.authorization !== `Bearer ${tokens.issued.at(-1) ?? 'none'}`) {
      reply(call.res, 401, {
        error: { code: 401, message: 'Request had invalid credentials.' },
      });
      return;
    }
    await stream(call);
  });
}

async function sluiceWith(upstream: Record<string, unknown>): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ upstreams: [upstream] }));
  return startTestSluice({ SLUICE_CONFIG: file });
}

const ask = (sluice: TestSluice) =>
  new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 }).chat.completions.create(
    { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true },
  );

async function text(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? '';
  return out;
}

/** Everything logged, as one string: what must not be in it is searched there. */
const logged = (sluice: TestSluice) => JSON.stringify(sluice.logs);

describe('Vertex AI with a service account', () => {
  it('streams with a minted token: one for many requests, the JWT the account signed', async () => {
    const keys = newKeys();
    const tokens = await tokenServer(keys.publicKey);
    const acct = await account(tokens.url, {}, keys);
    const upstream = await vertex(tokens);
    const sluice = await sluiceWith({
      name: 'vertex',
      baseUrl: `${upstream.origin}${VERTEX_PATH}`,
      googleCredentials: acct.file,
      models: ['google/*'],
    });
    try {
      const first = await text(await ask(sluice));
      const second = await text(await ask(sluice));
      assert.ok(first.length > 0 && first === second, first);
      assert.equal(tokens.issued.length, 1, 'one token for both requests');
      assert.equal(upstream.calls.length, 2);
      assert.equal(upstream.calls[0]?.path, `${VERTEX_PATH}/chat/completions`);
      const [{ header, claims, signed }] = tokens.assertions as [TokenServer['assertions'][0]];
      assert.ok(signed, 'signed with the account key');
      assert.deepEqual(header, { alg: 'RS256', typ: 'JWT' });
      assert.equal(claims.iss, acct.email);
      assert.equal(claims.aud, tokens.url);
      assert.equal(claims.scope, 'https://www.googleapis.com/auth/cloud-platform');
      assert.equal(Number(claims.exp) - Number(claims.iat), 3_600);
      // Priced as the bare Gemini name; the token and key never logged.
      await sluice.running.settled();
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.ok(record !== undefined && record.cost !== null && record.cost > 0, 'priced');
      assert.doesNotMatch(logged(sluice), /ya29\.|PRIVATE KEY/);
    } finally {
      await sluice.stop();
      await upstream.stop();
      await tokens.server.stop();
    }
  });

  it('a token within five minutes of its expiry is minted anew', async () => {
    const keys = newKeys();
    const tokens = await tokenServer(keys.publicKey, 240);
    const acct = await account(tokens.url, {}, keys);
    const upstream = await vertex(tokens);
    const sluice = await sluiceWith({
      name: 'vertex-short',
      baseUrl: `${upstream.origin}${VERTEX_PATH}`,
      googleCredentials: acct.file,
    });
    try {
      await text(await ask(sluice));
      await text(await ask(sluice));
      assert.equal(tokens.issued.length, 2);
      assert.equal(upstream.calls.at(-1)?.headers.authorization, 'Bearer ya29.secret-token-2');
    } finally {
      await sluice.stop();
      await upstream.stop();
      await tokens.server.stop();
    }
  });

  it('an account the token endpoint refuses: 502 upstream_auth_failed, the reason in the log only', async () => {
    // The endpoint checks against another key: the assertion's signature fails.
    const tokens = await tokenServer(newKeys().publicKey);
    const acct = await account(tokens.url);
    const upstream = await vertex(tokens);
    const sluice = await sluiceWith({
      name: 'vertex-refused',
      baseUrl: `${upstream.origin}${VERTEX_PATH}`,
      googleCredentials: acct.file,
    });
    try {
      await assert.rejects(ask(sluice), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.equal(error.status, 502);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.doesNotMatch(error.message, /Invalid JWT|iam\.gserviceaccount/);
        return true;
      });
      assert.equal(upstream.calls.length, 0, 'nothing sent without a token');
      assert.match(logged(sluice), /Invalid JWT Signature\./);
      assert.match(logged(sluice), new RegExp(acct.email.replace('.', '\\.')));
      assert.doesNotMatch(logged(sluice), /PRIVATE KEY/);
    } finally {
      await sluice.stop();
      await upstream.stop();
      await tokens.server.stop();
    }
  });

  it('a token endpoint that cannot be reached: 502 upstream_unreachable', async () => {
    const closed = await startFakeUpstream(() => undefined);
    const url = `${closed.origin}/token`;
    await closed.stop();
    const acct = await account(url);
    const sluice = await sluiceWith({
      name: 'vertex-down',
      baseUrl: `https://us-central1-aiplatform.googleapis.com${VERTEX_PATH}`,
      googleCredentials: acct.file,
    });
    try {
      await assert.rejects(ask(sluice), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.equal(error.status, 502);
        assert.equal(error.code, 'upstream_unreachable');
        return true;
      });
    } finally {
      await sluice.stop();
    }
  });
});

describe('Claude on Vertex AI with a service account', () => {
  const CLAUDE = 'claude-sonnet-4-5@20250929';
  const FIXTURE = 'anthropic-messages/anthropic-text.chunks.txt';
  const CLAUDE_PATH = '/v1/projects/my-project/locations/us-east5/publishers/anthropic/models';

  /** Claude's routes on Vertex, as `AnthropicVertex` is answered; the last token issued only. */
  async function vertexClaude(tokens: TokenServer): Promise<FakeUpstream> {
    const stream = namedStream(FIXTURE);
    return startFakeUpstream(async (call) => {
      if (call.headers.authorization !== `Bearer ${tokens.issued.at(-1) ?? 'none'}`) {
        reply(call.res, 401, { error: { code: 401, message: 'Request had invalid credentials.' } });
      } else if (call.path === `${CLAUDE_PATH}/${encodeURIComponent(CLAUDE)}:streamRawPredict`) {
        await stream(call);
      } else if (call.path === `${CLAUDE_PATH}/${encodeURIComponent(CLAUDE)}:rawPredict`) {
        reply(call.res, 200, claudeMessage('Hello!', { input_tokens: 12, output_tokens: 3 }));
      } else if (call.path === `${CLAUDE_PATH}/count-tokens:rawPredict`) {
        reply(call.res, 200, { input_tokens: 12 });
      } else {
        reply(call.res, 404, { error: { code: 404, message: `no route ${call.path}` } });
      }
    });
  }

  it('messages streamed and whole, and a token count, at Vertex’s routes with the body it takes', async () => {
    const keys = newKeys();
    const tokens = await tokenServer(keys.publicKey);
    const acct = await account(tokens.url, {}, keys);
    const upstream = await vertexClaude(tokens);
    const sluice = await sluiceWith({
      name: 'vertex-claude',
      family: 'anthropic',
      baseUrl: `${upstream.origin}${CLAUDE_PATH}`,
      googleCredentials: acct.file,
      models: [CLAUDE],
    });
    const claude = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const message = {
      model: CLAUDE,
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    try {
      const streamed = await claude.messages.stream(message).finalMessage();
      const block = streamed.content[0];
      assert.equal(block?.type === 'text' ? block.text : '', messagesText(FIXTURE));
      const sent = upstream.calls.at(-1)?.json;
      assert.equal(sent?.['model'], undefined, 'the model goes in the path');
      assert.equal(sent?.['anthropic_version'], 'vertex-2023-10-16');
      assert.equal(sent['stream'], true);

      const whole = await claude.messages.create(message);
      assert.equal(whole.content[0]?.type === 'text' ? whole.content[0].text : '', 'Hello!');
      assert.match(upstream.calls.at(-1)?.path ?? '', /:rawPredict$/);

      const counted = await claude.messages.countTokens({
        model: CLAUDE,
        messages: message.messages,
      });
      assert.equal(counted.input_tokens, 12);
      assert.equal(upstream.calls.at(-1)?.json?.['model'], CLAUDE, 'a count names its model');

      // An OpenAI client's chat, translated, goes the same way.
      const chat = await new OpenAI({
        baseURL: sluice.baseURL,
        apiKey: ADMIN_KEY,
        maxRetries: 0,
      }).chat.completions.create({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      assert.equal(await text(chat), messagesText(FIXTURE));
      assert.match(upstream.calls.at(-1)?.path ?? '', /:streamRawPredict$/);
      assert.equal(upstream.calls.at(-1)?.json?.['model'], undefined);

      // Listed by the names configured (Vertex lists none); one token for everything.
      const listed = await claude.models.list();
      assert.deepEqual(
        listed.data.map((m) => m.id),
        [CLAUDE],
      );
      assert.equal(tokens.issued.length, 1);
      // Priced as claude-sonnet-4-5 from the stream's own usage.
      await sluice.running.settled();
      const records = await sluice.running.store.listUsage({ limit: 10 });
      const stream = records.find(
        (r) => r.endpoint === '/v1/messages' && r.usageSource === 'upstream',
      );
      assert.ok(stream?.cost !== null && (stream?.cost ?? 0) > 0, JSON.stringify(stream));
    } finally {
      await sluice.stop();
      await upstream.stop();
      await tokens.server.stop();
    }
  });
});

describe('googleCredentials in the config file', () => {
  const problems = async (upstream: Record<string, unknown>): Promise<string> => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(
      file,
      JSON.stringify({ upstreams: [{ baseUrl: 'https://x.example/v1', ...upstream }] }),
    );
    try {
      loadConfig({ env: { SLUICE_CONFIG: file } });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

  it('names the file and what is wrong, never the key', async () => {
    const missing = join(dir, 'missing.json');
    assert.match(
      await problems({ googleCredentials: missing }),
      /cannot read the Google credentials .*missing\.json: ENOENT/,
    );
    const notJson = join(dir, 'not-json.json');
    await writeFile(notJson, 'hello');
    assert.match(await problems({ googleCredentials: notJson }), /it is not JSON/);
    const other = await account('https://oauth2.googleapis.com/token', { type: 'impersonated' });
    assert.match(
      await problems({ googleCredentials: other.file }),
      /"type" is not "service_account"/,
    );
    const user = await account('https://oauth2.googleapis.com/token', { type: 'authorized_user' });
    const userSaid = await problems({ googleCredentials: user.file });
    assert.match(
      userSaid,
      /a user's credentials without "client_id", "client_secret" and "refresh_token"/,
    );
    const federation = await account('https://sts.googleapis.com/v1/token', {
      type: 'external_account',
    });
    assert.match(
      await problems({ googleCredentials: federation.file }),
      /a workload identity federation file, which Sluice does not read/,
    );
    const broken = await account('https://oauth2.googleapis.com/token', {
      private_key: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
    });
    const said = await problems({ googleCredentials: broken.file });
    assert.match(said, /"private_key" is not a PEM private key/);
    assert.doesNotMatch(said, /not a key/);
    const plain = await account('http://tokens.example/token');
    assert.match(
      await problems({ googleCredentials: plain.file }),
      /"token_uri" is not an https URL/,
    );
  });

  it('takes no API keys beside it, and is for Vertex, not Azure', async () => {
    const acct = await account('https://oauth2.googleapis.com/token');
    assert.match(
      await problems({ googleCredentials: acct.file, apiKey: 'k' }),
      /takes no "apiKey"/,
    );
    assert.match(
      await problems({ googleCredentials: acct.file, family: 'azure', apiVersion: '2024-10-21' }),
      /"googleCredentials" is for Vertex AI .* not Azure/,
    );
    assert.equal(await problems({ googleCredentials: acct.file }), '');
  });
});
