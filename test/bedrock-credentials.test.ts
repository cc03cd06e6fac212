/**
 * Bedrock's AWS credentials from where AWS's own SDKs find them on AWS: a container's endpoint
 * (ECS tasks, EKS Pod Identity), the EC2 instance's role (IMDSv2), a web identity token
 * exchanged at STS (EKS roles for service accounts), a profile in the shared credentials file.
 * Fakes of each endpoint hand out temporary keys; the fake Bedrock accepts only requests signed
 * with them and carrying their session token.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type AcceptedKeys, fakeBedrock, MODEL, REGION, reply } from './support/fake-bedrock.ts';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

/** Temporary keys, as the endpoints hand them out. */
const ROLE_KEYS = {
  accessKeyId: 'ASIAROLEEXAMPLE',
  secretAccessKey: 'role/secret+EXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//session==',
} satisfies AcceptedKeys;
const IMDS_SESSION = 'imds-session-token-EXAMPLE';
const CONTAINER_TOKEN = 'container-authorization-EXAMPLE';
const IDENTITY_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.web-identity.EXAMPLE';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/sluice-bedrock';
const SECRETS = [
  ROLE_KEYS.secretAccessKey,
  ROLE_KEYS.sessionToken,
  IMDS_SESSION,
  CONTAINER_TOKEN,
  IDENTITY_TOKEN,
];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-bedrock-credentials-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const message = {
  model: MODEL,
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

/** `Expiration` as the endpoints write it, `minutes` from now. */
function expiresIn(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function credentialsJson(minutes = 60) {
  return {
    AccessKeyId: ROLE_KEYS.accessKeyId,
    SecretAccessKey: ROLE_KEYS.secretAccessKey,
    Token: ROLE_KEYS.sessionToken,
    Expiration: expiresIn(minutes),
  };
}

/** EC2's instance metadata service, IMDSv2 only: no session token, no answer. */
async function fakeImds(role: string | null = 'sluice-role'): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    if (call.method === 'PUT' && call.path === '/latest/api/token') {
      if (call.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined)
        call.res.writeHead(400).end();
      else call.res.end(IMDS_SESSION);
      return;
    }
    if (call.headers['x-aws-ec2-metadata-token'] !== IMDS_SESSION) {
      call.res.writeHead(401).end();
      return;
    }
    const base = '/latest/meta-data/iam/security-credentials/';
    if (role !== null && call.path === base) call.res.end(`${role}\n`);
    else if (role !== null && call.path === base + role)
      reply(call.res, 200, { Code: 'Success', Type: 'AWS-HMAC', ...credentialsJson() });
    else call.res.writeHead(404).end('Not Found');
  });
}

/** A container credentials endpoint that answers only its token; `minutes` of life per answer. */
async function fakeContainer(minutes = 60): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    if (call.headers.authorization !== CONTAINER_TOKEN) reply(call.res, 401, { message: 'no' });
    else reply(call.res, 200, { RoleArn: ROLE_ARN, ...credentialsJson(minutes) });
  });
}

/** STS's AssumeRoleWithWebIdentity, in its XML. */
async function fakeSts(): Promise<FakeUpstream> {
  return startFakeUpstream((call) => {
    const form = new URLSearchParams(call.body.toString('utf8'));
    if (
      form.get('Action') !== 'AssumeRoleWithWebIdentity' ||
      form.get('RoleArn') !== ROLE_ARN ||
      form.get('WebIdentityToken') !== IDENTITY_TOKEN
    ) {
      call.res.writeHead(403, { 'content-type': 'text/xml' });
      call.res.end(
        '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>',
      );
      return;
    }
    const keys = credentialsJson();
    call.res.writeHead(200, { 'content-type': 'text/xml' });
    call.res.end(
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${keys.AccessKeyId}</AccessKeyId><SecretAccessKey>${keys.SecretAccessKey}</SecretAccessKey><SessionToken>${keys.Token}</SessionToken><Expiration>${keys.Expiration}</Expiration></Credentials><AssumedRoleUser><Arn>${ROLE_ARN}/s</Arn></AssumedRoleUser></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
    );
  });
}

