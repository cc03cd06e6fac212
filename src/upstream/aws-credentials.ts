/**
 * The AWS keys a Bedrock request is signed with, from the source the config chose
 * (`config/aws-credentials.ts`): keys as given, or temporary ones fetched — from STS for a web
 * identity token, from the container credentials endpoint, from the EC2 instance metadata
 * service (IMDSv2) — kept until five minutes before they expire and fetched once however many
 * requests wait (`minted.ts`). The instance's and the container's endpoints are reached
 * directly (link-local: no proxy has a way to them); STS goes out the upstream's own way.
 * No key, secret or token is logged; an endpoint's refusal goes to the operator's log only.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { AwsCredentialSource } from '../config/index.ts';
import { UpstreamAuthFailedError, UpstreamUnreachableError } from '../errors/index.ts';
import { type Held, Minted } from './minted.ts';
import type { AwsCredentials } from './sigv4.ts';
import { askSmall, jsonObject, type SmallAsk, type CredentialWays } from './small-answer.ts';

export type HeldAwsCredentials = Held<AwsCredentials>;

/** The link-local endpoints answer at once or not at all (not on EC2, not in a task). */
const LOCAL_TIMEOUT_MS = 2_000;
const STS_TIMEOUT_MS = 30_000;
/** What an IMDSv2 session token is asked for (six hours, the SDKs' choice). */
const IMDS_TOKEN_SECONDS = '21600';
/** Temporary keys that say no expiry are fetched again after this. */
const UNDATED_MS = 15 * 60_000;

/** How to get keys now, from `source`. */
export function awsCredentials(
  source: AwsCredentialSource,
  how: CredentialWays,
  held: HeldAwsCredentials = {},
  now: () => number = Date.now,
): () => Promise<AwsCredentials> {
  if (source.kind === 'keys') {
    const keys = Promise.resolve(source);
    return () => keys;
  }
  const fetchKeys =
    source.kind === 'web-identity'
      ? () => fromSts(source, how)
      : source.kind === 'container'
        ? () => fromContainer(source, how)
        : () => fromInstance(source.endpoint, how);
  const minted = new Minted(async () => dated(await fetchKeys(), now), held, now);
  return () => minted.get();
}

/** What the source is, for the log: never a secret. */
export function describeAwsSource(source: AwsCredentialSource): string {
  switch (source.kind) {
    case 'keys':
      return `keys from ${source.from}`;
    case 'web-identity':
      return `web identity for ${source.roleArn}`;
    case 'container':
      return `container credentials at ${source.url.origin}`;
    case 'instance':
      return `EC2 instance role (${source.endpoint.origin})`;
  }
}

interface FetchedKeys extends AwsCredentials {
  readonly expiration: string | undefined;
}

function dated(keys: FetchedKeys, now: () => number): { value: AwsCredentials; expiresAt: number } {
  const at = keys.expiration === undefined ? Number.NaN : Date.parse(keys.expiration);
  const { accessKeyId, secretAccessKey, sessionToken } = keys;
  return {
    value: { accessKeyId, secretAccessKey, sessionToken },
    expiresAt: Number.isFinite(at) ? at : now() + UNDATED_MS,
  };
}

