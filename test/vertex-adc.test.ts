/**
 * Vertex AI with Application Default Credentials (`"googleCredentials": "default"`), as Google's
 * libraries find them: `GOOGLE_APPLICATION_CREDENTIALS` (here a user's refresh token, as
 * `gcloud auth application-default login` writes it), else gcloud's own file, else the metadata
 * server of GCE, GKE with workload identity and Cloud Run. Fakes of Google's token endpoint and
 * of the metadata server issue tokens; the fake Vertex accepts only the last one issued.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { chatChunksFor, chatStream, chatText } from './support/chat-fixtures.ts';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const MODEL = 'google/gemini-2.5-flash';
const FIXTURE = 'openai-chat/openai-text.chunks.txt';
const REFRESH = '1//0g-refresh-token-EXAMPLE';
const CLIENT_SECRET = 'd-FL95Q19q7MQmFpd7hHD0Ty';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-adc-'));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Issuer {
  readonly server: FakeUpstream;
  readonly issued: string[];
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Google's token endpoint, for a user's refresh token only. */
async function tokenEndpoint(): Promise<Issuer> {
  const issued: string[] = [];
  const server = await startFakeUpstream((call) => {
    const form = new URLSearchParams(call.body.toString('utf8'));
    if (
      form.get('grant_type') !== 'refresh_token' ||
      form.get('refresh_token') !== REFRESH ||
      form.get('client_secret') !== CLIENT_SECRET
    ) {
      json(call.res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
      return;
    }
    issued.push(`ya29.user-${issued.length + 1}`);
    json(call.res, 200, { access_token: issued.at(-1), expires_in: 3599, token_type: 'Bearer' });
  });
  return { server, issued };
}

/** The metadata server: its token for the default service account, to `Metadata-Flavor: Google` only. */
async function metadataServer(): Promise<Issuer> {
  const issued: string[] = [];
  const server = await startFakeUpstream((call) => {
    const url = new URL(call.path, 'http://x');
    if (
      call.headers['metadata-flavor'] !== 'Google' ||
      url.pathname !== '/computeMetadata/v1/instance/service-accounts/default/token'
    ) {
      call.res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    issued.push(`ya29.metadata-${issued.length + 1}`);
    json(call.res, 200, { access_token: issued.at(-1), expires_in: 3599, token_type: 'Bearer' });
  });
  return { server, issued };
}

async function vertex(issuer: Issuer): Promise<FakeUpstream> {
  const stream = chatStream(FIXTURE);
  return startFakeUpstream(async (call) => {
    if (call.headers.authorization !== `Bearer ${issuer.issued.at(-1) ?? 'none'}`) {
      json(call.res, 401, { error: { code: 401, message: 'Request had invalid credentials.' } });
      return;
    }
    await stream(call);
  });
}

async function sluiceFor(upstream: FakeUpstream, env: Record<string, string>): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({
      upstreams: [
        {
          name: 'vertex',
          baseUrl: `${upstream.origin}/v1/projects/p/locations/us-central1/endpoints/openapi`,
          googleCredentials: 'default',
          models: ['google/*'],
        },
      ],
    }),
  );
  return startTestSluice({ SLUICE_CONFIG: file, ...env });
}

async function twoAnswers(sluice: TestSluice): Promise<void> {
  const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
  for (let i = 0; i < 2; i++) {
    let text = '';
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, chatText(chatChunksFor(FIXTURE, false)));
  }
}

describe('Vertex AI with Application Default Credentials', () => {
  it('the metadata server (GCE, GKE workload identity, Cloud Run): one token for two requests', async () => {
    const metadata = await metadataServer();
    const upstream = await vertex(metadata);
    const sluice = await sluiceFor(upstream, {
      GCE_METADATA_HOST: metadata.server.origin.slice(7),
    });
    try {
      await twoAnswers(sluice);
      assert.equal(metadata.issued.length, 1);
      assert.match(
        JSON.stringify(sluice.logs),
        /"google":"the metadata server \(127\.0\.0\.1:\d+\)"/,
      );
      assert.match(
        metadata.server.calls[0]?.path ?? '',
        /scopes=https%3A%2F%2Fwww\.googleapis\.com%2Fauth%2Fcloud-platform/,
      );
      assert.doesNotMatch(JSON.stringify(sluice.logs), /ya29\./);
    } finally {
      await sluice.stop();
      await Promise.all([metadata.server.stop(), upstream.stop()]);
    }
  });

  it('a user’s credentials (GOOGLE_APPLICATION_CREDENTIALS, or gcloud’s file in HOME): the refresh token exchanged', async () => {
    const tokens = await tokenEndpoint();
    const upstream = await vertex(tokens);
    const user = {
      type: 'authorized_user',
      client_id: '764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com',
      client_secret: CLIENT_SECRET,
      refresh_token: REFRESH,
      token_uri: `${tokens.server.origin}/token`,
    };
    const named = join(dir, 'adc.json');
    await writeFile(named, JSON.stringify(user));
    const home = join(dir, 'home');
    await mkdir(join(home, '.config', 'gcloud'), { recursive: true });
    await writeFile(
      join(home, '.config', 'gcloud', 'application_default_credentials.json'),
      JSON.stringify(user),
    );
    try {
      for (const env of [{ GOOGLE_APPLICATION_CREDENTIALS: named }, { HOME: home }]) {
        const sluice = await sluiceFor(upstream, env);
        try {
          await twoAnswers(sluice);
          const logs = JSON.stringify(sluice.logs);
          assert.ok(!logs.includes(REFRESH) && !logs.includes(CLIENT_SECRET), 'no secret logged');
        } finally {
          await sluice.stop();
        }
      }
      assert.equal(tokens.issued.length, 2, 'one token for each Sluice');
    } finally {
      await Promise.all([tokens.server.stop(), upstream.stop()]);
    }
  });

  it('a refresh token Google refuses: 502 upstream_auth_failed, nothing sent to Vertex', async () => {
    const tokens = await tokenEndpoint();
    const upstream = await vertex(tokens);
    const file = join(dir, 'revoked.json');
    await writeFile(
      file,
      JSON.stringify({
        type: 'authorized_user',
        client_id: 'c',
        client_secret: CLIENT_SECRET,
        refresh_token: 'revoked',
        token_uri: `${tokens.server.origin}/token`,
      }),
    );
    const sluice = await sluiceFor(upstream, { GOOGLE_APPLICATION_CREDENTIALS: file });
    try {
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 502);
      assert.match(await response.text(), /upstream_auth_failed/);
      assert.equal(upstream.calls.length, 0);
      assert.match(JSON.stringify(sluice.logs), /invalid_grant|Bad Request/);
    } finally {
      await sluice.stop();
      await Promise.all([tokens.server.stop(), upstream.stop()]);
    }
  });
});