async function sluiceFor(
  bedrock: FakeUpstream,
  env: Record<string, string>,
  more: Record<string, unknown> = {},
): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const upstream = {
    name: 'bedrock',
    family: 'anthropic',
    baseUrl: bedrock.origin,
    aws: { region: REGION },
    models: [MODEL],
    ...more,
  };
  await writeFile(file, JSON.stringify({ upstreams: [upstream] }));
  return startTestSluice({ SLUICE_CONFIG: file, ...env });
}

/** Two messages through Sluice, one streamed; both must reach Bedrock signed with the role's keys. */
async function twoMessages(sluice: TestSluice): Promise<void> {
  const claude = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  const streamed = await claude.messages.stream(message).finalMessage();
  assert.equal(streamed.stop_reason, 'end_turn');
  const whole = await claude.messages.create(message);
  assert.equal(whole.content[0]?.type === 'text' ? whole.content[0].text : '', 'Hello!');
}

function assertNoSecret(sluice: TestSluice): void {
  const logs = JSON.stringify(sluice.logs);
  for (const secret of SECRETS) assert.ok(!logs.includes(secret), 'no secret in the log');
}

/** The 502 a client gets when Sluice has no keys to sign with. */
async function refused(sluice: TestSluice, code: string): Promise<void> {
  const response = await fetch(`${sluice.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(message),
  });
  assert.equal(response.status, 502);
  const body = (await response.json()) as { error: { type: string; message: string } };
  assert.match(JSON.stringify(body), new RegExp(code));
}

describe('Bedrock credentials from the environment AWS gives', () => {
  it('EC2 instance role (IMDSv2): a session, the role, its keys — fetched once for two requests', async () => {
    const imds = await fakeImds();
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const sluice = await sluiceFor(bedrock, {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.origin,
    });
    try {
      await twoMessages(sluice);
      assert.deepEqual(
        imds.calls.map((c) => `${c.method} ${c.path}`),
        [
          'PUT /latest/api/token',
          'GET /latest/meta-data/iam/security-credentials/',
          'GET /latest/meta-data/iam/security-credentials/sluice-role',
        ],
      );
      assert.equal(bedrock.calls.at(-1)?.headers['x-amz-security-token'], ROLE_KEYS.sessionToken);
      assert.match(JSON.stringify(sluice.logs), /"aws":"EC2 instance role/);
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
      await Promise.all([imds.stop(), bedrock.stop()]);
    }
  });

  it('an instance without a role: 502 upstream_auth_failed, nothing sent to Bedrock', async () => {
    const imds = await fakeImds(null);
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const sluice = await sluiceFor(bedrock, { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.origin });
    try {
      await refused(sluice, 'upstream_auth_failed');
      assert.equal(bedrock.calls.length, 0);
      assert.match(JSON.stringify(sluice.logs), /EC2 instance metadata service/);
    } finally {
      await sluice.stop();
      await Promise.all([imds.stop(), bedrock.stop()]);
    }
  });

  it('container endpoint (ECS, EKS Pod Identity): its token from a file; keys renewed near expiry', async () => {
    // Keys that expire in 4 minutes are inside the 5-minute margin: every request fetches anew.
    const container = await fakeContainer(4);
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const tokenFile = join(dir, 'pod-identity-token');
    await writeFile(tokenFile, `${CONTAINER_TOKEN}\n`);
    const sluice = await sluiceFor(bedrock, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.origin}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    });
    try {
      await twoMessages(sluice);
      assert.equal(container.calls.length, 2, 'fetched again: the keys were about to expire');
      assert.equal(container.calls[0]?.path, '/v1/credentials');
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
      await Promise.all([container.stop(), bedrock.stop()]);
    }
  });

  it('container keys valid for an hour are fetched once', async () => {
    const container = await fakeContainer(60);
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const sluice = await sluiceFor(bedrock, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.origin}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: CONTAINER_TOKEN,
    });
    try {
      await twoMessages(sluice);
      assert.equal(container.calls.length, 1);
    } finally {
      await sluice.stop();
      await Promise.all([container.stop(), bedrock.stop()]);
    }
  });

  it('a container endpoint that cannot be reached: 502 upstream_unreachable', async () => {
    const gone = await fakeContainer();
    const origin = gone.origin;
    await gone.stop();
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const sluice = await sluiceFor(bedrock, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${origin}/v1/credentials`,
    });
    try {
      await refused(sluice, 'upstream_unreachable');
      assert.equal(bedrock.calls.length, 0);
    } finally {
      await sluice.stop();
      await bedrock.stop();
    }
  });

  it('a container endpoint that answers megabytes is not read whole: 502 upstream_unreachable', async () => {
    const flood = await startFakeUpstream((call) => {
      call.res.writeHead(200, { 'content-type': 'application/json' });
      call.res.end(`{"AccessKeyId":"${'A'.repeat(1024 * 1024)}"}`);
    });
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const sluice = await sluiceFor(bedrock, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${flood.origin}/v1/credentials`,
    });
    try {
      await refused(sluice, 'upstream_unreachable');
      assert.equal(bedrock.calls.length, 0);
    } finally {
      await sluice.stop();
      await Promise.all([flood.stop(), bedrock.stop()]);
    }
  });

  it('web identity (EKS roles for service accounts): the token file exchanged at STS', async () => {
    const sts = await fakeSts();
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const tokenFile = join(dir, 'eks-token');
    await writeFile(tokenFile, IDENTITY_TOKEN);
    const env = {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: ROLE_ARN,
      AWS_ROLE_SESSION_NAME: 'sluice-test',
      AWS_ENDPOINT_URL_STS: sts.origin,
    };
    const sluice = await sluiceFor(bedrock, env);
    try {
      await twoMessages(sluice);
      assert.equal(sts.calls.length, 1);
      assert.equal(
        new URLSearchParams(sts.calls[0]?.body.toString()).get('RoleSessionName'),
        'sluice-test',
      );
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
    }
    // A role STS refuses: the refusal's words in the log, 502 upstream_auth_failed to the client.
    const refusing = await sluiceFor(bedrock, { ...env, AWS_ROLE_ARN: `${ROLE_ARN}-other` });
    try {
      await refused(refusing, 'upstream_auth_failed');
      assert.match(
        JSON.stringify(refusing.logs),
        /Not authorized to perform sts:AssumeRoleWithWebIdentity/,
      );
    } finally {
      await refusing.stop();
      await Promise.all([sts.stop(), bedrock.stop()]);
    }
  });

  it('Bedrock API keys: AWS_BEARER_TOKEN_BEDROCK, or the entry’s own, sent as a bearer token, unsigned', async () => {
    const bedrock = await fakeBedrock({ bearer: 'bedrock-api-key-EXAMPLE' });
    // The variable wins over keys to sign with, as in AWS's SDKs.
    const fromEnv = await sluiceFor(bedrock, {
      AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-EXAMPLE',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'unused',
    });
    try {
      await twoMessages(fromEnv);
      assert.equal(bedrock.calls.at(-1)?.headers['content-type'], 'application/json');
      assert.match(JSON.stringify(fromEnv.logs), /"aws":"Bedrock API keys"/);
      assert.doesNotMatch(JSON.stringify(fromEnv.logs), /bedrock-api-key-EXAMPLE/);
    } finally {
      await fromEnv.stop();
    }
    const fromEntry = await sluiceFor(
      bedrock,
      { AWS_BEARER_TOKEN_BEDROCK: 'another-key', MY_BEDROCK_KEY: 'bedrock-api-key-EXAMPLE' },
      { apiKeyEnv: 'MY_BEDROCK_KEY' },
    );
    try {
      await twoMessages(fromEntry);
    } finally {
      await fromEntry.stop();
      await bedrock.stop();
    }
  });

  it('a profile in the shared credentials file: its keys', async () => {
    const bedrock = await fakeBedrock(ROLE_KEYS);
    const file = join(dir, 'credentials');
    await writeFile(
      file,
      `[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n[work]\naws_access_key_id = ${ROLE_KEYS.accessKeyId}\naws_secret_access_key = ${ROLE_KEYS.secretAccessKey}\naws_session_token = ${ROLE_KEYS.sessionToken}\n`,
    );
    const sluice = await sluiceFor(bedrock, {
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_PROFILE: 'work',
    });
    try {
      await twoMessages(sluice);
      assertNoSecret(sluice);
    } finally {
      await sluice.stop();
      await bedrock.stop();
    }
  });
});