/** ECS tasks and EKS Pod Identity: one GET, with the token the environment gives if any. */
async function fromContainer(
  source: Extract<AwsCredentialSource, { kind: 'container' }>,
  how: CredentialWays,
): Promise<FetchedKeys> {
  const what = 'the container credentials endpoint';
  let token = source.token;
  if (token === undefined && source.tokenFile !== undefined) {
    try {
      // Read at each fetch: EKS rotates the file.
      token = readFileSync(source.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new UpstreamUnreachableError(`${how.upstream} (${what}: its token file)`, error);
    }
  }
  const answer = await ask(how.direct, how.upstream, what, {
    url: source.url,
    method: 'GET',
    headers: token === undefined ? {} : { authorization: token },
    timeoutMs: LOCAL_TIMEOUT_MS,
  });
  return keysOf(asJson(answer, how.upstream, what), how.upstream, what);
}

/** EC2: an IMDSv2 session token, the instance role's name, then its keys. */
async function fromInstance(endpoint: URL, how: CredentialWays): Promise<FetchedKeys> {
  const what = 'the EC2 instance metadata service';
  const base = endpoint.href.replace(/\/+$/, '');
  const local = { timeoutMs: LOCAL_TIMEOUT_MS };
  const session = await ask(how.direct, how.upstream, what, {
    ...local,
    url: new URL(`${base}/latest/api/token`),
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': IMDS_TOKEN_SECONDS },
  });
  const headers = { 'x-aws-ec2-metadata-token': session.trim() };
  const roles = `${base}/latest/meta-data/iam/security-credentials/`;
  const role = (
    await ask(how.direct, how.upstream, what, {
      ...local,
      url: new URL(roles),
      method: 'GET',
      headers,
    })
  )
    .split('\n')[0]
    ?.trim();
  if (role === undefined || role === '' || role.includes('/'))
    throw new UpstreamAuthFailedError(how.upstream, 401, `${what}: this instance has no IAM role`);
  const answer = await ask(how.direct, how.upstream, what, {
    ...local,
    url: new URL(roles + encodeURIComponent(role)),
    method: 'GET',
    headers,
  });
  const json = asJson(answer, how.upstream, what);
  if (json['Code'] !== undefined && json['Code'] !== 'Success')
    throw new UpstreamAuthFailedError(
      how.upstream,
      401,
      `${what}: ${JSON.stringify(json['Code'])}`,
    );
  return keysOf(json, how.upstream, what);
}

/** EKS IAM roles for service accounts: the token file exchanged for a role's keys at STS. */
async function fromSts(
  source: Extract<AwsCredentialSource, { kind: 'web-identity' }>,
  how: CredentialWays,
): Promise<FetchedKeys> {
  const what = `STS (${source.roleArn})`;
  let identity: string;
  try {
    identity = readFileSync(source.tokenFile, 'utf8').trim();
  } catch (error) {
    throw new UpstreamUnreachableError(
      `${how.upstream} (${what}: its web identity token file)`,
      error,
    );
  }
  const xml = await ask(how.egress, how.upstream, what, {
    url: source.sts,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: source.roleArn,
      RoleSessionName: source.sessionName,
      WebIdentityToken: identity,
    }).toString(),
    timeoutMs: STS_TIMEOUT_MS,
  });
  return keysOf(
    {
      AccessKeyId: xmlText(xml, 'AccessKeyId'),
      SecretAccessKey: xmlText(xml, 'SecretAccessKey'),
      Token: xmlText(xml, 'SessionToken'),
      Expiration: xmlText(xml, 'Expiration'),
    },
    how.upstream,
    what,
  );
}

/** The answer's text when it is a 2xx; a refusal as the upstream's refusal of credentials. */
async function ask(
  dispatcher: Dispatcher,
  upstream: string,
  what: string,
  a: SmallAsk,
): Promise<string> {
  const { status, text } = await askSmall(dispatcher, `${upstream} (${what})`, a);
  if (status >= 200 && status < 300) return text;
  const said = xmlText(text, 'Message') ?? firstLine(text);
  throw new UpstreamAuthFailedError(upstream, status, `${what}: ${said}`);
}

function asJson(text: string, upstream: string, what: string): Record<string, unknown> {
  const json = jsonObject(text);
  if (json === undefined)
    throw new UpstreamUnreachableError(
      `${upstream} (${what})`,
      new Error('its answer is not JSON'),
    );
  return json;
}

function keysOf(json: Record<string, unknown>, upstream: string, what: string): FetchedKeys {
  const text = (name: string) =>
    typeof json[name] === 'string' && json[name] !== '' ? json[name] : undefined;
  const accessKeyId = text('AccessKeyId');
  const secretAccessKey = text('SecretAccessKey');
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new UpstreamUnreachableError(
      `${upstream} (${what})`,
      new Error('its answer holds no keys'),
    );
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: text('Token'),
    expiration: text('Expiration'),
  };
}

/** The text of the first `<name>` element (STS answers in XML); entities decoded. */
function xmlText(xml: string, name: string): string | undefined {
  const found = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return found
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line === '' ? 'no reason given' : line.slice(0, 200);
}
