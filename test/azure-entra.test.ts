/**
 * Azure OpenAI without an API key: Microsoft Entra ID tokens from the identity the environment
 * gives — a service principal's secret, AKS workload identity's federated token, managed
 * identity (the instance metadata service, App Service's endpoint) — as a bearer token. A fake
 * Entra and a fake metadata service hand out tokens; the fake Azure accepts only those.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '00000000-0000-0000-0000-00000000c1e7';
const SECRET = 'entra-client-secret-EXAMPLE';
const FEDERATED = 'eyJhbGciOiJSUzI1NiJ9.aks-federated.EXAMPLE';
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-access.EXAMPLE';
const SECRETS = [SECRET, FEDERATED, TOKEN];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-entra-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Entra's token endpoint: client credentials with the secret or the federated token. */
async function fakeEntra(expiresIn = 3599): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    const form = new URLSearchParams(call.body.toString('utf8'));
    const proof =
      form.get('client_secret') === SECRET ||
      (form.get('client_assertion') === FEDERATED &&
        form.get('client_assertion_type') ===
          'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    if (
      call.path !== `/${TENANT}/oauth2/v2.0/token` ||
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_id') !== CLIENT ||
      form.get('scope') !== 'https://cognitiveservices.azure.com/.default' ||
      !proof
    ) {
      json(call.res, 401, {
        error: 'invalid_client',
        error_description: 'AADSTS7000215: Invalid client secret provided.',
      });
      return;
    }
    json(call.res, 200, { token_type: 'Bearer', expires_in: expiresIn, access_token: TOKEN });
  });
}

/** The instance metadata service's managed identity token, `Metadata: true` only. */
async function fakeImds(): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    const url = new URL(call.path, 'http://x');
    if (
      url.pathname !== '/metadata/identity/oauth2/token' ||
      call.headers.metadata !== 'true' ||
      url.searchParams.get('resource') !== 'https://cognitiveservices.azure.com'
    ) {
      json(call.res, 400, {
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
      return;
    }
    // As IMDS writes them: numbers in strings, expiry as epoch seconds.
    json(call.res, 200, {
      access_token: TOKEN,
      expires_in: '86399',
      expires_on: String(Math.floor(Date.now() / 1000) + 86_399),
      resource: 'https://cognitiveservices.azure.com',
      token_type: 'Bearer',
    });
  });
}

/** Azure OpenAI, answering only Entra's token. */
async function fakeAzure(): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    if (call.headers.authorization !== `Bearer ${TOKEN}` || call.headers['api-key'] !== undefined) {
      json(call.res, 401, {
        error: { code: 'PermissionDenied', message: 'Principal does not have access.' },
      });
      return;
    }
    json(call.res, 200, {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 0,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
    });
  });
}

async function sluiceFor(azure: FakeUpstream, env: Record<string, string>): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const upstream = {
    name: 'azure',
    family: 'azure',
    baseUrl: azure.origin,
    apiVersion: '2024-10-21',
    deployments: { 'gpt-4o': 'prod-4o' },
  };
  await writeFile(file, JSON.stringify({ upstreams: [upstream] }));
  return startTestSluice({ SLUICE_CONFIG: file, ...env });
}

async function twoChats(sluice: TestSluice): Promise<void> {
  const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
  for (let i = 0; i < 2; i++) {
    const answer = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'Hi');
  }
}

/** One chat request as a client sends it, answered however it is. */
function postChat(sluice: TestSluice): Promise<Response> {
  return fetch(`${sluice.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

function assertNoSecret(sluice: TestSluice): void {
  const logs = JSON.stringify(sluice.logs);
  for (const secret of SECRETS) assert.ok(!logs.includes(secret), 'no secret in the log');
}

describe('Azure OpenAI with Microsoft Entra ID', () => {
  it('a service principal’s secret: one token for two requests, as a bearer token', async () => {
    const entra = await fakeEntra();
    const azure = await fakeAzure();
    const sluice = await sluiceFor(azure, {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: SECRET,
      AZURE_AUTHORITY_HOST: entra.origin,
    });
    try {
      await twoChats(sluice);
      assert.equal(entra.calls.length, 1);
      assert.match(JSON.stringify(sluice.logs), /"entra":"Entra ID service principal/);
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
      await Promise.all([entra.stop(), azure.stop()]);
    }
  });

  it('AKS workload identity: the federated token file as the client assertion; renewed near expiry', async () => {
    const entra = await fakeEntra(120); // two minutes: inside the five-minute margin
    const azure = await fakeAzure();
    const tokenFile = join(dir, 'azure-identity-token');
    await writeFile(tokenFile, FEDERATED);
    const sluice = await sluiceFor(azure, {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: entra.origin,
    });
    try {
      await twoChats(sluice);
      assert.equal(entra.calls.length, 2, 'a token about to expire is fetched again');
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
      await Promise.all([entra.stop(), azure.stop()]);
    }
  });

  it('managed identity through the instance metadata service', async () => {
    const imds = await fakeImds();
    const azure = await fakeAzure();
    const sluice = await sluiceFor(azure, { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin });
    try {
      await twoChats(sluice);
      assert.equal(imds.calls.length, 1);
      assert.match(imds.calls[0]?.path ?? '', /api-version=2018-02-01/);
    } finally {
      await sluice.stop();
      await Promise.all([imds.stop(), azure.stop()]);
    }
  });

  it('a secret Entra refuses: 502 upstream_auth_failed, its words in the log only, Azure not asked', async () => {
    const entra = await fakeEntra();
    const azure = await fakeAzure();
    const sluice = await sluiceFor(azure, {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: 'wrong',
      AZURE_AUTHORITY_HOST: entra.origin,
    });
    try {
      const response = await postChat(sluice);
      assert.equal(response.status, 502);
      const text = await response.text();
      assert.match(text, /upstream_auth_failed/);
      assert.doesNotMatch(text, /AADSTS/);
      assert.match(JSON.stringify(sluice.logs), /AADSTS7000215/);
      assert.equal(azure.calls.length, 0);
    } finally {
      await sluice.stop();
      await Promise.all([entra.stop(), azure.stop()]);
    }
  });

  it('a token that would break the request’s headers is refused, not sent: 502', async () => {
    // A hostile or broken token endpoint answering a "token" with a line break in it.
    const evil = await startFakeUpstream((call) => {
      json(call.res, 200, { access_token: `${TOKEN}\r\nx-injected: 1`, expires_in: 3599 });
    });
    const azure = await fakeAzure();
    const sluice = await sluiceFor(azure, {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: SECRET,
      AZURE_AUTHORITY_HOST: evil.origin,
    });
    try {
      const response = await postChat(sluice);
      assert.equal(response.status, 502);
      assert.equal(azure.calls.length, 0);
      // The next request is answered too: nothing was left broken.
      const again = await postChat(sluice);
      assert.equal(again.status, 502);
    } finally {
      await sluice.stop();
      await Promise.all([evil.stop(), azure.stop()]);
    }
  });

  it('a tenant id that is not one is refused with the config, never put in a URL', async () => {
    const azure = await fakeAzure();
    await assert.rejects(
      sluiceFor(azure, {
        AZURE_TENANT_ID: '../../evil?x=',
        AZURE_CLIENT_ID: CLIENT,
        AZURE_CLIENT_SECRET: SECRET,
      }),
      /AZURE_TENANT_ID is not a tenant id or domain/,
    );
    await azure.stop();
  });
});
